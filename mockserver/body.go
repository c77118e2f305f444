package mockserver

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"
)

// DefaultBodyReadTimeout bounds the time from the start of a request with a body to the
// end of its body (Config.BodyReadTimeout).
const DefaultBodyReadTimeout = 10 * time.Second

// bodyInitialCap is the most a body read allocates up front: beyond it the buffer grows
// with the bytes that actually arrive, so that a client announcing 1 MiB and stalling
// costs what it sent, not what it announced.
const bodyInitialCap = 16 << 10

// errBodyTimeout: a request body did not arrive within the body deadline.
var errBodyTimeout = errors.New("request body not received in time")

// bodyTimeout is the body deadline in force (none when negative).
func (s *Server) bodyTimeout() time.Duration {
	switch d := s.cfg.BodyReadTimeout; {
	case d == 0:
		return DefaultBodyReadTimeout
	case d < 0:
		return 0
	default:
		return d
	}
}

// bodyDeadline puts every request that announces a body under the body deadline before
// any handler runs, so that no path reads a body without one: neither a handler, nor
// net/http, which reads up to 256 KiB of a body the handler left before it answers or
// reuses the connection. The readers of a body (readBodyWithin here, the bayeux server for
// CometD) lift the deadline once the body is in: a held CometD connect must not lose its
// connection to it.
func (s *Server) bodyDeadline(next http.Handler) http.Handler {
	d := s.bodyTimeout()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d > 0 && r.ContentLength != 0 {
			// Wall time: a connection deadline is not domain time (Config.Now).
			_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(d))
		}
		next.ServeHTTP(w, r)
	})
}

// readBodyWithin reads r's body, at most limit bytes, under the body deadline set by
// bodyDeadline, and then lifts that deadline. On failure the body is refused (refuseBody)
// and the error is an *http.MaxBytesError, errBodyTimeout or another read error.
func (s *Server) readBodyWithin(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if r.ContentLength > limit {
		refuseBody(w)
		return nil, &http.MaxBytesError{Limit: limit}
	}
	capacity := int64(bodyInitialCap)
	if r.ContentLength >= 0 {
		capacity = min(capacity, r.ContentLength+1) // +1: the end is seen without growing
	}
	buf := bytes.NewBuffer(make([]byte, 0, capacity))
	if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, limit)); err != nil {
		refuseBody(w)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return nil, fmt.Errorf("%w (within %s)", errBodyTimeout, s.bodyTimeout())
		}
		return nil, err
	}
	_ = http.NewResponseController(w).SetReadDeadline(time.Time{})
	return buf.Bytes(), nil
}

// refuseBody is for a reply given without reading (all of) the request body: the
// connection is closed after the reply, and nothing more is read from it (net/http would
// otherwise read up to 256 KiB of what is left first, waiting on a client that stalls).
func refuseBody(w http.ResponseWriter) {
	w.Header().Set("Connection", "close")
	_ = http.NewResponseController(w).SetReadDeadline(time.Now())
}
