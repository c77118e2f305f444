package mockserver

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/workbinkit/workbinkit/bayeux"
	"github.com/workbinkit/workbinkit/spec"
)

// JournalEntry is one HTTP exchange or one CometD message, as GET /_mock/journal shows it.
// Secrets are masked before an entry is stored: passwords (any JSON member whose name
// contains "password", "secret" or "token"), Authorization headers, the values of the
// session cookies (JSESSIONID, BAYEUX_BROWSER, and every other cookie) and CSRF tokens.
type JournalEntry struct {
	Seq  uint64    `json:"seq"`
	Time time.Time `json:"time"`
	// Kind is "http" or "cometd".
	Kind string `json:"kind"`

	// HTTP exchanges.
	Method          string              `json:"method,omitempty"`
	Path            string              `json:"path,omitempty"`
	Query           string              `json:"query,omitempty"`
	User            string              `json:"user,omitempty"`
	Operation       string              `json:"operation,omitempty"`
	Status          int                 `json:"status,omitempty"`
	DurationMillis  float64             `json:"durationMillis,omitempty"`
	RequestHeaders  map[string][]string `json:"requestHeaders,omitempty"`
	RequestBody     json.RawMessage     `json:"requestBody,omitempty"`
	ResponseHeaders map[string][]string `json:"responseHeaders,omitempty"`
	ResponseBody    json.RawMessage     `json:"responseBody,omitempty"`

	// CometD messages.
	Direction string          `json:"direction,omitempty"`
	SessionID string          `json:"sessionId,omitempty"`
	Principal string          `json:"principal,omitempty"`
	Message   json.RawMessage `json:"message,omitempty"`
}

// journal is a bounded ring of entries, newest last.
type journal struct {
	mu   sync.Mutex
	ring []JournalEntry
	next int // where the next entry goes
	full bool
	seq  uint64
}

func newJournal(size int) *journal {
	if size <= 0 {
		size = DefaultJournalSize
	}
	return &journal{ring: make([]JournalEntry, size)}
}

func (j *journal) add(e JournalEntry) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.seq++
	e.Seq = j.seq
	j.ring[j.next] = e
	j.next++
	if j.next == len(j.ring) {
		j.next, j.full = 0, true
	}
}

// entries returns up to limit entries (limit <= 0: all), oldest first, newest last.
func (j *journal) entries(limit int) []JournalEntry {
	j.mu.Lock()
	defer j.mu.Unlock()
	var all []JournalEntry
	if j.full {
		all = append(append(all, j.ring[j.next:]...), j.ring[:j.next]...)
	} else {
		all = append(all, j.ring[:j.next]...)
	}
	if limit > 0 && len(all) > limit {
		all = all[len(all)-limit:]
	}
	return all
}

func (j *journal) clear() {
	j.mu.Lock()
	defer j.mu.Unlock()
	clear(j.ring)
	j.next, j.full = 0, false
}

// maxJournalBody bounds a stored body; longer ones are cut and stored as a JSON string.
const maxJournalBody = 16 << 10

const masked = "***"

// maskHeaders copies h with secrets masked.
func maskHeaders(h http.Header) map[string][]string {
	if len(h) == 0 {
		return nil
	}
	out := make(map[string][]string, len(h))
	for k, vs := range h {
		switch http.CanonicalHeaderKey(k) {
		case "Authorization", "Proxy-Authorization":
			out[k] = maskEach(vs, func(v string) string {
				if scheme, _, ok := strings.Cut(v, " "); ok {
					return scheme + " " + masked
				}
				return masked
			})
		case "Cookie":
			out[k] = maskEach(vs, maskCookieHeader)
		case "Set-Cookie":
			out[k] = maskEach(vs, maskSetCookie)
		case http.CanonicalHeaderKey(spec.HeaderCSRFToken):
			out[k] = maskEach(vs, func(string) string { return masked })
		default:
			out[k] = append([]string(nil), vs...)
		}
	}
	return out
}

func maskEach(vs []string, f func(string) string) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = f(v)
	}
	return out
}

// maskCookieHeader masks every cookie value of a Cookie header ("a=1; b=2").
func maskCookieHeader(v string) string {
	parts := strings.Split(v, ";")
	for i, p := range parts {
		name, _, ok := strings.Cut(strings.TrimSpace(p), "=")
		if ok {
			parts[i] = name + "=" + masked
		}
	}
	return strings.Join(parts, "; ")
}

// maskSetCookie masks the value of a Set-Cookie header, keeping its attributes.
func maskSetCookie(v string) string {
	first, rest, _ := strings.Cut(v, ";")
	name, _, ok := strings.Cut(first, "=")
	if !ok {
		return masked
	}
	if rest != "" {
		return name + "=" + masked + ";" + rest
	}
	return name + "=" + masked
}

// journalBody returns body as it goes into the journal: JSON as JSON with secret members
// masked, anything else (or anything too long) as a JSON string.
func journalBody(body []byte) json.RawMessage {
	if len(body) == 0 {
		return nil
	}
	if len(body) > maxJournalBody {
		s, _ := json.Marshal(string(body[:maxJournalBody]) + "…(truncated)")
		return s
	}
	if !json.Valid(body) {
		s, _ := json.Marshal(string(body))
		return s
	}
	if !mayHoldSecret(body) {
		var b bytes.Buffer
		if json.Compact(&b, body) == nil {
			return b.Bytes()
		}
	}
	return maskJSON(body)
}

// secretWords are looked for in member names (lower case).
var secretWords = []string{"password", "passwd", "secret", "token", "authorization"}

// mayHoldSecret is a cheap pre-check: only documents mentioning a secret word are decoded.
func mayHoldSecret(b []byte) bool {
	lower := bytes.ToLower(b)
	for _, w := range secretWords {
		if bytes.Contains(lower, []byte(w)) {
			return true
		}
	}
	return false
}

func isSecretKey(k string) bool {
	k = strings.ToLower(k)
	for _, w := range secretWords {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

// maskJSON replaces the values of secret members, at any depth.
func maskJSON(doc []byte) json.RawMessage {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		s, _ := json.Marshal(string(doc))
		return s
	}
	out, err := json.Marshal(maskValue(v, 0))
	if err != nil {
		s, _ := json.Marshal(string(doc))
		return s
	}
	return out
}

func maskValue(v any, depth int) any {
	if depth > 64 {
		return masked // the journal need not show pathological nesting
	}
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if isSecretKey(k) {
				x[k] = masked
			} else {
				x[k] = maskValue(e, depth+1)
			}
		}
	case []any:
		for i, e := range x {
			x[i] = maskValue(e, depth+1)
		}
	}
	return v
}

// cometdEntry turns a Bayeux wire event into a journal entry.
func cometdEntry(ev bayeux.WireEvent) JournalEntry {
	raw, err := json.Marshal(ev.Message)
	if err != nil {
		raw, _ = json.Marshal(err.Error())
	}
	if mayHoldSecret(raw) {
		raw = maskJSON(raw)
	}
	dir := "toServer"
	if ev.Direction == bayeux.FromServer {
		dir = "fromServer"
	}
	return JournalEntry{
		Time: ev.Time, Kind: "cometd", Direction: dir, SessionID: ev.SessionID,
		Principal: ev.Principal, Message: raw,
	}
}
