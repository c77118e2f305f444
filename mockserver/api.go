package mockserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/workbinkit/workbinkit/mockserver/state"
	"github.com/workbinkit/workbinkit/spec"
)

// apiCall is one REST request on its way through the pipeline of serveAPI.
type apiCall struct {
	r     *http.Request
	route *spec.Route
	sess  *httpSession
	user  state.User
	body  []byte
	// fields are the body's members and op its operationName (POST), "" for a GET.
	fields body
	op     string
}

func (c *apiCall) actor() state.Actor { return state.Actor{User: c.user.Name} }

// apiReply is what a handler answers: the HTTP reply, and the events to publish once it
// is sent.
type apiReply struct {
	status int
	body   []byte
	ctype  string
	events []state.Event
	// refOf gives the referenceId the requester's copy of an event carries (nil: none).
	refOf func(state.Event) int64
	// pull marks events of a pull (the pull deviations alter only those).
	pull bool
	// unchecked: a deviation or an injected fault shaped this reply on purpose, so it is
	// not self-checked.
	unchecked bool
	changed   bool
	// failed marks the D3 error envelope (whatever its HTTP status: a fault may send it
	// with 200), for the envelope deviations.
	failed bool
}

type apiHandler func(c *apiCall) apiReply

// errorReply is the D3 error envelope with its HTTP status.
func errorReply(code spec.StatusCode, format string, args ...any) apiReply {
	status, ok := code.HTTPStatus()
	if !ok {
		status = http.StatusInternalServerError
	}
	return errorReplyStatus(status, code, fmt.Sprintf(format, args...))
}

func errorReplyStatus(status int, code spec.StatusCode, msg string) apiReply {
	o := newObject()
	o.int(spec.FieldStatusCode, int64(code))
	o.str(spec.FieldStatusMessage, msg)
	return apiReply{status: status, body: o.bytes(), ctype: contentJSON, failed: true}
}

// stateError maps a refusal of the state to its reply.
func stateError(err error) apiReply {
	var se *state.Error
	if errors.As(err, &se) {
		return errorReply(se.Code, "%s", se.Message)
	}
	return errorReply(spec.StatusInternalError, "Internal error: %v", err)
}

// okReply is {"statusCode":0, <key>: <raw>}.
func okReply(key string, raw []byte) apiReply {
	o := newObject()
	o.int(spec.FieldStatusCode, 0)
	o.raw(key, raw)
	return apiReply{status: http.StatusOK, body: o.bytes(), ctype: contentJSON}
}

const (
	contentJSON = "application/json"
	contentText = "text/plain; charset=utf-8"
)

// serveAPI is the path of every REST request: session/auth → CSRF → body limit → route →
// api-multimedia → spec validation → faults → handler → self-checked reply → notifications.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	opts := s.opts.Load()
	c := &apiCall{r: r}
	reply := s.pipeline(w, c, opts)
	s.finish(w, c, reply, start)
}

func (s *Server) pipeline(w http.ResponseWriter, c *apiCall, opts *Options) apiReply {
	r := c.r
	sess, user, ok := s.authenticate(w, r)
	if !ok {
		return s.unauthorized(w)
	}
	c.sess, c.user = sess, user

	if opts.EnableCsrfProtection && isModifying(r.Method) && !s.dev.has(DevCSRFNotEnforced) {
		if tok := r.Header.Get(spec.HeaderCSRFToken); tok == "" || tok != sess.csrf {
			return apiReply{status: http.StatusForbidden, body: []byte(spec.CSRFRejection), ctype: contentText}
		}
	}

	if reply, ok := s.readBody(w, c); !ok {
		return reply
	}

	route, err := s.contract.ValidateRequestBytes(r.Context(), r, c.body)
	c.route = route
	// D7 before the request's faults: without api-multimedia a workbin URL answers as if the
	// API did not exist, also to a malformed request (the route is known whenever the path
	// and method matched an operation, valid or not).
	if route != nil && route.OperationID != spec.OpGetMe && !user.HasFeature(spec.FeatureMultimedia) {
		return errorReply(spec.StatusNotFound, "No resource at %s: the Workbins API needs the feature %s", r.URL.Path, spec.FeatureMultimedia)
	}
	switch {
	case errors.Is(err, spec.ErrNoRoute):
		return errorReply(spec.StatusNotFound, "No resource at %s", r.URL.Path)
	case errors.Is(err, spec.ErrMethodNotAllowed):
		allow := strings.Join(s.contract.AllowedMethods(r), ", ")
		w.Header().Set("Allow", allow)
		return errorReplyStatus(http.StatusMethodNotAllowed, spec.StatusInvalidParameter, fmt.Sprintf("Method %s is not allowed on %s (allowed: %s)", r.Method, r.URL.Path, allow))
	case err != nil:
		issues := spec.IssuesOf(err)
		if issues == nil {
			return errorReply(spec.StatusInvalidInput, "Invalid request: %v", err)
		}
		code, msg := requestFault(issues)
		return errorReply(code, "%s", msg)
	}
	if len(c.body) > 0 {
		c.fields = decodeBody(c.body, route.Body)
		c.op = c.fields.str(spec.FieldOperationName)
		if opts.Strict {
			s.strictCheck(c)
		}
	}

	if f, ok := s.faults.take(r.Method, r.URL.Path, faultOperation(c)); ok {
		if f.Delay > 0 {
			if err := sleepCtx(r.Context(), time.Duration(f.Delay)); err != nil {
				return errorReply(spec.StatusInternalError, "Request cancelled while delayed by a fault")
			}
		}
		if f.StatusCode != nil {
			rep := errorReplyStatus(f.HTTPStatus, spec.StatusCode(*f.StatusCode), f.StatusMessage)
			rep.unchecked = true
			return rep
		}
	}

	h, ok := s.api[route.OperationID]
	if !ok {
		return errorReply(spec.StatusInternalError, "Operation %s is not implemented by the mock", route.OperationID)
	}
	return h(c)
}

func isModifying(method string) bool {
	return method == http.MethodPost || method == http.MethodPut || method == http.MethodDelete || method == http.MethodPatch
}

// readBody reads a modifying request's body within spec.MaxBodyBytes (else 413 /
// statusCode 10, D3) into c.body, for validation; other requests' bodies are ignored.
func (s *Server) readBody(w http.ResponseWriter, c *apiCall) (apiReply, bool) {
	r := c.r
	if !isModifying(r.Method) {
		r.Body = http.NoBody // GETs carry no body in the contract; never read one
		return apiReply{}, true
	}
	tooLarge := func() (apiReply, bool) {
		rep := errorReplyStatus(http.StatusRequestEntityTooLarge, spec.StatusInvalidInput,
			fmt.Sprintf("Request body is larger than %d bytes", spec.MaxBodyBytes))
		return rep, false
	}
	if r.ContentLength > spec.MaxBodyBytes {
		return tooLarge()
	}
	body, err := readAll(http.MaxBytesReader(w, r.Body, spec.MaxBodyBytes), r.ContentLength)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return tooLarge()
		}
		return errorReply(spec.StatusInvalidInput, "Cannot read the request body: %v", err), false
	}
	c.body = body
	return apiReply{}, true
}

// readAll is io.ReadAll with room for a body of the declared length from the start (most
// bodies are a few dozen bytes; io.ReadAll starts at 512).
func readAll(r io.Reader, length int64) ([]byte, error) {
	if length <= 0 || length > spec.MaxBodyBytes {
		return io.ReadAll(r)
	}
	b := make([]byte, 0, length+1) // +1: the end is seen without growing
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)] // a body longer than declared: grow as io.ReadAll does
		}
	}
}

func faultOperation(c *apiCall) string {
	if c.op != "" {
		return c.op
	}
	if c.route != nil {
		return c.route.OperationID
	}
	return ""
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// strictCheck reports request body members the operation's schema does not declare
// (D2: GWS ignores them; strict mode reports them, without refusing the request).
func (s *Server) strictCheck(c *apiCall) {
	schema, ok := spec.RequestSchema(c.op)
	if !ok {
		return
	}
	extra, err := s.contract.ExtraFields(schema, c.body)
	if err != nil || len(extra) == 0 {
		return
	}
	issues := make([]spec.Issue, len(extra))
	for i, f := range extra {
		issues[i] = spec.Issue{Where: "request body", Pointer: spec.Pointer(f), Rule: spec.RuleAdditionalProperties,
			Message: fmt.Sprintf("member %q is not in %s (GWS ignores it)", f, schema)}
	}
	s.viol.report(Violation{Time: s.now(), Kind: ViolationRequestField, Subject: c.r.Method + " " + c.route.Path, Issues: issues})
}

// unauthorized is the 401 of D8.
func (s *Server) unauthorized(w http.ResponseWriter) apiReply {
	if !s.dev.has(DevMissingWWWAuthenticate) {
		w.Header().Set(spec.HeaderWWWAuthenticate, spec.BasicChallenge(Realm))
	}
	rep := errorReply(spec.StatusNotAuthenticated, "User not authenticated")
	rep.unchecked = s.dev.has(DevMissingWWWAuthenticate)
	return rep
}

// finish self-checks the reply, applies the envelope deviations, writes it, publishes its
// events and journals the exchange.
func (s *Server) finish(w http.ResponseWriter, c *apiCall, reply apiReply, start time.Time) {
	r := c.r
	h := w.Header()
	opts := s.opts.Load()
	if r.Method == http.MethodGet && c.sess != nil && opts.EnableCsrfProtection && !s.dev.has(DevMissingCSRFHeaders) {
		h.Set(spec.HeaderCSRFHeader, spec.HeaderCSRFToken)
		h.Set(spec.HeaderCSRFToken, c.sess.csrf)
	}
	h.Set("Content-Type", reply.ctype)
	h.Set("Cache-Control", "no-store")
	if !reply.unchecked {
		// Replies given before validation (401, the CSRF 403, 413) are checked against the
		// operation the path and method name; a path the contract lacks has nothing to check.
		err := s.contract.ValidateResponseFor(r.Context(), c.route, r, reply.status, h, reply.body, spec.Strict())
		if errors.Is(err, spec.ErrNoRoute) || errors.Is(err, spec.ErrMethodNotAllowed) {
			err = nil
		}
		if err != nil {
			subject := fmt.Sprintf("%s %s %d", r.Method, r.URL.Path, reply.status)
			if c.route != nil {
				subject = fmt.Sprintf("%s %s %d", r.Method, c.route.Path, reply.status)
			}
			s.viol.report(Violation{Time: s.now(), Kind: ViolationResponse, Subject: subject, Issues: issuesOrError(err)})
			// The mock never sends what its contract forbids; events of an applied change
			// are still published (the change cannot be taken back).
			events, refOf, pull := reply.events, reply.refOf, reply.pull
			reply = errorReply(spec.StatusInternalError, "Internal error: the mock's reply broke its own contract (see GET /_mock/violations)")
			reply.events, reply.refOf, reply.pull = events, refOf, pull
			h.Set("Content-Type", reply.ctype)
		}
	}
	if reply.changed {
		s.changed() // before the reply: a client that saw it may count on the change being noted
	}
	status, body := s.deviateEnvelope(reply)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
	if len(reply.events) > 0 {
		_ = http.NewResponseController(w).Flush() // the reply first, then its notifications (D5)
		s.publish(reply.events, reply.refOf, reply.pull)
	}
	s.journalHTTP(c, status, h, body, start)
	if s.log.Enabled(r.Context(), slog.LevelDebug) {
		s.log.Debug("mock: request", "method", r.Method, "path", r.URL.Path, "status", status,
			"user", c.user.Name, "operation", c.op, "duration", time.Since(start))
	}
}

func issuesOrError(err error) []spec.Issue {
	if is := spec.IssuesOf(err); is != nil {
		return is
	}
	return []spec.Issue{{Where: "response", Rule: spec.RuleSchema, Message: err.Error()}}
}

// deviateEnvelope applies the envelope deviations to a JSON reply.
func (s *Server) deviateEnvelope(reply apiReply) (int, []byte) {
	status, body := reply.status, reply.body
	if reply.ctype != contentJSON || len(body) == 0 {
		return status, body
	}
	if reply.failed {
		if s.dev.has(DevMissingErrorMessage) {
			body = dropMember(body, spec.FieldStatusMessage)
		}
		if s.dev.has(DevExtraErrorField) {
			body = addMember(body, "mockExtra", "true")
		}
		if s.dev.has(DevWrongErrorHTTPStatus) {
			status = http.StatusOK
		}
		return status, body
	}
	if s.dev.has(DevExtraSuccessField) {
		body = addMember(body, "mockExtra", "true")
	}
	return status, body
}

func (s *Server) journalHTTP(c *apiCall, status int, h http.Header, body []byte, start time.Time) {
	r := c.r
	rec := httpRecord{
		time: start, method: r.Method, path: r.URL.Path, query: r.URL.RawQuery, status: status,
		duration:  time.Since(start),
		reqHeader: maskHeaders(r.Header), reqBody: journalBody(c.body),
		respHeader: maskHeaders(h), respBody: journalBody(body),
	}
	if c.sess != nil {
		rec.user = c.user.Name
	}
	if c.route != nil {
		rec.operation = c.route.OperationID
		if c.op != "" {
			rec.operation += " " + c.op
		}
	}
	s.journal.add(journalRecord{http: rec})
}
