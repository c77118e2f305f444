package har

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
)

// Writer writes a HAR as entries come: the document's head at once, each entry when Write
// is called, and the closing brackets on Close. Nothing is kept after an entry is written,
// so memory stays flat however many entries a capture holds. Until Close the file is a
// HAR cut short; Reader reports such a file as truncated at its end.
//
// A Writer is safe for concurrent use; entries appear in the order Write was called.
type Writer struct {
	mu     sync.Mutex
	w      *bufio.Writer
	n      int
	closed bool
	err    error
	buf    bytes.Buffer
	enc    *json.Encoder
}

// ErrClosed is returned by Write after Close.
var ErrClosed = errors.New("har: writer closed")

// NewWriter writes the head of a HAR 1.2 document to w.
func NewWriter(w io.Writer, creator Creator) (*Writer, error) {
	hw := &Writer{w: bufio.NewWriterSize(w, 64<<10)}
	hw.enc = json.NewEncoder(&hw.buf)
	hw.enc.SetEscapeHTML(false)
	head, err := json.Marshal(struct {
		Version string  `json:"version"`
		Creator Creator `json:"creator"`
	}{Version, creator})
	if err != nil {
		return nil, fmt.Errorf("har: %w", err)
	}
	// {"log":{"version":…,"creator":…,"pages":[],"entries":[ … ]}}
	hw.w.WriteString(`{"log":`)
	hw.w.Write(head[:len(head)-1])
	hw.w.WriteString(`,"pages":[],"entries":[`)
	if err := hw.w.Flush(); err != nil {
		return nil, fmt.Errorf("har: %w", err)
	}
	return hw, nil
}

// Write appends one entry and flushes it, so that a capture read while it is being
// written (or after a crash) holds every entry written so far.
func (hw *Writer) Write(e *Entry) error {
	hw.mu.Lock()
	defer hw.mu.Unlock()
	if hw.closed {
		return ErrClosed
	}
	if hw.err != nil {
		return hw.err
	}
	hw.buf.Reset()
	if hw.n > 0 {
		hw.buf.WriteByte(',')
	}
	hw.buf.WriteByte('\n')
	if err := hw.enc.Encode(e); err != nil {
		return fmt.Errorf("har: entry: %w", err)
	}
	b := bytes.TrimRight(hw.buf.Bytes(), "\n")
	if _, err := hw.w.Write(b); err != nil {
		hw.err = fmt.Errorf("har: %w", err)
		return hw.err
	}
	if err := hw.w.Flush(); err != nil {
		hw.err = fmt.Errorf("har: %w", err)
		return hw.err
	}
	hw.n++
	return nil
}

// Count is the number of entries written.
func (hw *Writer) Count() int {
	hw.mu.Lock()
	defer hw.mu.Unlock()
	return hw.n
}

// Close writes the end of the document. It does not close the underlying writer.
func (hw *Writer) Close() error {
	hw.mu.Lock()
	defer hw.mu.Unlock()
	if hw.closed {
		return nil
	}
	hw.closed = true
	if hw.err != nil {
		return hw.err
	}
	hw.w.WriteString("\n]}}\n")
	if err := hw.w.Flush(); err != nil {
		return fmt.Errorf("har: %w", err)
	}
	return nil
}
