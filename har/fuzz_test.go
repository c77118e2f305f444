package har

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"testing"
)

// FuzzReader: any input ends in entries and io.EOF or in one error, without a panic and
// within a bounded number of calls; a document the reader accepts whole is valid JSON; a
// FormatError can always be located; the syntax scanner agrees with encoding/json.
func FuzzReader(f *testing.F) {
	var buf bytes.Buffer
	w, _ := NewWriter(&buf, Creator{Name: "fuzz", Version: "1"})
	_ = w.Write(sampleEntry(1))
	_ = w.Close()
	for _, s := range []string{
		buf.String(), "", "{}", "[]", `{"log":{"version":"1.2","entries":[]}}`,
		`{"log":{"version":"1.2","entries":[{"startedDateTime":"2026-03-01T10:00:00Z","request":{"method":"GET","url":"/"}}]}}`,
		`{"log":{"entries":[1,2],"version":"1"}}`, `{"log":{"version":"1.2","entries":[`, "\"\\u12", "-0.5e+3", "[1,]",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		if (firstSyntaxError(bytes.NewReader(doc)) < 0) != json.Valid(doc) {
			t.Fatalf("syntax scanner says %d, json.Valid %v", firstSyntaxError(bytes.NewReader(doc)), json.Valid(doc))
		}
		hr := NewReaderSize(bytes.NewReader(doc), 1<<20)
		for i := 0; ; i++ {
			if i > len(doc)+2 {
				t.Fatal("more entries than bytes")
			}
			_, err := hr.Next()
			if err == io.EOF {
				if !json.Valid(doc) {
					t.Fatalf("accepted invalid JSON %q", doc)
				}
				return
			}
			if err != nil {
				var fe *FormatError
				if !errors.As(err, &fe) {
					t.Fatalf("not a FormatError: %v", err)
				}
				err = Locate(err, bytes.NewReader(doc))
				if fe.Line < 1 || fe.Column < 1 || fe.Offset < 0 || fe.Offset > int64(len(doc)) {
					t.Fatalf("%v: position %d:%d offset %d of %d", err, fe.Line, fe.Column, fe.Offset, len(doc))
				}
				return
			}
		}
	})
}
