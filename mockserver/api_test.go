package mockserver

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/iotest"
)

// readBodyWithin reads bodies of any declared length whole, and passes a read error on.
func TestReadBodyWithin(t *testing.T) {
	s := &Server{}
	read := func(r io.Reader, length int64) ([]byte, error) {
		req := httptest.NewRequest(http.MethodPost, "/", r)
		req.ContentLength = length
		return s.readBodyWithin(httptest.NewRecorder(), req, 1<<20)
	}
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
			got, err := read(tc.r, tc.length)
			if err != nil || string(got) != tc.want {
				t.Fatalf("readBodyWithin = %d bytes, %v; want %d bytes", len(got), err, len(tc.want))
			}
		})
	}
	boom := errors.New("boom")
	if got, err := read(io.MultiReader(bytes.NewReader([]byte("ab")), iotest.ErrReader(boom)), 5); !errors.Is(err, boom) {
		t.Fatalf("readBodyWithin = %q, %v; want the error", got, err)
	}
	var mbe *http.MaxBytesError
	if _, err := read(strings.NewReader(""), 2<<20); !errors.As(err, &mbe) {
		t.Fatalf("2 MiB announced: %v, want a MaxBytesError", err)
	}
	if _, err := read(strings.NewReader(strings.Repeat("x", 1<<20+1)), -1); !errors.As(err, &mbe) {
		t.Fatalf("1 MiB + 1 sent: %v, want a MaxBytesError", err)
	}
}
