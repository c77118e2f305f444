package mockserver

import (
	"context"
	"errors"
	"fmt"
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
	// r is the request the pipeline handles; received is the request as it came (the
	// journal's), which a deviation's request hook may have rewritten into r.
	r, received *http.Request
	// opts are the options for this request, loaded once.
	opts  *Options
	dev   *hookSet // the deviation hooks for this request (usually none)
	route *spec.Route
	sess  *httpSession
	user  state.User
	body  []byte
	// bodyRead: the request's body was read to its end (else it is refused: refuseBody).
	bodyRead bool
	// fields are the body's members and op its operationName (POST), "" for a GET.
	fields body
	op     string
	// refs, when set, hands out the referenceIds instead of the session.
	refs func() int64
	// unlock, when set, ends the chat's turn (chatOrder) once the events are published.
	unlock func()
}

func (c *apiCall) actor() state.Actor { return state.Actor{User: c.user.Name} }

// nextRef is the session's next referenceId (D4).
func (c *apiCall) nextRef() int64 {
	if c.refs != nil {
		return c.refs()
	}
	return c.sess.nextRef()
}

// apiReply is what a handler answers: the HTTP reply, and the events to publish once it
// is sent.
type apiReply struct {
	status int
	body   []byte
	ctype  string
	events []state.Event
	// refOf gives the referenceId the requester's copy of an event carries (nil: none).
	refOf func(state.Event) int64
	// pull marks events of a pull (the media notification of a pull shows the pulled
	// interaction).
	pull bool
	// unchecked: a deviation or an injected fault shaped this reply on purpose, so it is
	// not self-checked.
	unchecked bool
	changed   bool
	// failed marks the D3 error envelope (whatever its HTTP status: a fault may send it
	// with 200).
	failed bool
}

type apiHandler func(c *apiCall) apiReply

// command names a state command or query a REST handler runs, as the deviations' command
// hooks see it (Server.run).
type command struct {
	kind  commandKind
	ref   state.WorkbinRef
	id    string       // the interaction of a pull, an add or an interaction operation
	media []spec.Media // the content arrays of a content query; an operation's media
	op    string       // the operationName of an interaction or session operation
}

// commandKind tells apart the commands a deviation hooks into; cmdOther is every other.
type commandKind int

const (
	cmdOther commandKind = iota
	cmdListWorkbins
	cmdContent
	cmdPull
	cmdAdd
	cmdOperate // an operation on an interaction (D13)
	cmdSession // StartContactCenterSession, EndContactCenterSession (D21)
)

// outcome is what a state command or query returned.
type outcome struct {
	events   []state.Event
	workbins []state.Workbin
	workbin  state.Workbin
	items    []state.Interaction
	err      error
	// reply, when set, is the answer as it is (a deviation answered).
	reply *apiReply
	// altered: a deviation changed the result, so the reply is not self-checked.
	altered bool
}

// refusal is the reply of an outcome that is not a success: a deviation's answer or the
// state's refusal.
func (o outcome) refusal() (apiReply, bool) {
	switch {
	case o.reply != nil:
		return *o.reply, true
	case o.err != nil:
		return stateError(o.err), true
	}
	return apiReply{}, false
}

// run runs a state command or query of c through the deviations' command hooks.
func (s *Server) run(c *apiCall, cmd command, do func() outcome) outcome {
	return c.dev.run(s, c, cmd, do)
}

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
	c := &apiCall{r: r, received: r, opts: s.opts.Load(), dev: s.dev.load()}
	defer func() {
		if c.unlock != nil {
			c.unlock() // after finish published the events (and also if a handler panicked)
		}
	}()
	reply := s.pipeline(w, c)
	s.finish(w, c, reply, start)
}

func (s *Server) pipeline(w http.ResponseWriter, c *apiCall) apiReply {
	sess, user, err := s.authenticate(w, c.r)
	if err != nil {
		return s.authFailure(w, err)
	}
	c.sess, c.user = sess, user
	c.dev.rewriteRequest(s, c)
	r, opts := c.r, c.opts

	if opts.EnableCsrfProtection && isModifying(r.Method) {
		if tok := r.Header.Get(spec.HeaderCSRFToken); tok == "" || tok != sess.csrf {
			return apiReply{status: http.StatusForbidden, body: []byte(spec.CSRFRejection), ctype: contentText}
		}
	}

	if reply, ok := s.readBody(w, c); !ok {
		return reply
	}
	if c.bodyRead {
		c.dev.rewriteBody(s, c)
	}

	route, err := s.contract.ValidateRequestBytes(r.Context(), r, c.body)
	c.route = route
	// D7 before the request's faults: without api-multimedia a workbin URL answers as if the
	// API did not exist, also to a malformed request (the route is known whenever the path
	// and method matched an operation, valid or not).
	// POST /me (the contact-center session) needs api-voice instead, checked by the store (D21).
	if route != nil && route.OperationID != spec.OpGetMe && route.OperationID != spec.OpPostMe && !c.user.HasFeature(spec.FeatureMultimedia) {
		return errorReply(spec.StatusNotFound, "No resource at %s: the Workbins API needs the feature %s", r.URL.Path, spec.FeatureMultimedia)
	}
	switch {
	case errors.Is(err, spec.ErrNoRoute):
		return errorReply(spec.StatusNotFound, "No resource at %s", r.URL.Path)
	case errors.Is(err, spec.ErrMethodNotAllowed) && r.URL.Path != spec.MePath() && !c.user.HasFeature(spec.FeatureMultimedia):
		// D7 for every method: to this user a workbin URL does not exist, so no 405 and no
		// Allow header telling him which methods it takes.
		return errorReply(spec.StatusNotFound, "No resource at %s: the Workbins API needs the feature %s", r.URL.Path, spec.FeatureMultimedia)
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

	return s.api.dispatch(c)
}

func isModifying(method string) bool {
	return method == http.MethodPost || method == http.MethodPut || method == http.MethodDelete || method == http.MethodPatch
}

// readBody reads a modifying request's body within spec.MaxBodyBytes (else 413 /
// statusCode 10, D3) and the body deadline (else 408) into c.body, for validation; other
// requests' bodies are not read (finish refuses them). It runs after authentication and
// the CSRF check: nobody else gets a body read.
func (s *Server) readBody(w http.ResponseWriter, c *apiCall) (apiReply, bool) {
	r := c.r
	if !isModifying(r.Method) {
		r.Body = http.NoBody // GETs carry no body in the contract; never read one
		return apiReply{}, true
	}
	body, err := s.readBodyWithin(w, r, spec.MaxBodyBytes)
	if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
		return errorReplyStatus(http.StatusRequestEntityTooLarge, spec.StatusInvalidInput,
			fmt.Sprintf("Request body is larger than %d bytes", spec.MaxBodyBytes)), false
	}
	if errors.Is(err, errBodyTimeout) {
		// Not a reply of the contract (a GWS front end would time out as it likes).
		rep := errorReplyStatus(http.StatusRequestTimeout, spec.StatusInvalidInput, fmt.Sprintf("Cannot read the request body: %v", err))
		rep.unchecked = true
		return rep, false
	}
	if err != nil {
		return errorReply(spec.StatusInvalidInput, "Cannot read the request body: %v", err), false
	}
	c.body, c.bodyRead = body, true
	return apiReply{}, true
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
	schema, ok := s.contract.RequestSchema(c.op)
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
	w.Header().Set(spec.HeaderWWWAuthenticate, spec.BasicChallenge(Realm))
	return errorReply(spec.StatusNotAuthenticated, "User not authenticated")
}

// finish self-checks the reply, runs the deviations' reply hooks on it, writes it,
// publishes its events and journals the exchange.
func (s *Server) finish(w http.ResponseWriter, c *apiCall, reply apiReply, start time.Time) {
	r := c.r
	h := w.Header()
	if r.Method == http.MethodGet && c.sess != nil && c.opts.EnableCsrfProtection {
		h.Set(spec.HeaderCSRFHeader, spec.HeaderCSRFToken)
		h.Set(spec.HeaderCSRFToken, c.sess.csrf)
	}
	h.Set("Content-Type", reply.ctype)
	h.Set("Cache-Control", "no-store")
	if c.received.ContentLength != 0 && !c.bodyRead {
		refuseBody(w) // a 401, a CSRF 403, a 413, a GET with a body: nothing more is read
	}
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
	out := reply
	c.dev.shapeReply(c, h, &out)
	status, body := out.status, out.body
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
	if len(reply.events) > 0 {
		_ = http.NewResponseController(w).Flush() // the reply first, then its notifications (D5)
		s.publish(reply.events, reply.refOf, reply.pull, baseURL(r))
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

func (s *Server) journalHTTP(c *apiCall, status int, h http.Header, body []byte, start time.Time) {
	r := c.received
	rec := httpRecord{
		time: start, method: r.Method, path: r.URL.Path, query: r.URL.RawQuery, status: status,
		duration:  time.Since(start),
		reqHeader: maskHeaders(r.Header), reqBody: journalBody(c.body),
		respHeader: maskHeaders(h), respBody: journalBody(body),
		invalidUTF8: invalidUTF8(r.Header, []byte(r.URL.Path), []byte(r.URL.RawQuery), c.body, body),
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
