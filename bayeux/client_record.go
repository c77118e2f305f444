package bayeux

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Entry is one recorded HTTP exchange (one POST and its reply). Everything in it is
// already redacted, so it is safe to print or attach to a report. Treat it as read-only.
type Entry struct {
	Seq            int           // 1, 2, … in the order requests were sent
	Client         string        // ClientOptions.Name of the client that sent it
	Sent           time.Time     // when the request was sent
	Received       time.Time     // when the reply (or the error) came; zero while in flight
	Done           bool          // false while the request is in flight
	Method         string        // always POST today
	URL            string        // the URL posted to (query values of sensitive keys masked)
	Timeout        time.Duration // the HTTP timeout the client gave the exchange
	RequestHeader  http.Header   // what was sent, including the jar's Cookie header
	RequestBody    []byte        // the raw request body
	Request        []Message     // the request body decoded
	Status         int           // HTTP status; 0 when no reply came
	ResponseHeader http.Header   // the reply's headers
	ResponseBody   []byte        // the raw reply body
	Replies        []Message     // the reply body decoded (nil if it did not decode)
	Err            string        // the transport, status or decoding error, if any
}

// RecordedMessage is one message on the wire, in the order the recorder saw it: the
// messages of a request when it was sent, those of its reply when the reply came. A held
// connect therefore shows its request before, and its reply after, any exchange that
// happened meanwhile.
type RecordedMessage struct {
	Seq       int             // the Entry.Seq of its exchange
	Client    string          // ClientOptions.Name
	Time      time.Time       // Entry.Sent for ToServer, Entry.Received for FromServer
	Direction Direction       // ToServer or FromServer
	Message   Message         // the message decoded
	Raw       json.RawMessage // the message's JSON as sent or received (redacted); keeps fields Message drops
}

// IsEvent reports whether the message is a delivered event: from the server, on a
// non-meta channel, with data.
func (m RecordedMessage) IsEvent() bool {
	return m.Direction == FromServer && clientIsEvent(&m.Message)
}

// Redaction says what a Recorder masks before it stores anything. Some things are always
// masked: the values of the Authorization, Proxy-Authorization, Cookie and Set-Cookie
// headers (cookie names stay visible, values become "***"), and the values of JSON object
// keys that name credentials (password, passwd, secret, token, access_token,
// refresh_token, authorization, apikey, api_key, credentials), wherever they appear in a
// body, and as URL query parameters.
type Redaction struct {
	Headers []string // more header names whose values are masked
	Fields  []string // more JSON keys (and query parameters) whose values are masked; case-insensitive
	// ClientID replaces every clientId with a stable alias ("client-1", …), also inside
	// error strings and bodies, so transcripts stay readable without exposing session ids.
	ClientID bool
}

// Redacted is the mask put in place of a sensitive value.
const Redacted = "***"

// recorderDefaultSecretHeaders and recorderDefaultSecretFields are always masked.
var (
	recorderDefaultSecretHeaders = []string{"Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie"}
	recorderDefaultSecretFields  = []string{"password", "passwd", "secret", "token", "access_token",
		"refresh_token", "authorization", "apikey", "api_key", "credentials"}
)

// Recorder keeps every HTTP exchange of the clients that use it, redacted, in order. It is
// safe for concurrent use and append-only: snapshots taken earlier never change. Several
// clients may share one recorder (Entry.Client tells them apart).
type Recorder struct {
	headers map[string]bool // canonical header names to mask
	fields  map[string]bool // lower-case JSON keys to mask
	aliasID bool

	mu      sync.Mutex
	entries []Entry
	msgs    []RecordedMessage
	lines   []recorderLine    // transcript events in the order they happened
	aliases map[string]string // clientId -> alias, when Redaction.ClientID
	changed chan struct{}     // closed and replaced at every append
	start   time.Time         // the Sent time of the first entry
}

// recorderLine is one event in the transcript: a request sent, or a reply or error received.
type recorderLine struct {
	seq   int
	reply bool
}

// NewRecorder makes an empty recorder that applies r on top of the built-in redaction.
func NewRecorder(r Redaction) *Recorder {
	rec := &Recorder{
		headers: map[string]bool{},
		fields:  map[string]bool{},
		aliasID: r.ClientID,
		aliases: map[string]string{},
		changed: make(chan struct{}),
	}
	for _, h := range slices.Concat(recorderDefaultSecretHeaders, r.Headers) {
		rec.headers[http.CanonicalHeaderKey(h)] = true
	}
	for _, f := range slices.Concat(recorderDefaultSecretFields, r.Fields) {
		rec.fields[strings.ToLower(f)] = true
	}
	return rec
}

// Entries returns a snapshot of the exchanges, in the order they were sent.
func (r *Recorder) Entries() []Entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.entries)
}

// Messages returns a snapshot of every message, in the order seen on the wire. It suits
// Gomega polling: Eventually(rec.Messages).Should(ContainElement(…)).
func (r *Recorder) Messages() []RecordedMessage {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.msgs)
}

// Events returns a snapshot of the delivered events only (see RecordedMessage.IsEvent).
func (r *Recorder) Events() []RecordedMessage {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []RecordedMessage
	for _, m := range r.msgs {
		if m.IsEvent() {
			out = append(out, m)
		}
	}
	return out
}

// Changed returns a channel that is closed at the next change to the recording. Take it
// before reading a snapshot, then wait on it to learn of anything newer without polling.
func (r *Recorder) Changed() <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.changed
}

// WriteTranscript writes a readable dump, one line per event in the order they happened:
//
//	+0.003s #2 POST http://127.0.0.1:8080/cometd Cookie: JSESSIONID=***
//	+0.003s #2 → /meta/subscribe {"channel":"/meta/subscribe",…}
//	+0.005s #2 ← HTTP 200
//	+0.005s #2 ← /meta/subscribe {"channel":"/meta/subscribe","successful":true,…}
//	+10.01s #3 ✗ context deadline exceeded
//
// The offset is from the first request; #N is Entry.Seq (prefixed by the client name if
// it has one). Everything is already redacted.
func (r *Recorder) WriteTranscript(w io.Writer) error {
	r.mu.Lock()
	lines := slices.Clone(r.lines)
	entries := slices.Clone(r.entries)
	start := r.start
	r.mu.Unlock()

	var b bytes.Buffer
	for _, l := range lines {
		e := &entries[l.seq-1]
		tag := "#" + strconv.Itoa(e.Seq)
		if e.Client != "" {
			tag = e.Client + tag
		}
		if !l.reply {
			off := recorderOffset(start, e.Sent)
			fmt.Fprintf(&b, "%s %s %s %s%s\n", off, tag, e.Method, e.URL, recorderHeaderText(e.RequestHeader, nil))
			for _, raw := range recorderSplit(e.RequestBody) {
				fmt.Fprintf(&b, "%s %s → %s %s\n", off, tag, recorderChannelOf(raw), recorderCompact(raw))
			}
			continue
		}
		off := recorderOffset(start, e.Received)
		if e.Status != 0 {
			fmt.Fprintf(&b, "%s %s ← HTTP %d%s\n", off, tag, e.Status,
				recorderHeaderText(e.ResponseHeader, []string{"Set-Cookie"}))
			if e.Replies != nil {
				for _, raw := range recorderSplit(e.ResponseBody) {
					fmt.Fprintf(&b, "%s %s ← %s %s\n", off, tag, recorderChannelOf(raw), recorderCompact(raw))
				}
			} else if len(e.ResponseBody) > 0 {
				fmt.Fprintf(&b, "%s %s ← body %s\n", off, tag, recorderQuoteBody(e.ResponseBody))
			}
		}
		if e.Err != "" {
			fmt.Fprintf(&b, "%s %s ✗ %s\n", off, tag, e.Err)
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}

// begin records a request about to be sent and returns its sequence number.
func (r *Recorder) begin(e Entry) int {
	e.RequestHeader = r.redactHeader(e.RequestHeader)
	r.mu.Lock()
	defer r.mu.Unlock()
	e.URL = r.redactURL(e.URL)
	e.RequestBody = r.redactBody(e.RequestBody)
	e.Request, _ = DecodeMessages(e.RequestBody)
	e.Seq = len(r.entries) + 1
	if e.Seq == 1 {
		r.start = e.Sent
	}
	r.entries = append(r.entries, e)
	r.lines = append(r.lines, recorderLine{seq: e.Seq})
	r.appendMessages(&e, ToServer, e.RequestBody, e.Sent)
	r.notify()
	return e.Seq
}

// end records the outcome of the exchange seq: the reply (status, headers, body), or err.
func (r *Recorder) end(seq int, at time.Time, status int, header http.Header, body []byte, err error) {
	header = r.redactHeader(header)
	r.mu.Lock()
	defer r.mu.Unlock()
	e := &r.entries[seq-1]
	e.Received, e.Done, e.Status, e.ResponseHeader = at, true, status, header
	e.ResponseBody = r.redactBody(body)
	if status == http.StatusOK {
		if ms, derr := DecodeMessages(e.ResponseBody); derr == nil {
			e.Replies = ms
			r.appendMessages(e, FromServer, e.ResponseBody, at)
		}
	}
	if err != nil {
		e.Err = r.redactText(err.Error())
	}
	r.lines = append(r.lines, recorderLine{seq: seq, reply: true})
	r.notify()
}

// appendMessages adds the messages of body, one RecordedMessage each. Called with mu held.
func (r *Recorder) appendMessages(e *Entry, dir Direction, body []byte, at time.Time) {
	raws := recorderSplit(body)
	for _, raw := range raws {
		var m Message
		if json.Unmarshal(raw, &m) != nil {
			continue
		}
		r.msgs = append(r.msgs, RecordedMessage{Seq: e.Seq, Client: e.Client, Time: at, Direction: dir, Message: m, Raw: raw})
	}
}

func (r *Recorder) notify() {
	close(r.changed)
	r.changed = make(chan struct{})
}

// redactHeader returns a masked copy of h: cookie headers keep their names, others become ***.
func (r *Recorder) redactHeader(h http.Header) http.Header {
	if h == nil {
		return nil
	}
	out := h.Clone()
	for k, vs := range out {
		if !r.headers[k] {
			continue
		}
		for i, v := range vs {
			switch k {
			case "Cookie":
				vs[i] = recorderMaskCookies(v, "; ")
			case "Set-Cookie":
				name, rest, _ := strings.Cut(v, ";")
				vs[i] = recorderMaskCookies(name, "") + recorderSemicolon(rest)
			default:
				vs[i] = Redacted
			}
		}
	}
	return out
}

func recorderSemicolon(rest string) string {
	if rest == "" {
		return ""
	}
	return ";" + rest
}

// recorderMaskCookies turns "a=1; b=2" into "a=***; b=***".
func recorderMaskCookies(v, sep string) string {
	parts := strings.Split(v, ";")
	for i, p := range parts {
		name, _, _ := strings.Cut(strings.TrimSpace(p), "=")
		parts[i] = name + "=" + Redacted
	}
	if sep == "" {
		sep = "; "
	}
	return strings.Join(parts, sep)
}

// redactURL masks userinfo and sensitive query values. Called with mu held.
func (r *Recorder) redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return r.redactText(s)
	}
	if u.User != nil {
		u.User = url.User(Redacted)
	}
	if u.RawQuery != "" {
		q := u.Query()
		for k := range q {
			if r.fields[strings.ToLower(k)] {
				q.Set(k, Redacted)
			}
		}
		u.RawQuery = strings.ReplaceAll(q.Encode(), "%2A%2A%2A", Redacted)
	}
	return r.redactText(u.String())
}

// redactBody masks sensitive JSON keys and aliases clientIds. Bodies that need no change
// are kept byte for byte. Called with mu held.
func (r *Recorder) redactBody(b []byte) []byte {
	if len(b) == 0 {
		return b
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) == nil && dec.InputOffset() > 0 {
		if r.redactValue(v) {
			if nb, err := json.Marshal(v); err == nil {
				b = nb
			}
		}
	}
	return []byte(r.redactText(string(b)))
}

// redactValue masks in place; it reports whether anything changed. It also learns the
// clientIds to alias. Called with mu held.
func (r *Recorder) redactValue(v any) bool {
	changed := false
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			if r.fields[strings.ToLower(k)] {
				t[k] = Redacted
				changed = true
				continue
			}
			if k == "clientId" && r.aliasID {
				if id, ok := x.(string); ok {
					r.alias(id)
				}
			}
			if r.redactValue(x) {
				changed = true
			}
		}
	case []any:
		for _, x := range t {
			if r.redactValue(x) {
				changed = true
			}
		}
	}
	return changed
}

// alias registers a clientId. Very short ids are not aliased: replacing them everywhere
// in a body would mangle unrelated text. Called with mu held.
func (r *Recorder) alias(id string) {
	if len(id) < 4 || r.aliases[id] != "" {
		return
	}
	r.aliases[id] = "client-" + strconv.Itoa(len(r.aliases)+1)
}

// redactText replaces every known clientId by its alias. Called with mu held.
func (r *Recorder) redactText(s string) string {
	if !r.aliasID || len(r.aliases) == 0 {
		return s
	}
	ids := make([]string, 0, len(r.aliases))
	for id := range r.aliases {
		ids = append(ids, id)
	}
	// Longest first, so an id that contains another is replaced whole.
	sort.Slice(ids, func(i, j int) bool { return len(ids[i]) > len(ids[j]) })
	pairs := make([]string, 0, 2*len(ids))
	for _, id := range ids {
		pairs = append(pairs, id, r.aliases[id])
	}
	return strings.NewReplacer(pairs...).Replace(s)
}

// recorderSplit cuts a body into its messages' JSON (one for a bare object).
func recorderSplit(body []byte) []json.RawMessage {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil
	}
	if body[0] == '{' {
		return []json.RawMessage{body}
	}
	var raws []json.RawMessage
	if json.Unmarshal(body, &raws) != nil {
		return nil
	}
	return raws
}

func recorderChannelOf(raw json.RawMessage) string {
	var m struct {
		Channel string `json:"channel"`
	}
	if json.Unmarshal(raw, &m) != nil || m.Channel == "" {
		return "(no channel)"
	}
	return m.Channel
}

func recorderCompact(raw json.RawMessage) string {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return string(raw)
	}
	return b.String()
}

// recorderQuoteBody shows a non-JSON body, shortened.
func recorderQuoteBody(b []byte) string {
	const max = 200
	if len(b) > max {
		return strconv.Quote(string(b[:max])) + "…"
	}
	return strconv.Quote(string(b))
}

func recorderOffset(start, t time.Time) string {
	if t.IsZero() {
		return "+?"
	}
	return fmt.Sprintf("+%.3fs", t.Sub(start).Seconds())
}

// recorderHeaderText lists headers as " K: v" (all of them, or only those in only).
func recorderHeaderText(h http.Header, only []string) string {
	keys := make([]string, 0, len(h))
	for k := range h {
		if only == nil || slices.Contains(only, k) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		for _, v := range h[k] {
			fmt.Fprintf(&b, " %s: %s", k, v)
		}
	}
	return b.String()
}
