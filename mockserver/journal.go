package mockserver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/workbinkit/workbinkit/bayeux"
	"github.com/workbinkit/workbinkit/spec"
)

// JournalEntry is one HTTP exchange or one CometD message, as GET /_mock/journal shows it.
// Secrets are masked: passwords (any JSON member whose name contains "password", "secret",
// "token"…, unless its value is a boolean or null), Authorization headers, the values of the session cookies (JSESSIONID,
// BAYEUX_BROWSER, and every other cookie) and CSRF tokens. HTTP bodies over 16 KiB are cut;
// a body that cannot be masked (not JSON, or over 16 KiB) and mentions a secret word is
// replaced by "<N bytes, not shown: may hold a secret>".
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

	// InvalidUTF8: what was exchanged held bytes that are not UTF-8 (in the path, the query,
	// a header or a body, or in a CometD message); the journal shows each run of them as
	// U+FFFD, so that it stays valid JSON text.
	InvalidUTF8 bool `json:"invalidUTF8,omitempty"`
}

// journal is a bounded ring of records, newest last. An HTTP record is masked and its bodies
// cut to maxJournalBody when it is added, so that the ring holds at most about
// size × 2 × maxJournalBody of bodies (not the up to 1 MiB each request may carry) and no
// secret. A CometD record keeps the Bayeux message and is masked only when read, which costs
// the notification path nothing.
type journal struct {
	mu   sync.Mutex
	ring []journalRecord
	next int // where the next record goes
	full bool
	seq  uint64
	// added, when set, is told of every record added (the dashboard's streams); it must not block.
	added func()
}

// journalRecord is an HTTP exchange (wire nil) or a CometD message.
type journalRecord struct {
	seq  uint64
	http httpRecord
	wire *bayeux.WireEvent
}

// httpRecord is an HTTP exchange as stored: headers masked (maskHeaders), bodies as
// journalBody renders them.
type httpRecord struct {
	time                                 time.Time
	method, path, query, user, operation string
	status                               int
	duration                             time.Duration
	reqHeader, respHeader                map[string][]string
	reqBody, respBody                    json.RawMessage
	invalidUTF8                          bool
}

func newJournal(size int) *journal {
	if size <= 0 {
		size = DefaultJournalSize
	}
	return &journal{ring: make([]journalRecord, size)}
}

func (j *journal) add(r journalRecord) {
	j.mu.Lock()
	j.seq++
	r.seq = j.seq
	j.ring[j.next] = r
	j.next++
	if j.next == len(j.ring) {
		j.next, j.full = 0, true
	}
	j.mu.Unlock()
	if j.added != nil {
		j.added()
	}
}

// entries returns up to limit entries (limit <= 0: all), oldest first, newest last.
func (j *journal) entries(limit int) []JournalEntry {
	j.mu.Lock()
	var recs []journalRecord
	if j.full {
		recs = append(append(recs, j.ring[j.next:]...), j.ring[:j.next]...)
	} else {
		recs = append(recs, j.ring[:j.next]...)
	}
	j.mu.Unlock()
	if limit > 0 && len(recs) > limit {
		recs = recs[len(recs)-limit:]
	}
	out := make([]JournalEntry, len(recs))
	for i, r := range recs {
		out[i] = r.entry()
	}
	return out
}

func (j *journal) clear() {
	j.mu.Lock()
	defer j.mu.Unlock()
	clear(j.ring)
	j.next, j.full = 0, false
}

// journalCometD records a Bayeux message. Its data and ext are copied (they may be slices of
// a request body of up to 1 MiB, which the record would keep alive); a member over
// maxJournalBody is replaced by a JSON string saying how long it was.
func (s *Server) journalCometD(ev bayeux.WireEvent) {
	ev.Message.Data = boundedMember(ev.Message.Data)
	ev.Message.Ext = boundedMember(ev.Message.Ext)
	s.journal.add(journalRecord{wire: &ev})
}

func boundedMember(raw json.RawMessage) json.RawMessage {
	if len(raw) > maxJournalBody {
		return jsonString(fmt.Sprintf("<%d bytes, not kept>", len(raw)))
	}
	return bytes.Clone(raw)
}

// entry renders a record: a CometD message masked, an HTTP exchange (masked when added)
// copied, so that callers of Server.Journal cannot alter the journal.
func (r journalRecord) entry() JournalEntry {
	if r.wire != nil {
		e := cometdEntry(*r.wire)
		e.Seq = r.seq
		return e
	}
	h := r.http
	return JournalEntry{
		Seq: r.seq, Time: h.time, Kind: "http", Method: h.method, Path: h.path, Query: h.query,
		User: h.user, Operation: h.operation, Status: h.status,
		DurationMillis: float64(h.duration.Microseconds()) / 1000,
		RequestHeaders: cloneHeaders(h.reqHeader), RequestBody: bytes.Clone(h.reqBody),
		ResponseHeaders: cloneHeaders(h.respHeader), ResponseBody: bytes.Clone(h.respBody),
		InvalidUTF8: h.invalidUTF8,
	}
}

func cloneHeaders(h map[string][]string) map[string][]string {
	if h == nil {
		return nil
	}
	out := make(map[string][]string, len(h))
	for k, vs := range h {
		out[k] = slices.Clone(vs)
	}
	return out
}

// maxJournalBody bounds a stored body; longer ones are cut and stored as a JSON string
// (or not shown at all when they may hold a secret).
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
// masked; anything else, or anything over maxJournalBody, as a JSON string, cut to
// maxJournalBody. A body that cannot be masked (not JSON, or too long to decode) and that
// mentions a secret word is not shown at all: only its length is. A JSON body without
// secrets is kept as sent (encoding/json compacts it when the journal is read).
func journalBody(body []byte) json.RawMessage {
	if len(body) == 0 {
		return nil
	}
	if string(body) == spec.CSRFRejection {
		return jsonString(spec.CSRFRejection) // the mock's own text: "token" in it is no secret
	}
	tooLong := len(body) > maxJournalBody
	if tooLong || !json.Valid(body) {
		if mayHoldSecret(body) {
			return notShown(body)
		}
		if tooLong {
			cut := maxJournalBody
			for i := cut; i > cut-utf8.UTFMax && i > 0; i-- { // not inside a character
				if utf8.RuneStart(body[i]) {
					cut = i
					break
				}
			}
			return jsonString(string(body[:cut]) + "…(truncated)")
		}
		return jsonString(string(body))
	}
	if !mayHoldSecret(body) {
		return toValidUTF8(bytes.Clone(body))
	}
	return maskJSON(body)
}

// toValidUTF8 replaces each run of bytes that are not UTF-8 by U+FFFD. In valid JSON such
// bytes can only be inside strings, so the result is valid JSON too (and encoding/json,
// which copies a json.RawMessage as it is, writes valid UTF-8).
func toValidUTF8(b []byte) []byte {
	if utf8.Valid(b) {
		return b
	}
	return bytes.ToValidUTF8(b, []byte(string(utf8.RuneError)))
}

// invalidUTF8 reports whether any of the strings, or any header name or value, is not
// UTF-8.
func invalidUTF8(h http.Header, ss ...[]byte) bool {
	for _, s := range ss {
		if !utf8.Valid(s) {
			return true
		}
	}
	for k, vs := range h {
		if !utf8.ValidString(k) {
			return true
		}
		for _, v := range vs {
			if !utf8.ValidString(v) {
				return true
			}
		}
	}
	return false
}

// notShown stands for a body that may hold a secret the journal cannot mask.
func notShown(body []byte) json.RawMessage {
	return jsonString(fmt.Sprintf("<%d bytes, not shown: may hold a secret>", len(body)))
}

// jsonString encodes s as a JSON string, without HTML escaping ("<N bytes…>" reads better
// than "\u003cN bytes…"); invalid UTF-8 becomes U+FFFD.
func jsonString(s string) json.RawMessage { return appendString(nil, s) }

// secretWords are looked for in member names (lower case).
var secretWords = []string{"password", "passwd", "secret", "token", "authorization"}

// mayHoldSecret is a cheap pre-check: only documents mentioning a secret word (in any case)
// are decoded.
func mayHoldSecret(b []byte) bool {
	for _, w := range secretWords {
		if containsFold(b, w) {
			return true
		}
	}
	return false
}

// containsFold reports whether b contains the lower-case ASCII word w, ignoring case,
// without allocating.
func containsFold(b []byte, w string) bool {
	for i := 0; i+len(w) <= len(b); i++ {
		j := 0
		for j < len(w) && (b[i+j]|0x20) == w[j] {
			j++
		}
		if j == len(w) {
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
		return notShown(doc)
	}
	out, err := json.Marshal(maskValue(v, 0))
	if err != nil {
		return notShown(doc)
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
				switch e.(type) {
				case bool, nil: // a flag or an absence holds no secret (changePasswordOnFirstLogin)
				default:
					x[k] = masked
				}
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
	// data and ext are kept as they came (json.RawMessage); the flag is read before the
	// mask, which decodes the message and so replaces bad bytes with U+FFFD itself.
	invalid := !utf8.Valid(raw)
	if mayHoldSecret(raw) {
		raw = maskJSON(raw)
	}
	raw = toValidUTF8(raw)
	dir := "toServer"
	if ev.Direction == bayeux.FromServer {
		dir = "fromServer"
	}
	return JournalEntry{
		Time: ev.Time, Kind: "cometd", Direction: dir, SessionID: ev.SessionID,
		Principal: ev.Principal, Message: raw, InvalidUTF8: invalid,
	}
}
