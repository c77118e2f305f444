package bayeux

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

// ErrBodyRefused: a request body was not read (too large for a request Identify does not
// accept) or not read in time (BodyTimeout).
var ErrBodyRefused = errors.New("bayeux: request body refused")

// bodyInitialCap is the most a read allocates up front: beyond it the buffer grows with
// the bytes that actually arrived, so a client announcing a large Content-Length and
// sending nothing costs nothing.
const bodyInitialCap = 16 << 10

// ReadBody reads r's body as ServeHTTP would — under BodyTimeout, within MaxBodyBytes, and
// past MaxUnidentifiedBodyBytes only for a request Identify accepts — and puts it back as
// r.Body (and r.ContentLength), so that a handler in front of the server can look at it
// before the server reads it again. On failure it has answered the request (HTTP 413, 408
// or 400, closing the connection) and returns false.
func (s *Server) ReadBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, status, err := s.readBody(w, r)
	if err != nil {
		s.log.Debug("bayeux: bad request", "status", status, "err", err, "remote", r.RemoteAddr)
		http.Error(w, err.Error(), status)
		return nil, false
	}
	r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	return body, true
}

// readBody reads r's body; see ReadBody. On error, the connection's read deadline is left
// in the past and the reply asks to close the connection: net/http would otherwise try to
// drain what is left of a body nobody wants, with no deadline.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) (body []byte, status int, err error) {
	limit := s.opts.MaxBodyBytes
	if r.ContentLength > limit {
		return nil, s.refuseBody(w, http.StatusRequestEntityTooLarge), fmt.Errorf("bayeux: body of %d bytes exceeds %d", r.ContentLength, limit)
	}
	rc := http.NewResponseController(w)
	if d := s.opts.BodyTimeout; d > 0 {
		// Wall time: a connection deadline is not a protocol timing (Options.Clock).
		if rc.SetReadDeadline(time.Now().Add(d)) == nil {
			defer func() {
				if err == nil {
					_ = rc.SetReadDeadline(time.Time{})
				}
			}()
		}
	}
	small := s.opts.MaxUnidentifiedBodyBytes
	gated := s.opts.Identify != nil && small >= 0 && r.ContentLength != 0
	if gated && r.ContentLength > small {
		if err := s.identifyForBody(r, small); err != nil {
			return nil, s.refuseBody(w, http.StatusRequestEntityTooLarge), err
		}
		gated = false
	}
	capacity := int64(bodyInitialCap)
	if r.ContentLength >= 0 {
		capacity = min(capacity, r.ContentLength)
	}
	buf := bytes.NewBuffer(make([]byte, 0, capacity))
	src := http.MaxBytesReader(w, r.Body, limit)
	if gated {
		// Unknown length: the first small bytes for anyone, the rest only for a request
		// Identify accepts.
		n, err := buf.ReadFrom(io.LimitReader(src, small+1))
		if err != nil {
			status, err := s.readError(w, err)
			return nil, status, err
		}
		if n > small {
			if err := s.identifyForBody(r, small); err != nil {
				return nil, s.refuseBody(w, http.StatusRequestEntityTooLarge), err
			}
		}
	}
	if _, err := buf.ReadFrom(src); err != nil {
		status, err := s.readError(w, err)
		return nil, status, err
	}
	return buf.Bytes(), http.StatusOK, nil
}

func (s *Server) identifyForBody(r *http.Request, small int64) error {
	if _, err := s.opts.Identify(r); err != nil {
		return fmt.Errorf("%w: a body over %d bytes is read only from an authenticated request (%w)", ErrBodyRefused, small, err)
	}
	return nil
}

// readError classifies an error reading the body (and refuses the rest).
func (s *Server) readError(w http.ResponseWriter, err error) (int, error) {
	if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
		return s.refuseBody(w, http.StatusRequestEntityTooLarge), fmt.Errorf("bayeux: body exceeds %d bytes: %w", mbe.Limit, err)
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return s.refuseBody(w, http.StatusRequestTimeout), fmt.Errorf("%w: not read within %s: %w", ErrBodyRefused, s.opts.BodyTimeout, err)
	}
	return s.refuseBody(w, http.StatusBadRequest), fmt.Errorf("bayeux: reading body: %w", err)
}

// refuseBody makes the reply close the connection, with no more reading of the body.
func (s *Server) refuseBody(w http.ResponseWriter, status int) int {
	w.Header().Set("Connection", "close")
	_ = http.NewResponseController(w).SetReadDeadline(time.Now())
	return status
}
