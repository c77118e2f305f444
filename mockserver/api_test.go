package mockserver

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestReadAll(t *testing.T) {
	body := strings.Repeat("0123456789", 100)
	for _, tc := range []struct {
		name   string
		r      io.Reader
		length int64
		want   string
	}{
		{"declared length", strings.NewReader(body), int64(len(body)), body},
		{"unknown length", strings.NewReader(body), -1, body},
		{"shorter than declared", strings.NewReader(body[:10]), int64(len(body)), body[:10]},
		{"longer than declared", strings.NewReader(body), 10, body},
		{"one byte at a time", iotest.OneByteReader(strings.NewReader(body)), int64(len(body)), body},
		{"empty", strings.NewReader(""), 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readAll(tc.r, tc.length)
			if err != nil || string(got) != tc.want {
				t.Fatalf("readAll = %d bytes, %v; want %d bytes", len(got), err, len(tc.want))
			}
		})
	}
	boom := errors.New("boom")
	got, err := readAll(io.MultiReader(bytes.NewReader([]byte("ab")), iotest.ErrReader(boom)), 5)
	if !errors.Is(err, boom) || string(got) != "ab" {
		t.Fatalf("readAll = %q, %v; want the error", got, err)
	}
}
