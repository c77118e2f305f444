package spec

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// ErrNoRoute: no operation of the contract has this path.
var ErrNoRoute = errors.New("spec: no operation matches the path")

// ErrMethodNotAllowed: the path exists but has no operation for this method.
var ErrMethodNotAllowed = errors.New("spec: method not allowed on this path")

// Route is the operation a request matched.
type Route struct {
	// OperationID is the operationId in openapi.yaml (see the Op* constants).
	OperationID string
	// Method is the request's method.
	Method string
	// Path is the path template with the server base, e.g. /api/v2/workbins/{workbinId}.
	Path string
	// PathParams holds the path parameters by name (workbinId, userId, mediaType), decoded
	// (a%2Fb is a/b).
	PathParams map[string]string
	// Body is the request body as the validator decoded it (a JSON object is a
	// map[string]any, numbers are json.Number) when ValidateRequest found the request valid;
	// nil otherwise and without a body. It is shared: treat it as read-only. A body with
	// data after its JSON value is invalid (RuleSyntax).
	Body any

	route     *routers.Route
	info      *opInfo
	rawParams map[string]string // as the router found them, still escaped
}

// ValidateRequest finds the operation of r and checks r against it: path, query and header
// parameters, and the body. Authentication is not checked (the server does it; a 401 is a
// documented answer). It reads the whole body and leaves r.Body readable again afterwards;
// callers that accept untrusted input should cap the body first (http.MaxBytesReader).
//
// The Route is returned whenever an operation matched, also when the request breaks it
// (then with a *ValidationError). A path no operation has gives an error matching
// ErrNoRoute, a method the path lacks one matching ErrMethodNotAllowed.
//
// A body value beyond the ones the contract knows is a warning: see CollectWarnings and
// Strict.
func (c *Contract) ValidateRequest(ctx context.Context, r *http.Request, opts ...Option) (*Route, error) {
	body, err := bufferBody(r)
	if err != nil {
		return nil, err
	}
	return c.ValidateRequestBytes(ctx, r, body, opts...)
}

// ValidateRequestBytes is ValidateRequest for a request whose body the caller has read
// already (for instance within a size limit): body is what it held, nil for none. r.Body is
// left reading body.
func (c *Contract) ValidateRequestBytes(ctx context.Context, r *http.Request, body []byte, opts ...Option) (*Route, error) {
	restoreBody(r, body)
	defer restoreBody(r, body)

	rt, err := c.findRoute(r)
	if err != nil {
		return nil, err
	}
	in := &openapi3filter.RequestValidationInput{Request: r, PathParams: rt.rawParams, Route: rt.route, Options: c.opts}
	issues := requestIssues(openapi3filter.ValidateRequest(ctx, in))
	issues = append(issues, queryIssues(r.URL.RawQuery)...)
	issues = append(issues, charsetIssues("request", r.Header.Get("Content-Type"), body)...)
	issues = append(issues, exclusiveIssues(rt.info, r)...)
	if len(issues) == 0 {
		issues = trailingDataIssues("request body", r.Header.Get("Content-Type"), body)
	}
	if len(issues) > 0 {
		return rt, invalid(issues)
	}
	// Options.KeepValidatedValue: the body the validator decoded, so that the caller
	// need not decode it again.
	if vb, ok := r.Body.(interface{ ValidatedValue() any }); ok {
		rt.Body = vb.ValidatedValue()
	}
	var warnings []Issue
	if op := rt.route.Operation; op.RequestBody != nil && rt.Body != nil {
		warnings = c.reqKnown[op.RequestBody.Value].warnings("request body", rt.Body)
		sortIssues(warnings)
	}
	return rt, makeOptions(opts).finish(outcome{warnings: warnings})
}

// AllowedMethods lists the methods the contract has an operation for at r's path (r's
// method is ignored), sorted, for the Allow header of a 405 reply; nil when no path of the
// contract matches. It matches the path as ValidateRequest does (r's host matters only for
// a contract whose servers name hosts).
func (c *Contract) AllowedMethods(r *http.Request) []string { return c.routes.allowed(r) }

func (c *Contract) findRoute(r *http.Request) (*Route, error) {
	route, op, params, err := c.routes.find(r)
	if err != nil {
		return nil, fmt.Errorf("%w: %s %s", err, r.Method, r.URL.Path)
	}
	info := c.ops[op]
	if info == nil {
		return nil, fmt.Errorf("%w: %s %s", ErrNoRoute, r.Method, r.URL.Path)
	}
	decoded := params // shared when no value is escaped: openapi3filter only reads it
	for _, v := range params {
		if strings.IndexByte(v, '%') >= 0 {
			decoded = make(map[string]string, len(params))
			break
		}
	}
	if len(params) > 0 && len(decoded) == 0 {
		for k, v := range params {
			if d, err := url.PathUnescape(v); err == nil {
				v = d
			}
			decoded[k] = v
		}
	}
	return &Route{OperationID: info.id, Method: r.Method, Path: info.path, PathParams: decoded, route: route, info: info, rawParams: params}, nil
}

// ValidateResponse checks a response to r: its status must be documented for the operation,
// its documented headers present and well-formed, its body valid for its Content-Type.
// A body value beyond the ones the contract knows is a warning: see CollectWarnings and
// Strict.
func (c *Contract) ValidateResponse(ctx context.Context, r *http.Request, status int, h http.Header, body []byte, opts ...Option) error {
	rt, err := c.findRoute(r)
	if err != nil {
		return err
	}
	return c.ValidateResponseFor(ctx, rt, r, status, h, body, opts...)
}

// ValidateResponseFor is ValidateResponse for a request whose Route ValidateRequest already
// found: it skips matching the route again (the mock validates every reply it sends).
func (c *Contract) ValidateResponseFor(ctx context.Context, rt *Route, r *http.Request, status int, h http.Header, body []byte, opts ...Option) error {
	if rt == nil || rt.route == nil {
		return c.ValidateResponse(ctx, r, status, h, body, opts...)
	}
	in := &openapi3filter.RequestValidationInput{Request: r, PathParams: rt.rawParams, Route: rt.route, Options: c.opts}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: status, Header: h, Options: c.opts}
	out.SetBodyBytes(body)
	issues := responseIssues(openapi3filter.ValidateResponse(ctx, out))
	if len(issues) == 0 {
		issues = trailingDataIssues("response body", h.Get("Content-Type"), body)
	}
	var warnings []Issue
	if len(issues) == 0 {
		warnings = c.responseWarnings(rt, status, h, body)
	}
	return makeOptions(opts).finish(outcome{issues: issues, warnings: warnings})
}

// responseWarnings runs the warning pass on a JSON response body the shape pass accepted.
// The body is decoded only when its schema has something to check.
func (c *Contract) responseWarnings(rt *Route, status int, h http.Header, body []byte) []Issue {
	resp := rt.route.Operation.Responses.Status(status)
	if resp == nil {
		resp = rt.route.Operation.Responses.Default()
	}
	if resp == nil || len(body) == 0 {
		return nil
	}
	n := c.respKnown[resp.Value]
	if n == nil || !n.checks || !isJSON(h.Get("Content-Type")) {
		return nil
	}
	v, err := decodeJSON(body)
	if err != nil {
		return nil // the shape pass reported it
	}
	w := n.warnings("response body", v)
	sortIssues(w)
	return w
}

func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

// trailingDataIssues reports a JSON body that is more than one JSON value: openapi3filter
// decodes the first value and ignores the rest.
func trailingDataIssues(where, contentType string, body []byte) []Issue {
	if len(body) == 0 || json.Valid(body) {
		return nil
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return nil
	}
	_, err = decodeJSON(body)
	if err == nil {
		return nil
	}
	return []Issue{{Where: where, Rule: RuleSyntax, Message: err.Error()}}
}

func bufferBody(r *http.Request) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	body, err := io.ReadAll(r.Body)
	_ = r.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("spec: reading the request body: %w", err)
	}
	return body, nil
}

func restoreBody(r *http.Request, body []byte) {
	if body == nil {
		r.Body = http.NoBody
		r.GetBody = func() (io.ReadCloser, error) { return http.NoBody, nil }
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
}

func exclusiveIssues(info *opInfo, r *http.Request) []Issue {
	if len(info.exclusive) == 0 {
		return nil
	}
	q := r.URL.Query()
	var out []Issue
	for _, group := range info.exclusive {
		var given []string
		for _, n := range group {
			if _, ok := q[n]; ok {
				given = append(given, n)
			}
		}
		if len(given) > 1 {
			out = append(out, Issue{
				Where:   "query parameters " + strings.Join(given, ", "),
				Rule:    RuleMutuallyExclusive,
				Message: "at most one of " + strings.Join(group, ", ") + " may be given",
			})
		}
	}
	return out
}

// queryIssues reports each query parameter whose name or value is not valid
// percent-encoding ("agentGroup=%zz"). net/url drops such a pair without a word, so the
// validator would take the parameter for absent: "missing agentGroup" for a value that was
// given, but malformed.
func queryIssues(rawQuery string) []Issue {
	var out []Issue
	for pair := range strings.SplitSeq(rawQuery, "&") {
		if pair == "" {
			continue
		}
		key, value, _ := strings.Cut(pair, "=")
		name, err := url.QueryUnescape(key)
		if err != nil {
			name = key
		}
		if err == nil {
			_, err = url.QueryUnescape(value)
		}
		if err != nil {
			out = append(out, Issue{
				Where: "query parameter " + name, Rule: RuleSyntax,
				Message: fmt.Sprintf("malformed percent-encoding in %q: %% must be followed by two hexadecimal digits", pair),
			})
		}
	}
	return out
}

// charsetIssues reports a JSON body declared in a charset other than UTF-8
// ("application/json; charset=utf-16"): JSON exchanged between systems is UTF-8 (RFC 8259
// section 8.1), and the validator, which ignores the parameter, would read the bytes as
// UTF-8 anyway. No charset, or utf-8 in any case (utf8 too), is fine.
func charsetIssues(side, contentType string, body []byte) []Issue {
	if len(body) == 0 {
		return nil
	}
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return nil
	}
	cs, ok := params["charset"]
	if !ok || strings.EqualFold(cs, "utf-8") || strings.EqualFold(cs, "utf8") {
		return nil
	}
	return []Issue{{Where: side + " header Content-Type", Rule: RuleContentType,
		Message: fmt.Sprintf("charset %q is not supported: a JSON body is UTF-8 (charset=utf-8, or no charset)", cs)}}
}

// requestIssues maps openapi3filter's request errors to issues.
func requestIssues(err error) []Issue {
	switch e := err.(type) {
	case nil:
		return nil
	case openapi3.MultiError:
		var out []Issue
		for _, x := range e {
			out = append(out, requestIssues(x)...)
		}
		return out
	case *openapi3filter.RequestError:
		where := "request"
		switch {
		case e.Parameter != nil:
			where = e.Parameter.In + " parameter " + e.Parameter.Name
		case e.RequestBody != nil:
			where = "request body"
		}
		return filterIssues(where, e.Reason, e.Err)
	case *openapi3filter.SecurityRequirementsError:
		return []Issue{{Where: "request", Rule: "security", Message: "no security requirement is met"}}
	}
	return []Issue{{Where: "request", Rule: RuleSchema, Message: err.Error()}}
}

var headerInReason = regexp.MustCompile(`header "([^"]+)"`)

// responseIssues maps openapi3filter's response errors to issues.
func responseIssues(err error) []Issue {
	switch e := err.(type) {
	case nil:
		return nil
	case openapi3.MultiError:
		var out []Issue
		for _, x := range e {
			out = append(out, responseIssues(x)...)
		}
		return out
	case *openapi3filter.ResponseError:
		where := "response body"
		if m := headerInReason.FindStringSubmatch(e.Reason); m != nil {
			where = "response header " + m[1]
		}
		switch {
		case e.Reason == "status is not supported":
			return []Issue{{Where: "response status", Rule: RuleStatus, Message: "the operation does not document this status"}}
		case strings.HasSuffix(e.Reason, " missing") && e.Err == nil:
			return []Issue{{Where: where, Rule: RuleRequired, Message: e.Reason}}
		}
		return filterIssues(where, e.Reason, e.Err)
	}
	return []Issue{{Where: "response", Rule: RuleSchema, Message: err.Error()}}
}

// filterIssues maps the cause of one openapi3filter error.
func filterIssues(where, reason string, cause error) []Issue {
	if cause == nil {
		rule := "invalid"
		switch {
		case strings.Contains(reason, "required but missing"), strings.Contains(reason, "must not be empty"):
			rule = RuleRequired
		case strings.Contains(reason, "Content-Type"), strings.Contains(reason, "content type"):
			rule = RuleContentType
		}
		return []Issue{{Where: where, Rule: rule, Message: reason}}
	}
	var se *openapi3.SchemaError
	var me openapi3.MultiError
	var pe *openapi3filter.ParseError
	switch {
	case errors.Is(cause, openapi3filter.ErrInvalidRequired), errors.Is(cause, openapi3filter.ErrInvalidEmptyValue):
		return []Issue{{Where: where, Rule: RuleRequired, Message: cause.Error()}}
	case errors.As(cause, &me), errors.As(cause, &se):
		return kinSchemaIssues(where, cause)
	case errors.As(cause, &pe):
		rule := RuleType
		if where == "request body" || where == "response body" {
			rule = RuleSyntax
		}
		msg := pe.Error()
		if rule == RuleSyntax {
			msg = "invalid JSON: " + msg
		}
		return []Issue{{Where: where, Rule: rule, Message: msg}}
	}
	if strings.Contains(reason, "Content-Type") || strings.Contains(reason, "content type") {
		return []Issue{{Where: where, Rule: RuleContentType, Message: reason}}
	}
	return []Issue{{Where: where, Rule: "invalid", Message: reason + ": " + cause.Error()}}
}
