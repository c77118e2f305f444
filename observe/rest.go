package observe

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/workbinkit/workbinkit/conformance"
	"github.com/workbinkit/workbinkit/spec"
)

// identify finds whose exchange it is: the HTTP session (the JSESSIONID the server set,
// else the one the request sent) and the user (Basic credentials the server accepted, else
// the session's user as an earlier request showed it).
func (k *Checker) identify(ex *Exchange) party {
	at := ex.End()
	user, hasBasic := basicUser(ex.RequestHeader)
	sid := setCookieValue(ex.ResponseHeader, spec.SessionCookie)
	if sid == "" {
		sid = cookieValue(ex.RequestHeader, spec.SessionCookie)
	}
	accepted := ex.Status != 0 && ex.Status != http.StatusUnauthorized
	if !hasBasic || !accepted {
		user = ""
	}
	if s := k.ids.session(sid, at); s != nil && user != "" && s.user == "" {
		s.user = user
	}
	return k.ids.partyOf(sid, user)
}

// decodeObject decodes a JSON object with numbers kept exact (nil if it is not one).
func decodeObject(b []byte) map[string]any {
	if len(b) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if dec.Decode(&m) != nil {
		return nil
	}
	return m
}

func intOf(v any) (int64, bool) {
	switch n := v.(type) {
	case json.Number:
		i, err := n.Int64()
		return i, err == nil
	case float64:
		return int64(n), n == float64(int64(n))
	}
	return 0, false
}

func str(m map[string]any, key string) string {
	s, _ := m[key].(string)
	return s
}

// rest judges a REST exchange.
func (k *Checker) rest(ctx context.Context, ex *Exchange) {
	p := k.identify(ex)
	req, err := http.NewRequestWithContext(ctx, ex.Method, ex.URL.String(), nil)
	if err != nil {
		k.res.pass("unreadable request " + passName(ex))
		return
	}
	req.Header = ex.RequestHeader
	if req.Header == nil {
		req.Header = http.Header{}
	}
	var ignored []spec.Issue // values beyond the known ones in a request are the client's business
	rt, verr := k.c.ValidateRequestBytes(ctx, req, ex.RequestBody, spec.CollectWarnings(&ignored))
	if rt == nil {
		k.res.pass("not in the contract: " + passName(ex))
		return
	}
	k.res.REST++
	body, _ := rt.Body.(map[string]any) // the validator's decoding, when the request was valid
	if body == nil {
		body = decodeObject(ex.RequestBody)
	}
	op := str(body, spec.FieldOperationName)
	where := ex.Method + " " + rt.Path
	variant := where
	if op != "" {
		variant = op + " · " + where
	}
	tally := k.res.Operations[variant]
	if tally == nil {
		tally = &OpTally{}
		k.res.Operations[variant] = tally
	}
	tally.Count++
	before := k.res.Errors
	defer func() {
		if k.res.Errors > before {
			tally.Failed++
		}
	}()
	if ex.Status == 0 {
		return
	}
	if ex.Incomplete != "" {
		k.res.Unjudged++
		return
	}
	success := ex.Status/100 == 2
	label := k.ids.label(p)
	reqIssues := spec.IssuesOf(verr)
	if len(reqIssues) > 0 {
		if success {
			for _, is := range reqIssues {
				rule := conformance.RuleContract
				if is.Rule == spec.RuleMutuallyExclusive {
					rule = conformance.RuleGroupParams
				}
				k.checked(rule)
				k.report(Finding{Seq: ex.Seq, Time: ex.End(), Rule: rule, Where: where + " request " + is.Where, Pointer: is.Pointer, Party: label,
					Message: fmt.Sprintf("the server accepted (HTTP %d) a request the contract rejects: %s [%s]", ex.Status, is.Message, is.Rule),
					Excerpt: excerpt(k.o.Mask, ex.RequestBody, is.Pointer)})
			}
		} else {
			k.res.RefusedInvalid++
			k.res.example(&k.res.RefusedInvalidExamples, fmt.Sprintf("#%d %s (HTTP %d): %s", ex.Seq, where, ex.Status, k.o.Mask.String(reqIssues[0].String())))
		}
	}
	var warns []spec.Issue
	k.checked(conformance.RuleContract)
	rerr := k.c.ValidateResponseFor(ctx, rt, req, ex.Status, ex.ResponseHeader, ex.ResponseBody, k.specOptions(&warns)...)
	issues := spec.IssuesOf(rerr)
	if rerr != nil && issues == nil {
		issues = []spec.Issue{{Where: "response", Rule: "unchecked", Message: rerr.Error()}}
	}
	for _, is := range issues {
		k.report(Finding{Seq: ex.Seq, Time: ex.End(), Rule: conformance.RuleContract, Where: where + " " + is.Where, Pointer: is.Pointer, Party: label,
			Message: fmt.Sprintf("HTTP %d: %s [%s]", ex.Status, is.Message, is.Rule), Excerpt: excerpt(k.o.Mask, ex.ResponseBody, is.Pointer)})
	}
	for _, is := range warns {
		k.report(Finding{Seq: ex.Seq, Time: ex.End(), Level: LevelWarning, Rule: conformance.RuleContract, Where: where + " " + is.Where, Pointer: is.Pointer, Party: label,
			Message: fmt.Sprintf("%s [%s] (a warning; --strict makes it an error)", is.Message, is.Rule), Excerpt: excerpt(k.o.Mask, ex.ResponseBody, is.Pointer)})
	}
	k.restEffects(ex, p, rt, body, decodeObject(ex.ResponseBody), success, where, op)
}

// call gathers what the rule checks of one REST exchange read.
type call struct {
	ex      *Exchange
	p       party
	label   string
	rt      *spec.Route
	where   string
	op      string
	body    map[string]any
	resp    map[string]any
	success bool // HTTP 2xx
	ok      bool // HTTP 2xx and statusCode 0 or 7
	code    int64
	hasCode bool
}

func (k *Checker) restEffects(ex *Exchange, p party, rt *spec.Route, body, resp map[string]any, success bool, where, op string) {
	c := &call{ex: ex, p: p, label: k.ids.label(p), rt: rt, where: where, op: op, body: body, resp: resp, success: success}
	c.code, c.hasCode = intOf(resp[spec.FieldStatusCode])
	c.ok = success && (!c.hasCode || c.code == int64(spec.StatusOK) || c.code == int64(spec.StatusPartialSuccess))
	k.authCheck(c)
	k.csrfCheck(c)
	if c.ok {
		k.referenceIDs(c)
	}
	k.supervisorURL(c)
	switch rt.OperationID {
	case spec.OpGetMe:
		if c.ok {
			k.me(c)
		}
	case spec.OpGetWorkbin, spec.OpGetMyWorkbin, spec.OpGetUserWorkbin, spec.OpGetWorkbinMedia, spec.OpGetMyWorkbinMedia, spec.OpGetUserWorkbinMedia:
		if c.ok {
			k.content(c)
		}
	case spec.OpPostWorkbin, spec.OpPostMyWorkbin, spec.OpPostUserWorkbin:
		w := rt.PathParams[spec.ParamWorkbinID]
		switch {
		case spec.IsPull(op):
			k.pull(c, w)
		case spec.IsAdd(op):
			k.add(c, w)
		case op == spec.Subscribe || op == spec.Unsubscribe:
			if c.ok {
				ref, _ := intOf(resp[spec.FieldReferenceID])
				k.subscription(c, w, ref)
			}
		}
	case spec.OpPostMyWorkitem, spec.OpPostMyChat, spec.OpPostMyEmail:
		// After the pull (D17): Transfer, Invite and Consult hand the interaction to another
		// user, whose notifications of it are then his own, not leaks of the pull's.
		if c.ok && (op == spec.OpTransfer || op == spec.OpInvite || op == spec.OpConsult) {
			if it := k.model.items[rt.PathParams[spec.ParamInteractionID]]; it != nil {
				it.shared = true
			}
		}
	case spec.OpPostWorkbins, spec.OpPostMyWorkbins, spec.OpPostUserWorkbins:
		switch {
		case op == spec.RequestAgentStats && c.ok:
			k.agentStats(c)
		case (op == spec.Subscribe || op == spec.Unsubscribe) && c.ok:
			refs, _ := resp[spec.FieldReferenceIDs].(map[string]any)
			ids := strings.Split(ex.URL.Query().Get(spec.ParamWorkbinIDs), ",")
			for _, w := range ids {
				if w = strings.TrimSpace(w); w != "" {
					ref, _ := intOf(refs[w])
					k.subscription(c, w, ref)
				}
			}
		}
	}
}

// authCheck: D8, a request with neither credentials nor session is refused.
func (k *Checker) authCheck(c *call) {
	if _, basic := basicUser(c.ex.RequestHeader); basic || cookieValue(c.ex.RequestHeader, spec.SessionCookie) != "" {
		return
	}
	k.checked(conformance.RuleAuth)
	if c.success {
		k.report(Finding{Seq: c.ex.Seq, Time: c.ex.End(), Rule: conformance.RuleAuth, Where: c.where,
			Message: fmt.Sprintf("a request without credentials or session cookie was answered HTTP %d; D8 wants 401 with WWW-Authenticate and statusCode 20", c.ex.Status)})
	}
}

// csrfCheck: D8, the token a GET handed out guards the session's POST/PUT/DELETE.
func (k *Checker) csrfCheck(c *call) {
	ex := c.ex
	s := k.ids.sessions[c.p.session]
	if s == nil {
		return
	}
	if ex.Method == http.MethodGet && c.success {
		if tok := ex.ResponseHeader.Get(spec.HeaderCSRFToken); tok != "" {
			s.csrfToken = tok
			if k.csrf == unknown {
				k.csrf = on
			}
		} else {
			s.getWithoutToken = true
		}
		return
	}
	if ex.Method != http.MethodPost && ex.Method != http.MethodPut && ex.Method != http.MethodDelete {
		return
	}
	sentCookie := cookieValue(ex.RequestHeader, spec.SessionCookie) == s.id
	if ex.Status == http.StatusForbidden && strings.TrimSpace(string(ex.ResponseBody)) == spec.CSRFRejection {
		if k.csrf != off {
			k.csrf = on
		}
		if sentCookie && s.csrfToken == "" && s.getWithoutToken && !s.csrfReported {
			k.checked(conformance.RuleCSRF)
			s.csrfReported = true
			k.report(Finding{Seq: ex.Seq, Time: ex.End(), Rule: conformance.RuleCSRF, Where: c.where, Party: c.label,
				Message: fmt.Sprintf("the server refused the session for a missing CSRF token, but no GET reply of the session carried %s (D8: GET /me hands out %s: %s and the token)", spec.HeaderCSRFToken, spec.HeaderCSRFHeader, spec.HeaderCSRFToken)})
		}
		return
	}
	if !sentCookie || s.csrfToken == "" || k.csrf == off {
		return
	}
	k.checked(conformance.RuleCSRF)
	if sent := ex.RequestHeader.Get(spec.HeaderCSRFToken); sent != s.csrfToken && c.success {
		what := "without the " + spec.HeaderCSRFToken + " header"
		if sent != "" {
			what = "with a " + spec.HeaderCSRFToken + " other than the one the session was handed"
		}
		k.report(Finding{Seq: ex.Seq, Time: ex.End(), Rule: conformance.RuleCSRF, Where: c.where, Party: c.label,
			Message: fmt.Sprintf("a %s %s was answered HTTP %d although CSRF protection is on (a GET handed the session a token); D8 wants 403 %q", ex.Method, what, ex.Status, spec.CSRFRejection)})
	}
}

// referenceIDs: D4, a referenceId is not answered twice within one HTTP session.
func (k *Checker) referenceIDs(c *call) {
	s := k.ids.sessions[c.p.session]
	if s == nil {
		return
	}
	check := func(ref int64, pointer string) {
		k.checked(conformance.RuleReferenceID)
		if prev := s.refs.add(ref, c.ex.End()); !prev.IsZero() {
			k.report(Finding{Seq: c.ex.Seq, Time: c.ex.End(), Rule: conformance.RuleReferenceID, Where: c.where + " response", Pointer: pointer, Party: c.label,
				Message: fmt.Sprintf("referenceId %d was already answered in this HTTP session (at %s); D4 wants it unique within the session", ref, prev.UTC().Format(time.RFC3339Nano)),
				Excerpt: fmt.Sprint(ref)})
		}
	}
	if ref, ok := intOf(c.resp[spec.FieldReferenceID]); ok {
		check(ref, spec.Pointer(spec.FieldReferenceID))
	}
	if refs, ok := c.resp[spec.FieldReferenceIDs].(map[string]any); ok {
		for _, w := range sortedKeys(refs) {
			if ref, ok := intOf(refs[w]); ok {
				check(ref, spec.Pointer(spec.FieldReferenceIDs, w))
			}
		}
	}
}

func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// supervisorURL: D10, the /users/{userId}/… URLs are refused to users without the
// supervisor role.
func (k *Checker) supervisorURL(c *call) {
	if c.rt.PathParams[spec.ParamUserID] == "" || c.p.user == "" {
		return
	}
	u := k.ids.users[c.p.user]
	if u == nil || !u.rolesKnown {
		return
	}
	k.checked(conformance.RuleSupervisor)
	if c.success && !slices.Contains(u.roles, spec.RoleSupervisor) {
		k.report(Finding{Seq: c.ex.Seq, Time: c.ex.End(), Rule: conformance.RuleSupervisor, Where: c.where, Party: c.label,
			Message: fmt.Sprintf("a user without %s (GET /me listed %v) was answered HTTP %d on a supervisor URL; D10 wants 403 / statusCode %d", spec.RoleSupervisor, u.roles, c.ex.Status, spec.StatusNoPermission)})
	}
}

// me learns the user of a session from GET /me.
func (k *Checker) me(c *call) {
	u, _ := c.resp[spec.FieldUser].(map[string]any)
	name := str(u, "userName")
	if name == "" {
		return
	}
	if s := k.ids.sessions[c.p.session]; s != nil && s.user == "" {
		s.user = name
	}
	info := k.ids.user(name, c.ex.End())
	info.id = str(u, spec.FieldID)
	if info.id != "" {
		k.ids.usersByID[info.id] = name
	}
	if roles, ok := u["roles"].([]any); ok {
		info.roles, info.rolesKnown = nil, true
		for _, r := range roles {
			if s, ok := r.(string); ok {
				info.roles = append(info.roles, s)
			}
		}
	}
}

// interactionID is the id a pull or add names (an add may name it by uri only).
func interactionID(body map[string]any) string {
	if id := str(body, spec.FieldID); id != "" {
		return id
	}
	if uri := str(body, spec.FieldURI); uri != "" {
		return path.Base(strings.TrimRight(uri, "/"))
	}
	return ""
}

// refusalTolerated: a refusal for who the caller is (credentials, CSRF, permission) says
// nothing about the interaction's state.
func refusalTolerated(c *call) bool {
	if c.ex.Status == http.StatusUnauthorized || (c.ex.Status == http.StatusForbidden && !c.hasCode) {
		return true
	}
	switch spec.StatusCode(c.code) {
	case spec.StatusForbidden, spec.StatusNoPermission, spec.StatusNotAuthenticated:
		return true
	}
	return false
}
