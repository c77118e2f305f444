package conformance

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/workbinkit/workbinkit/spec"
)

// maxResponseBytes bounds a response body the suite reads: a target that streams forever
// must not exhaust memory.
const maxResponseBytes = 8 << 20

// target is what every session of a run shares: where the target is, how to reach it, the
// contract to check replies against, and the masker. Read-only after newTarget.
type target struct {
	base      *url.URL
	cometd    string
	transport http.RoundTripper
	contract  *spec.Contract
	mask      *Masker
	timeouts  Timeouts
	// strict: --strict (an undocumented 4xx status is then a contract fault, see validate).
	strict bool
}

func newTarget(o *Options, contract *spec.Contract, mask *Masker) (*target, error) {
	base, err := url.Parse(strings.TrimSuffix(o.Target, "/"))
	if err != nil {
		return nil, fmt.Errorf("conformance: target: %w", err)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	if base.Scheme == "https" {
		if tr.TLSClientConfig, err = tlsConfig(&o.TLS); err != nil {
			return nil, err
		}
	}
	return &target{
		base:      base,
		cometd:    base.String() + o.CometDPath,
		transport: tr,
		contract:  contract,
		mask:      mask,
		timeouts:  o.Timeouts,
		strict:    o.Strict,
	}, nil
}

// tlsConfig is the client TLS configuration of o: a lab CA added to the system's roots,
// or no verification at all (test labs). The target's, and a webhook hook's, use it.
func tlsConfig(o *TLS) (*tls.Config, error) {
	cfg := &tls.Config{InsecureSkipVerify: o.InsecureSkipVerify} //nolint:gosec // a documented lab option
	if o.CAFile != "" {
		pem, err := os.ReadFile(o.CAFile)
		if err != nil {
			return nil, fmt.Errorf("conformance: tls.caFile: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("conformance: tls.caFile %s: no PEM certificate found", o.CAFile)
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}

// Exchange is one recorded HTTP request and its response. Headers are masked when
// recorded; bodies are kept as sent and received and masked when printed.
type Exchange struct {
	Seq            int
	Role           Role
	Method         string
	URL            string
	Route          string // the contract's path template, when the request matched one
	RequestHeader  http.Header
	RequestBody    []byte
	Status         int
	ResponseHeader http.Header
	ResponseBody   []byte
	Err            error
	Start          time.Time
	Duration       time.Duration
	// Issues are the contract faults of the response (nil when it conforms).
	Issues []spec.Issue
	// Warnings are the response's values beyond the ones the contract knows (spec's warning
	// level): the spec's warnings, not failures (--strict validates them as Issues).
	Warnings []spec.Issue
	// Unvalidated says why the response could not be checked against the contract.
	Unvalidated string
}

// Where names the exchange for failure messages: "POST /api/v2/workbins/{workbinId} (agent)".
func (e *Exchange) Where() string {
	p := e.Route
	if p == "" {
		if u, err := url.Parse(e.URL); err == nil {
			p = u.Path
		}
	}
	return fmt.Sprintf("%s %s (%s)", e.Method, p, e.Role)
}

// JSON decodes the response body as a JSON object (nil if it is not one).
func (e *Exchange) JSON() map[string]any {
	var m map[string]any
	if err := decodeNumber(e.ResponseBody, &m); err != nil {
		return nil
	}
	return m
}

// maxDumpBody bounds each body in a dump.
const maxDumpBody = 4096

// Dump prints the exchange (masked by the caller).
func (e *Exchange) Dump() string {
	var b strings.Builder
	fmt.Fprintf(&b, "#%d %s %s  [%s, %s]\n", e.Seq, e.Method, e.URL, e.Role, e.Duration.Round(time.Millisecond))
	writeHeaders(&b, "  > ", e.RequestHeader)
	if len(e.RequestBody) > 0 {
		fmt.Fprintf(&b, "  > %s\n", clip(e.RequestBody))
	}
	if e.Err != nil {
		fmt.Fprintf(&b, "  ✗ %v\n", e.Err)
		return b.String()
	}
	fmt.Fprintf(&b, "  < HTTP %d\n", e.Status)
	writeHeaders(&b, "  < ", e.ResponseHeader)
	if len(e.ResponseBody) > 0 {
		fmt.Fprintf(&b, "  < %s\n", clip(e.ResponseBody))
	}
	if e.Unvalidated != "" {
		fmt.Fprintf(&b, "  ! not checked against the contract: %s\n", e.Unvalidated)
	}
	return b.String()
}

func writeHeaders(b *strings.Builder, prefix string, h http.Header) {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range h[k] {
			fmt.Fprintf(b, "%s%s: %s\n", prefix, k, v)
		}
	}
}

func clip(body []byte) string {
	s := string(body)
	if len(s) > maxDumpBody {
		return s[:maxDumpBody] + fmt.Sprintf("… (%d bytes)", len(body))
	}
	return s
}

// exchangeLog keeps the exchanges of one spec, for failure output. Safe for concurrent use.
type exchangeLog struct {
	mu  sync.Mutex
	all []*Exchange
}

func (l *exchangeLog) add(e *Exchange) {
	l.mu.Lock()
	e.Seq = len(l.all) + 1
	l.all = append(l.all, e)
	l.mu.Unlock()
}

func (l *exchangeLog) dump(m *Masker) string {
	l.mu.Lock()
	all := slices.Clone(l.all)
	l.mu.Unlock()
	var b strings.Builder
	for _, e := range all {
		b.WriteString(e.Dump())
	}
	return m.String(b.String())
}

// Session is one user's HTTP session with the target: its cookie jar (shared with its
// CometD client), its CSRF token, its referenceIds.
type Session struct {
	t         *target
	role      Role
	creds     Credentials
	http      *http.Client
	userAgent string
	log       *exchangeLog

	mu         sync.Mutex
	csrfHeader string
	csrfToken  string
	userID     string
	refs       map[int64]bool
}

// newSession makes a session; it sends nothing.
func (t *target) newSession(role Role, creds Credentials, userAgent string, log *exchangeLog) *Session {
	jar, _ := cookiejar.New(nil) // never fails without options
	return &Session{
		t: t, role: role, creds: creds, userAgent: userAgent, log: log,
		http: &http.Client{Transport: t.transport, Jar: jar,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		refs: map[int64]bool{},
	}
}

// HTTPClient is the session's client (its cookie jar), for the CometD client.
func (s *Session) HTTPClient() *http.Client { return s.http }

// reqOption changes one request.
type reqOption func(*reqSpec)

type reqSpec struct {
	noAuth      bool
	noCSRF      bool
	csrfToken   *string
	rawBody     []byte
	contentType string
	query       url.Values
	basicAs     *Credentials
	bearer      string
	unchecked   bool
	cookieOnly  bool
}

// noAuth sends neither credentials nor cookies.
func noAuth() reqOption { return func(r *reqSpec) { r.noAuth = true } }

// cookieOnly authenticates by the session's cookie alone (no Basic credentials).
func cookieOnly() reqOption { return func(r *reqSpec) { r.cookieOnly = true } }

// noCSRF leaves the CSRF token out.
func noCSRF() reqOption { return func(r *reqSpec) { r.noCSRF = true } }

// csrfToken sends this token instead of the session's.
func csrfToken(v string) reqOption { return func(r *reqSpec) { r.csrfToken = &v } }

// rawBody sends body as is.
func rawBody(body []byte, contentType string) reqOption {
	return func(r *reqSpec) { r.rawBody, r.contentType = body, contentType }
}

// withQuery adds the query parameters of each set (spec/urls.go builds them).
func withQuery(sets ...url.Values) reqOption {
	return func(r *reqSpec) {
		if r.query == nil {
			r.query = url.Values{}
		}
		for _, set := range sets {
			for k, vs := range set {
				for _, v := range vs {
					r.query.Add(k, v)
				}
			}
		}
	}
}

// basicAs sends these Basic credentials instead of the session's (and no cookie).
func basicAs(c Credentials) reqOption { return func(r *reqSpec) { r.basicAs = &c } }

// adminCall is a request to the mock's admin API: a bearer token (if any) instead of the
// user's credentials, and no contract check (the admin API is not the GWS contract).
func adminCall(token string) reqOption {
	return func(r *reqSpec) { r.unchecked, r.bearer = true, token }
}

// Do sends one request to the target. path is absolute on the target ("/api/v2/me");
// body is marshalled to JSON unless rawBody is given. The response is checked against the
// contract and the exchange recorded; transport errors are in Exchange.Err.
func (s *Session) Do(ctx context.Context, method, path string, body any, opts ...reqOption) *Exchange {
	var rs reqSpec
	for _, o := range opts {
		o(&rs)
	}
	u := *s.t.base
	// path comes escaped (spec's path helpers escape each segment): RawPath sends it as it
	// is, and Path is its decoded form (set alone, Path would have its % escaped again).
	raw := strings.TrimSuffix(u.EscapedPath(), "/") + path
	if dec, err := url.PathUnescape(raw); err == nil {
		u.Path, u.RawPath = dec, raw
	} else {
		u.Path, u.RawPath = raw, "" // not an escaped path: sent escaped, as before
	}
	if rs.query != nil {
		u.RawQuery = rs.query.Encode()
	}
	var data []byte
	contentType := rs.contentType
	switch {
	case rs.rawBody != nil:
		data = rs.rawBody
	case body != nil:
		b, err := json.Marshal(body)
		if err != nil {
			panic(fmt.Sprintf("conformance: marshalling a request body: %v", err)) // a suite bug
		}
		data = b
		contentType = "application/json"
	}
	ex := &Exchange{Role: s.role, Method: method, URL: u.String(), RequestBody: data, Start: time.Now()}
	defer s.log.add(ex)

	ctx, cancel := context.WithTimeout(ctx, s.t.timeouts.Request.D())
	defer cancel()
	var rd io.Reader
	if data != nil {
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		ex.Err = err
		return ex
	}
	req.Header.Set("User-Agent", s.userAgent)
	req.Header.Set("Accept", "application/json")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	client := s.http
	switch {
	case rs.unchecked:
		client = &http.Client{Transport: s.t.transport, CheckRedirect: s.http.CheckRedirect}
		if rs.bearer != "" {
			req.Header.Set("Authorization", "Bearer "+rs.bearer)
		}
	case rs.noAuth:
		client = &http.Client{Transport: s.t.transport, CheckRedirect: s.http.CheckRedirect}
	case rs.basicAs != nil:
		client = &http.Client{Transport: s.t.transport, CheckRedirect: s.http.CheckRedirect}
		req.SetBasicAuth(rs.basicAs.User, rs.basicAs.Password)
	case rs.cookieOnly:
	default:
		// Basic on every call as well as the cookie: the session survives a target that
		// drops it, and the CSRF token stays tied to the cookie's session.
		req.SetBasicAuth(s.creds.User, s.creds.Password)
	}
	if method != http.MethodGet && !rs.noAuth && rs.basicAs == nil && !rs.noCSRF && !rs.unchecked {
		s.mu.Lock()
		name, tok := s.csrfHeader, s.csrfToken
		s.mu.Unlock()
		if rs.csrfToken != nil {
			tok = *rs.csrfToken
			if name == "" {
				name = spec.HeaderCSRFToken
			}
		}
		if name != "" && tok != "" {
			req.Header.Set(name, tok)
		}
	}
	recorded := req.Header.Clone()
	if client.Jar != nil {
		for _, c := range client.Jar.Cookies(req.URL) {
			recorded.Add("Cookie", c.Name+"="+c.Value)
		}
	}
	ex.RequestHeader = s.t.mask.Header(recorded)

	resp, err := client.Do(req)
	ex.Duration = time.Since(ex.Start)
	if err != nil {
		ex.Err = err
		return ex
	}
	defer resp.Body.Close()
	rb, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	ex.Duration = time.Since(ex.Start)
	ex.Status = resp.StatusCode
	ex.ResponseHeader = s.t.mask.Header(resp.Header)
	if method == http.MethodGet && resp.StatusCode == http.StatusOK && !rs.noAuth && rs.basicAs == nil && !rs.unchecked {
		s.setCSRF(resp.Header) // every GET hands out the session's token (D8)
	}
	ex.ResponseBody = rb
	if err != nil {
		ex.Err = fmt.Errorf("reading the response: %w", err)
		return ex
	}
	if len(rb) > maxResponseBytes {
		ex.Err = fmt.Errorf("response larger than %d bytes", maxResponseBytes)
		return ex
	}
	if !rs.unchecked {
		s.validate(ctx, ex, method, path, u.RawQuery, resp.Header)
	}
	return ex
}

// validate checks the response against the contract. The request is rebuilt on the
// contract's own base (/api/v2…) so a target mounted under a path prefix still matches.
func (s *Session) validate(ctx context.Context, ex *Exchange, method, path, rawQuery string, h http.Header) {
	vr, err := http.NewRequestWithContext(ctx, method, "http://target"+path, nil)
	if err != nil {
		ex.Unvalidated = err.Error()
		return
	}
	vr.URL.RawQuery = rawQuery
	if rt, err := s.t.contract.ValidateRequest(ctx, vr); rt != nil {
		ex.Route = rt.Path
	} else if err != nil && !errors.Is(err, spec.ErrNoRoute) && !errors.Is(err, spec.ErrMethodNotAllowed) {
		ex.Unvalidated = err.Error()
	}
	opt := spec.CollectWarnings(&ex.Warnings)
	if s.t.strict {
		opt = spec.Strict()
	}
	err = s.t.contract.ValidateResponse(ctx, vr, ex.Status, h, ex.ResponseBody, opt)
	switch {
	case err == nil:
	case errors.Is(err, spec.ErrNoRoute), errors.Is(err, spec.ErrMethodNotAllowed):
		ex.Unvalidated = "the contract has no operation for " + method + " " + path
	default:
		issues := spec.IssuesOf(err)
		if issues == nil {
			issues = []spec.Issue{{Where: "response", Rule: spec.RuleSchema, Message: err.Error()}}
		}
		if !s.t.strict && ex.Status >= 400 && ex.Status <= 499 {
			issues = s.tolerateUndocumented4xx(ex, issues)
		}
		ex.Issues = issues
	}
}

// tolerateUndocumented4xx drops the "status not documented" issue of a 4xx reply and checks
// its body against the error envelope instead. Tolerance (decisions.md D3): refusals accept
// any 4xx status by default, and a server may refuse with one the contract does not list
// (409 for a second pull); the reply must still be {statusCode, statusMessage}. --strict
// keeps the status issue: the D3 table is exact there.
func (s *Session) tolerateUndocumented4xx(ex *Exchange, issues []spec.Issue) []spec.Issue {
	if !slices.ContainsFunc(issues, func(is spec.Issue) bool { return is.Rule == spec.RuleStatus }) {
		return issues
	}
	out := slices.DeleteFunc(slices.Clone(issues), func(is spec.Issue) bool { return is.Rule == spec.RuleStatus })
	err := s.t.contract.ValidateDocument(spec.ErrorSchema, ex.ResponseBody)
	if err == nil {
		return out
	}
	body := spec.IssuesOf(err)
	if body == nil {
		body = []spec.Issue{{Rule: spec.RuleSchema, Message: err.Error()}}
	}
	for _, is := range body {
		is.Where = fmt.Sprintf("response body (error envelope %s, for the undocumented HTTP %d)", spec.ErrorSchema, ex.Status)
		out = append(out, is)
	}
	return out
}

// Login calls GET /api/v2/me with Basic credentials: it starts the session (cookie) and
// picks up the CSRF header name and token. It returns the exchange and the user resource.
func (s *Session) Login(ctx context.Context) (*Exchange, map[string]any) {
	ex := s.Do(ctx, http.MethodGet, spec.MePath(), nil)
	if ex.Err != nil || ex.Status != http.StatusOK {
		return ex, nil
	}
	body := ex.JSON()
	user, _ := body[spec.FieldUser].(map[string]any)
	s.mu.Lock()
	defer s.mu.Unlock()
	if id, ok := user[spec.FieldID].(string); ok {
		s.userID = id
	}
	return ex, user
}

// setCSRF records the CSRF header name and token of a GET reply.
func (s *Session) setCSRF(h http.Header) {
	name := h.Get(spec.HeaderCSRFHeader)
	tok := h.Get(spec.HeaderCSRFToken)
	if tok == "" {
		return
	}
	if name == "" {
		name = spec.HeaderCSRFToken
	}
	s.mu.Lock()
	s.csrfHeader, s.csrfToken = name, tok
	s.mu.Unlock()
}

// noteReference records a referenceId of this session and reports whether it was new.
func (s *Session) noteReference(ref int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refs[ref] {
		return false
	}
	s.refs[ref] = true
	return true
}

// lastReference is the highest referenceId seen so far (0 if none).
func (s *Session) lastReference() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var hi int64
	for r := range s.refs {
		hi = max(hi, r)
	}
	return hi
}

// UserID is the user's id from GET /me ("" before Login).
func (s *Session) UserID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.userID
}

// decodeNumber decodes JSON keeping numbers as json.Number (integers stay exact).
func decodeNumber(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the JSON value")
	}
	return nil
}
