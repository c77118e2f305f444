package har

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// DefaultMaxEntryBytes bounds one entry on reading: a HAR whose single entry is larger is
// refused rather than read into memory.
const DefaultMaxEntryBytes = 256 << 20

// FormatError says why a document is not a HAR, and where: the byte offset, and the line
// and column when Locate could compute them (1-based; 0 when unknown).
type FormatError struct {
	Offset int64
	Line   int
	Column int
	// Entry is the index of the entry at fault in log.entries, -1 outside the entries.
	Entry  int
	Reason string
	Err    error
	// syntax: the offset is where the decoder stopped, not the faulty byte; Locate
	// finds the byte.
	syntax bool
}

func (e *FormatError) Error() string {
	pos := fmt.Sprintf("byte %d", e.Offset)
	if e.Line > 0 {
		pos = fmt.Sprintf("line %d, column %d (byte %d)", e.Line, e.Column, e.Offset)
	}
	what := e.Reason
	if e.Entry >= 0 {
		what = fmt.Sprintf("entry %d: %s", e.Entry, e.Reason)
	}
	return fmt.Sprintf("not a HAR: at %s: %s", pos, what)
}

func (e *FormatError) Unwrap() error { return e.Err }

// ErrNotHAR is matched (errors.Is) by every *FormatError.
var ErrNotHAR = errors.New("not a HAR")

// Is lets errors.Is(err, ErrNotHAR) find a FormatError.
func (e *FormatError) Is(target error) bool { return target == ErrNotHAR }

// Reader reads the entries of a HAR one at a time. The members of log other than entries
// (version, creator, pages…) may come in any order; they are read or skipped on the way.
// A Reader is not safe for concurrent use.
type Reader struct {
	dec   *json.Decoder
	count *countingReader
	// state: 0 before the entries, 1 inside them, 2 in log after them, 3 in the top-level
	// object after log, 4 done.
	state   int
	index   int // entries read
	version string
	creator Creator
	sawLog  bool
	started bool // a first token was read
	err     error
}

// NewReader reads a HAR from r. Entries larger than DefaultMaxEntryBytes are refused.
func NewReader(r io.Reader) *Reader { return NewReaderSize(r, DefaultMaxEntryBytes) }

// NewReaderSize is NewReader with another bound on one entry's size.
func NewReaderSize(r io.Reader, maxEntry int64) *Reader {
	c := &countingReader{r: bufio.NewReaderSize(r, 64<<10), max: maxEntry}
	dec := json.NewDecoder(c)
	dec.UseNumber() // a number too large for float64 is no reason to refuse a skipped member
	return &Reader{dec: dec, count: c}
}

// Version is log.version, once it was read (it may come after the entries).
func (h *Reader) Version() string { return h.version }

// Creator is log.creator, once it was read.
func (h *Reader) Creator() Creator { return h.creator }

// Next returns the next entry, or io.EOF after the last one once the rest of the document
// was found well-formed. Any other error is a *FormatError (or the underlying read error);
// after an error Next keeps returning it.
func (h *Reader) Next() (*Entry, error) {
	if h.err != nil {
		return nil, h.err
	}
	e, err := h.next()
	if err != nil {
		h.err = err
		return nil, err
	}
	return e, nil
}

func (h *Reader) next() (*Entry, error) {
	for {
		switch h.state {
		case 0:
			if err := h.toEntries(); err != nil {
				return nil, err
			}
		case 1:
			if !h.dec.More() {
				if _, err := h.token(); err != nil { // ]
					return nil, err
				}
				h.state = 2
				continue
			}
			h.count.at = h.count.n
			var raw json.RawMessage
			if err := h.dec.Decode(&raw); err != nil {
				return nil, h.fail(h.dec.InputOffset(), "", err)
			}
			start := h.dec.InputOffset() - int64(len(raw))
			e, err := decodeEntry(raw)
			if err != nil {
				return nil, &FormatError{Offset: start, Entry: h.index, Reason: err.Error(), Err: err}
			}
			h.index++
			return e, nil
		case 2:
			if _, err := h.logMembers(false); err != nil {
				return nil, err
			}
			h.state = 3
		case 3:
			if err := h.finish(); err != nil {
				return nil, err
			}
			h.state = 4
		default:
			return nil, io.EOF
		}
	}
}

// toEntries reads up to the first entry: the top-level object, the log member, and every
// member of log before entries.
func (h *Reader) toEntries() error {
	if err := h.delim('{', "a HAR is a JSON object with a \"log\" member"); err != nil {
		return err
	}
	for {
		key, end, err := h.key()
		if err != nil {
			return err
		}
		if end {
			if !h.sawLog {
				return &FormatError{Offset: h.dec.InputOffset() - 1, Entry: -1, Reason: `the object has no "log" member`}
			}
			return h.trailing()
		}
		if key != "log" {
			if err := h.skip(); err != nil {
				return err
			}
			continue
		}
		if h.sawLog {
			return &FormatError{Offset: h.dec.InputOffset() - tokenLen(key), Entry: -1, Reason: `a second "log" member`}
		}
		h.sawLog = true
		if err := h.delim('{', `"log" must be an object`); err != nil {
			return err
		}
		found, err := h.logMembers(true)
		if err != nil {
			return err
		}
		if found {
			h.state = 1
			return nil
		}
		// log ended without entries: an empty capture. The rest must still be well-formed.
		h.state = 3
		return nil
	}
}

// logMembers reads members of log until entries (when stopAtEntries) or the end of log.
func (h *Reader) logMembers(stopAtEntries bool) (bool, error) {
	for {
		key, end, err := h.key()
		if err != nil {
			return false, err
		}
		if end {
			if h.version == "" {
				return false, &FormatError{Offset: h.dec.InputOffset() - 1, Entry: -1, Reason: `log has no "version"`}
			}
			return false, nil
		}
		off := h.dec.InputOffset()
		switch key {
		case "entries":
			if !stopAtEntries {
				return false, &FormatError{Offset: off - tokenLen(key), Entry: -1, Reason: `a second "entries" member`}
			}
			if err := h.delim('[', `log.entries must be an array`); err != nil {
				return false, err
			}
			return true, nil
		case "version":
			if err := h.dec.Decode(&h.version); err != nil {
				return false, h.fail(off, "log.version must be a string", err)
			}
			if h.version == "" {
				return false, &FormatError{Offset: off, Entry: -1, Reason: "log.version is empty"}
			}
		case "creator":
			if err := h.dec.Decode(&h.creator); err != nil {
				return false, h.fail(off, "log.creator must be an object with name and version", err)
			}
		default:
			if err := h.skip(); err != nil {
				return false, err
			}
		}
	}
}

// finish reads what follows log: the rest of the document, and makes sure nothing
// follows it.
func (h *Reader) finish() error {
	for {
		key, end, err := h.key()
		if err != nil {
			return err
		}
		if end {
			return h.trailing()
		}
		if key == "log" {
			return &FormatError{Offset: h.dec.InputOffset() - tokenLen(key), Entry: -1, Reason: `a second "log" member`}
		}
		if err := h.skip(); err != nil {
			return err
		}
	}
}

func (h *Reader) trailing() error {
	before := h.dec.InputOffset()
	t, err := h.dec.Token()
	if err == io.EOF {
		return nil
	}
	off := h.dec.InputOffset()
	if err == nil {
		off = max(before, off-tokenLen(t))
	}
	return &FormatError{Offset: off, Entry: -1, Reason: "data after the HAR document"}
}

// tokenLen is how many bytes a token took on the wire (exact unless a string was
// written with escapes encoding/json would not use).
func tokenLen(t json.Token) int64 {
	if _, ok := t.(json.Delim); ok {
		return 1
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(t); err != nil {
		return 0
	}
	return int64(b.Len() - 1) // Encode adds a newline
}

// key reads a member name, or reports the end of the object.
func (h *Reader) key() (string, bool, error) {
	before := h.dec.InputOffset()
	t, err := h.token()
	if err != nil {
		return "", false, err
	}
	off := max(before, h.dec.InputOffset()-tokenLen(t))
	switch v := t.(type) {
	case json.Delim:
		if v == '}' {
			return "", true, nil
		}
	case string:
		return v, false, nil
	}
	return "", false, &FormatError{Offset: off, Entry: -1, Reason: fmt.Sprintf("want a member name, got %v", t)}
}

func (h *Reader) delim(want json.Delim, reason string) error {
	before := h.dec.InputOffset()
	t, err := h.token()
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) && !h.started {
			return &FormatError{Offset: h.count.n, Entry: -1, Reason: "the document is empty"}
		}
		return err
	}
	h.started = true
	off := max(before, h.dec.InputOffset()-tokenLen(t))
	if d, ok := t.(json.Delim); !ok || d != want {
		return &FormatError{Offset: off, Entry: -1, Reason: fmt.Sprintf("%s, got %s", reason, describe(t))}
	}
	return nil
}

func (h *Reader) token() (json.Token, error) {
	off := h.dec.InputOffset()
	t, err := h.dec.Token()
	if err != nil {
		return nil, h.fail(off, "", err)
	}
	return t, nil
}

// skip reads one value of any kind without keeping it.
func (h *Reader) skip() error {
	off := h.dec.InputOffset()
	var raw json.RawMessage
	if err := h.dec.Decode(&raw); err != nil {
		return h.fail(off, "", err)
	}
	return nil
}

// fail turns a decoder error into a FormatError at the best offset known.
func (h *Reader) fail(off int64, reason string, err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	var big *tooLargeError
	entry := -1
	if h.state == 1 {
		entry = h.index
	}
	switch {
	case errors.As(err, &big):
		return &FormatError{Offset: off, Entry: entry, Reason: big.Error(), Err: err}
	case errors.As(err, &se):
		msg := se.Error()
		if reason != "" {
			msg = reason + ": " + msg
		}
		return &FormatError{Offset: off, Entry: entry, Reason: "invalid JSON: " + msg, Err: err, syntax: true}
	case errors.As(err, &te):
		if reason == "" {
			reason = te.Error()
		}
		return &FormatError{Offset: min(max(off, 0), h.count.n), Entry: entry, Reason: reason, Err: err}
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return &FormatError{Offset: h.count.n, Entry: entry, Reason: "the document ends too early (truncated?)", Err: io.ErrUnexpectedEOF, syntax: true}
	}
	if reason != "" {
		return fmt.Errorf("har: %s: %w", reason, err)
	}
	return fmt.Errorf("har: %w", err)
}

func describe(t json.Token) string {
	switch v := t.(type) {
	case json.Delim:
		return string(v)
	case string:
		return "a string"
	case nil:
		return "null"
	case bool:
		return "a boolean"
	}
	return "a number"
}

// decodeEntry decodes one entry and checks what a reader relies on.
func decodeEntry(raw json.RawMessage) (*Entry, error) {
	if len(raw) == 0 || raw[0] != '{' {
		return nil, errors.New("an entry must be an object")
	}
	var e Entry
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&e); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, fmt.Errorf("%s must be %s", te.Field, te.Type)
		}
		return nil, err
	}
	if e.Request.Method == "" {
		return nil, errors.New("request.method is missing")
	}
	if e.Request.URL == "" {
		return nil, errors.New("request.url is missing")
	}
	if _, err := e.Started(); err != nil {
		return nil, err
	}
	return &e, nil
}

// countingReader counts the bytes read and refuses to read more than max bytes past the
// last mark (the start of the entry being read).
type countingReader struct {
	r   io.Reader
	n   int64
	at  int64
	max int64
}

type tooLargeError struct{ max int64 }

func (e *tooLargeError) Error() string {
	return fmt.Sprintf("an entry is larger than %d MiB", e.max>>20)
}

func (c *countingReader) Read(p []byte) (int, error) {
	if c.max > 0 && c.n-c.at > c.max {
		return 0, &tooLargeError{max: c.max}
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
