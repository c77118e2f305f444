package spec

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
)

func newRequest(method, target, contentType, body string) *http.Request {
	var r *http.Request
	if body == "" {
		r = httptest.NewRequest(method, target, nil)
	} else {
		r = httptest.NewRequest(method, target, strings.NewReader(body))
	}
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	return r
}

func TestValidateRequest(t *testing.T) {
	c := loadT(t)
	const wb = "/api/v2/workbins/3434543fafwe987"
	const js = "application/json"
	tests := []struct {
		name, method, target, ct, body string
		op                             string
		params                         map[string]string
		rule, where, pointer           string // "" rule: valid
	}{
		{"pull", "POST", wb, js, `{"operationName":"PullWorkitem","id":"02F0ASAK8EAFA00W"}`, OpPostWorkbin, map[string]string{ParamWorkbinID: "3434543fafwe987"}, "", "", ""},
		{"pull on any host, charset", "POST", "http://gws.example.com:8090" + wb, "application/json; charset=UTF-8", `{"operationName":"PullInteraction","id":"x","nickname":"M"}`, OpPostWorkbin, nil, "", "", ""},
		{"pull, unknown extra field ignored (D2)", "POST", wb, js, `{"operationName":"PullChat","id":"x","foo":1}`, OpPostWorkbin, nil, "", "", ""},
		{"pull without id", "POST", wb, js, `{"operationName":"PullWorkitem"}`, OpPostWorkbin, nil, RuleRequired, "request body", "/id"},
		{"unknown operationName", "POST", wb, js, `{"operationName":"PullEverything","id":"x"}`, OpPostWorkbin, nil, RuleDiscriminator, "request body", "/operationName"},
		{"operationName missing", "POST", wb, js, `{"id":"x"}`, OpPostWorkbin, nil, RuleRequired, "request body", "/operationName"},
		{"operationName not a string", "POST", wb, js, `{"operationName":5,"id":"x"}`, OpPostWorkbin, nil, RuleType, "request body", "/operationName"},
		{"operationName null", "POST", "/api/v2/workbins", js, `{"operationName":null}`, OpPostWorkbins, nil, RuleType, "request body", "/operationName"},
		{"id of the wrong type", "POST", wb, js, `{"operationName":"PullWorkitem","id":5}`, OpPostWorkbin, nil, RuleType, "request body", "/id"},
		{"id too long", "POST", wb, js, `{"operationName":"PullWorkitem","id":"` + strings.Repeat("x", 256) + `"}`, OpPostWorkbin, nil, RuleMaxLength, "request body", "/id"},
		{"malformed JSON", "POST", wb, js, `{"operationName":"PullWorkitem",`, OpPostWorkbin, nil, RuleSyntax, "request body", ""},
		{"data after the JSON value", "POST", wb, js, `{"operationName":"PullWorkitem","id":"x"} {}`, OpPostWorkbin, nil, RuleSyntax, "request body", ""},
		{"body not JSON", "POST", wb, "text/plain", `PullWorkitem`, OpPostWorkbin, nil, RuleContentType, "request body", ""},
		{"no body", "POST", wb, "", ``, OpPostWorkbin, nil, RuleRequired, "request body", ""},
		{"add by id", "POST", wb, js, `{"operationName":"AddWorkitem","id":"02F0ASAK8EAFA90W","saveLAR":true}`, OpPostWorkbin, nil, "", "", ""},
		{"add by uri", "POST", wb, js, `{"operationName":"AddEmail","uri":"http://h/api/v2/emails/x"}`, OpPostWorkbin, nil, "", "", ""},
		{"add without id or uri", "POST", wb, js, `{"operationName":"AddWorkitem"}`, OpPostWorkbin, nil, RuleAnyOf, "request body", ""},
		{"subscribe", "POST", wb, js, `{"operationName":"Subscribe"}`, OpPostWorkbin, nil, "", "", ""},
		{"RequestAgentStats on a workbin", "POST", wb, js, `{"operationName":"RequestAgentStats"}`, OpPostWorkbin, nil, RuleDiscriminator, "request body", "/operationName"},
		{"group pull", "POST", "/api/v2/me/workbins/w?agentGroup=MyAgentGroup", js, `{"operationName":"PullChat","id":"x"}`, OpPostMyWorkbin, map[string]string{ParamWorkbinID: "w"}, "", "", ""},
		{"place group pull", "POST", "/api/v2/me/workbins/w?placeGroup=MyPlaceGroup", js, `{"operationName":"PullWorkitem","id":"x"}`, OpPostMyWorkbin, nil, "", "", ""},
		{"both groups (D1)", "POST", "/api/v2/me/workbins/w?agentGroup=a&placeGroup=b", js, `{"operationName":"PullWorkitem","id":"x"}`, OpPostMyWorkbin, nil, RuleMutuallyExclusive, "query parameters agentGroup, placeGroup", ""},
		{"empty group name", "POST", "/api/v2/me/workbins/w?agentGroup=", js, `{"operationName":"PullWorkitem","id":"x"}`, OpPostMyWorkbin, nil, RuleMinLength, "query parameter agentGroup", ""},
		{"supervisor pull", "POST", "/api/v2/users/c9f0f895fb98ab9159f51fd0297e236d/workbins/w", js, `{"operationName":"PullWorkitem","id":"x"}`, OpPostUserWorkbin, map[string]string{ParamUserID: "c9f0f895fb98ab9159f51fd0297e236d", ParamWorkbinID: "w"}, "", "", ""},
		{"subscribe many", "POST", "/api/v2/me/workbins?workbinIds=a,b", js, `{"operationName":"Subscribe"}`, OpPostMyWorkbins, nil, "", "", ""},
		{"subscribe many without workbinIds", "POST", "/api/v2/me/workbins", js, `{"operationName":"Subscribe"}`, OpPostMyWorkbins, nil, RuleRequired, "query parameter workbinIds", ""},
		{"pull on a collection URL", "POST", "/api/v2/me/workbins?workbinIds=a", js, `{"operationName":"PullWorkitem","id":"x"}`, OpPostMyWorkbins, nil, RuleDiscriminator, "request body", "/operationName"},
		{"supervisor subscribe many", "POST", "/api/v2/users/u/workbins?workbinIds=a", js, `{"operationName":"Unsubscribe"}`, OpPostUserWorkbins, nil, "", "", ""},
		{"agent stats", "POST", "/api/v2/workbins", js, `{"operationName":"RequestAgentStats","workbinType":"AgentGroup","workbinOwner":"MyAgentGroup"}`, OpPostWorkbins, nil, "", "", ""},
		{"agent stats, bad type", "POST", "/api/v2/workbins", js, `{"operationName":"RequestAgentStats","workbinType":"Queue"}`, OpPostWorkbins, nil, RuleEnum, "request body", "/workbinType"},
		{"me", "GET", "/api/v2/me?subresources=*", "", ``, OpGetMe, nil, "", "", ""},
		{"list", "GET", "/api/v2/workbins?fields=*", "", ``, OpListWorkbins, nil, "", "", ""},
		{"list mine", "GET", "/api/v2/me/workbins", "", ``, OpListMyWorkbins, nil, "", "", ""},
		{"content", "GET", "/api/v2/workbins/w?subresources=*", "", ``, OpGetWorkbin, nil, "", "", ""},
		{"content, plural subresource", "GET", "/api/v2/workbins/w?subresources=chats", "", ``, OpGetWorkbin, nil, RulePattern, "query parameter subresources", ""},
		{"group content", "GET", "/api/v2/me/workbins/w?subresources=chat,email&agentGroup=g", "", ``, OpGetMyWorkbin, nil, "", "", ""},
		{"group content, both groups", "GET", "/api/v2/me/workbins/w?agentGroup=g&placeGroup=p", "", ``, OpGetMyWorkbin, nil, RuleMutuallyExclusive, "query parameters agentGroup, placeGroup", ""},
		{"media content", "GET", "/api/v2/workbins/w/workitems?fields=*", "", ``, OpGetWorkbinMedia, map[string]string{ParamWorkbinID: "w", ParamMediaType: "workitems"}, "", "", ""},
		{"media content, unknown media", "GET", "/api/v2/workbins/w/tweets", "", ``, OpGetWorkbinMedia, nil, RuleEnum, "path parameter mediaType", ""},
		{"escaped ids are decoded", "GET", "/api/v2/users/x%40y/workbins/a%2Fb", "", ``, OpGetUserWorkbin, map[string]string{ParamUserID: "x@y", ParamWorkbinID: "a/b"}, "", "", ""},
		{"supervisor media content", "GET", "/api/v2/users/u/workbins/w/emails?subresources=*", "", ``, OpGetUserWorkbinMedia, nil, "", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rt, err := c.ValidateRequest(context.Background(), newRequest(tc.method, tc.target, tc.ct, tc.body))
			if rt == nil {
				t.Fatalf("no route: %v", err)
			}
			if rt.OperationID != tc.op {
				t.Errorf("operation %s, want %s", rt.OperationID, tc.op)
			}
			for k, v := range tc.params {
				if rt.PathParams[k] != v {
					t.Errorf("path parameter %s = %q, want %q", k, rt.PathParams[k], v)
				}
			}
			if tc.rule == "" {
				if err != nil {
					t.Fatalf("valid request rejected: %v", err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("want a *ValidationError, got %v", err)
			}
			for _, is := range ve.Issues {
				if is.Rule == tc.rule && is.Where == tc.where && is.Pointer == tc.pointer {
					return
				}
			}
			t.Errorf("want %s at %s %q; got %v", tc.rule, tc.where, tc.pointer, ve.Issues)
		})
	}
}

func TestValidateRequestRouting(t *testing.T) {
	c := loadT(t)
	for _, tc := range []struct {
		method, target string
		want           error
	}{
		{"GET", "/api/v2/nosuchthing", ErrNoRoute},
		{"GET", "/workbins/x", ErrNoRoute}, // the server base is part of the path
		{"GET", "/api/v2/workbins/a/b/c", ErrNoRoute},
		{"GET", "/api/v2/notifications", ErrNoRoute}, // Bayeux, not REST
		{"DELETE", "/api/v2/workbins/x", ErrMethodNotAllowed},
		{"PUT", "/api/v2/me", ErrMethodNotAllowed},
		{"DELETE", "/api/v2/me", ErrMethodNotAllowed},
		{"POST", "/api/v2/workbins/w/chats", ErrMethodNotAllowed},
	} {
		rt, err := c.ValidateRequest(context.Background(), newRequest(tc.method, tc.target, "", ""))
		if rt != nil || !errors.Is(err, tc.want) {
			t.Errorf("%s %s: route %v, error %v; want %v", tc.method, tc.target, rt, err, tc.want)
		}
		if IssuesOf(err) != nil {
			t.Errorf("%s %s: a routing error is not a *ValidationError", tc.method, tc.target)
		}
	}
}

func TestValidateRequestBody(t *testing.T) {
	c := loadT(t)
	const wb = "/api/v2/workbins/w"
	for _, tc := range []struct {
		name, method, target, body string
		want                       any
	}{
		{"valid pull", "POST", wb, `{"operationName":"PullChat","id":"x","nickname":"M\u00e9","id":"y"}`,
			map[string]any{"operationName": "PullChat", "id": "y", "nickname": "Mé"}},
		{"valid add", "POST", wb, `{"operationName":"AddWorkitem","id":"x","saveLAR":true}`,
			map[string]any{"operationName": "AddWorkitem", "id": "x", "saveLAR": true}},
		{"invalid body", "POST", wb, `{"operationName":"PullWorkitem"}`, nil},
		{"invalid parameter", "POST", "/api/v2/me/workbins/w?agentGroup=a&placeGroup=b", `{"operationName":"PullWorkitem","id":"x"}`, nil},
		{"no body", "GET", wb, ``, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ct := "application/json"
			if tc.body == "" {
				ct = ""
			}
			rt, _ := c.ValidateRequest(context.Background(), newRequest(tc.method, tc.target, ct, tc.body))
			if rt == nil {
				t.Fatal("no route")
			}
			if !reflect.DeepEqual(rt.Body, tc.want) {
				t.Fatalf("Body = %#v, want %#v", rt.Body, tc.want)
			}
		})
	}
}

func TestValidateRequestLeavesBodyReadable(t *testing.T) {
	c := loadT(t)
	body := `{"operationName":"PullWorkitem","id":"02F0ASAK8EAFA00W"}`
	for _, b := range []string{body, `{"operationName":"PullWorkitem"}`, `not json`} {
		r := newRequest("POST", "/api/v2/workbins/w", "application/json", b)
		_, _ = c.ValidateRequest(context.Background(), r)
		got, err := io.ReadAll(r.Body)
		if err != nil || string(got) != b {
			t.Errorf("body after validation %q, %v; want %q", got, err, b)
		}
		again, err := r.GetBody()
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := io.ReadAll(again); string(got) != b {
			t.Errorf("GetBody gives %q", got)
		}
	}
	// ValidateRequestBytes judges the bytes it is given (r.Body is not read) and leaves
	// r.Body reading them.
	for _, b := range []string{body, `{"operationName":"PullWorkitem"}`} {
		r := newRequest("POST", "/api/v2/workbins/w", "application/json", "")
		r.Body = io.NopCloser(errReader{})
		_, err := c.ValidateRequestBytes(context.Background(), r, []byte(b))
		if (err == nil) != (b == body) {
			t.Errorf("ValidateRequestBytes(%s): %v", b, err)
		}
		if got, err := io.ReadAll(r.Body); err != nil || string(got) != b {
			t.Errorf("body after ValidateRequestBytes %q, %v; want %q", got, err, b)
		}
	}
	// A body that cannot be read is an error, not a panic; nothing is routed.
	r := newRequest("POST", "/api/v2/workbins/w", "application/json", "")
	r.Body = io.NopCloser(errReader{})
	if _, err := c.ValidateRequest(context.Background(), r); err == nil || IssuesOf(err) != nil {
		t.Errorf("unreadable body: %v", err)
	}
	// http.MaxBytesReader's error comes through, so a server can answer 413.
	r = newRequest("POST", "/api/v2/workbins/w", "application/json", body)
	r.Body = http.MaxBytesReader(httptest.NewRecorder(), r.Body, 8)
	_, err := c.ValidateRequest(context.Background(), r)
	var mbe *http.MaxBytesError
	if !errors.As(err, &mbe) {
		t.Errorf("oversized body: %v, want *http.MaxBytesError", err)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

func TestValidateResponse(t *testing.T) {
	c := loadT(t)
	post := newRequest("POST", "/api/v2/workbins/3434543fafwe987", "", "")
	me := newRequest("GET", "/api/v2/me", "", "")
	list := newRequest("GET", "/api/v2/workbins?fields=*", "", "")
	json := map[string]string{"Content-Type": "application/json"}
	tests := []struct {
		name   string
		r      *http.Request
		status int
		h      map[string]string
		body   string
		rule   string
		where  string
		ptr    string
	}{
		{"accepted", post, 200, json, `{"statusCode":0,"referenceId":17}`, "", "", ""},
		{"accepted, charset", post, 200, map[string]string{"Content-Type": "application/json;charset=UTF-8"}, `{"statusCode":0,"referenceId":1}`, "", "", ""},
		{"accepted with an error code", post, 200, json, `{"statusCode":2,"referenceId":17}`, RuleEnum, "response body", "/statusCode"},
		{"referenceId 0", post, 200, json, `{"statusCode":0,"referenceId":0}`, RuleMinimum, "response body", "/referenceId"},
		{"referenceId as a string", post, 200, json, `{"statusCode":0,"referenceId":"17"}`, RuleType, "response body", "/referenceId"},
		{"error", post, 400, json, `{"statusCode":2,"statusMessage":"not in this workbin"}`, "", "", ""},
		{"error with an extra field", post, 400, json, `{"statusCode":2,"statusMessage":"x","referenceId":1}`, RuleAdditionalProperties, "response body", "/referenceId"},
		{"undocumented status", post, 418, json, `{"statusCode":4,"statusMessage":"teapot"}`, RuleStatus, "response status", ""},
		{"201 is not documented", post, 201, json, `{"statusCode":0,"referenceId":1}`, RuleStatus, "response status", ""},
		{"CSRF reply", post, 403, map[string]string{"Content-Type": "text/plain;charset=UTF-8"}, CSRFRejection, "", "", ""},
		{"another text on 403", post, 403, map[string]string{"Content-Type": "text/plain"}, "Forbidden", RuleEnum, "response body", ""},
		{"403 JSON", post, 403, json, `{"statusCode":3,"statusMessage":"PullChat is forbidden"}`, "", "", ""},
		{"HTML error page", post, 500, map[string]string{"Content-Type": "text/html"}, "<h1>oops</h1>", RuleContentType, "response body", ""},
		{"truncated JSON", post, 404, json, `{"statusCode":6,`, RuleSyntax, "response body", ""},
		{"data after the JSON value", post, 200, json, `{"statusCode":0,"referenceId":1}x`, RuleSyntax, "response body", ""},
		{"413", post, 413, json, `{"statusCode":10,"statusMessage":"too large"}`, "", "", ""},
		{"401", post, 401, map[string]string{"Content-Type": "application/json", HeaderWWWAuthenticate: `Basic realm="gws"`}, `{"statusCode":20,"statusMessage":"no"}`, "", "", ""},
		{"401 without WWW-Authenticate", post, 401, json, `{"statusCode":20,"statusMessage":"no"}`, RuleRequired, "response header WWW-Authenticate", ""},
		{"401 with Bearer", post, 401, map[string]string{"Content-Type": "application/json", HeaderWWWAuthenticate: "Bearer"}, `{"statusCode":20,"statusMessage":"no"}`, RulePattern, "response header WWW-Authenticate", ""},
		{"me", me, 200, map[string]string{"Content-Type": "application/json", HeaderCSRFHeader: HeaderCSRFToken, HeaderCSRFToken: "5d6f"}, `{"statusCode":0,"user":{"id":"u","userName":"u","roles":["ROLE_AGENT"]}}`, "", "", ""},
		{"me, CSRF off", me, 200, json, `{"statusCode":0,"user":{"id":"u","userName":"u","roles":["ROLE_AGENT"]}}`, "", "", ""},
		{"me, wrong CSRF header name", me, 200, map[string]string{"Content-Type": "application/json", HeaderCSRFHeader: "X-XSRF-TOKEN"}, `{"statusCode":0,"user":{"id":"u","userName":"u","roles":[]}}`, RuleEnum, "response header X-CSRF-HEADER", ""},
		{"workbins", list, 200, json, `{"statusCode":0,"workbins":[{"id":"w","name":"w","type":"Agent"}]}`, "", "", ""},
		{"uris", list, 200, json, `{"statusCode":0,"uris":["http://h/api/v2/workbins/w"]}`, "", "", ""},
		{"both list shapes", list, 200, json, `{"statusCode":0,"uris":[],"workbins":[]}`, RuleOneOf, "response body", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range tc.h {
				h.Set(k, v)
			}
			err := c.ValidateResponse(context.Background(), tc.r, tc.status, h, []byte(tc.body))
			// ValidateResponseFor, given the route ValidateRequest found, says the same.
			rt, _ := c.ValidateRequest(context.Background(), tc.r)
			if rt == nil {
				t.Fatal("no route")
			}
			if errFor := c.ValidateResponseFor(context.Background(), rt, tc.r, tc.status, h, []byte(tc.body)); fmt.Sprint(errFor) != fmt.Sprint(err) {
				t.Errorf("ValidateResponseFor: %v; ValidateResponse: %v", errFor, err)
			}
			if tc.rule == "" {
				if err != nil {
					t.Fatalf("valid response rejected: %v", err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("want a *ValidationError, got %v", err)
			}
			if !ve.Has(tc.rule, tc.ptr) {
				t.Fatalf("want %s at %q; got %v", tc.rule, tc.ptr, ve.Issues)
			}
			for _, is := range ve.Issues {
				if is.Rule == tc.rule && is.Where != tc.where {
					t.Errorf("issue where %q, want %q", is.Where, tc.where)
				}
			}
		})
	}
	if err := c.ValidateResponse(context.Background(), newRequest("GET", "/nope", "", ""), 200, nil, nil); !errors.Is(err, ErrNoRoute) {
		t.Errorf("unrouted response: %v", err)
	}
}

func TestValidationErrorMessageIsShort(t *testing.T) {
	c := loadT(t)
	body := `{"operationName":"PullWorkitem","id":5,"nickname":6}`
	_, err := c.ValidateRequest(context.Background(), newRequest("POST", "/api/v2/workbins/w", "application/json", body))
	msg := err.Error()
	if len(msg) > 400 || strings.Contains(msg, "Schema:") || strings.Contains(msg, "{") {
		t.Errorf("error text too long or dumps schemas: %q", msg)
	}
	var many []Issue
	for i := range 10 {
		many = append(many, Issue{Where: "w", Pointer: fmt.Sprintf("/%d", i), Rule: "r", Message: "m"})
	}
	if got := (&ValidationError{Issues: many}).Error(); !strings.Contains(got, "and 7 more") {
		t.Errorf("long list not shortened: %q", got)
	}
}

func TestConcurrentValidation(t *testing.T) {
	c := loadT(t)
	msg := []byte(`{"channel":"/v2/me/workitems","data":{"messageType":"WorkitemStateChangeMessage","notificationType":"StatusChange","referenceId":1,"workitem":{"id":"x","state":"Processing","capabilities":["Complete"],"userData":{"a":null}}}}`)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 50 {
				body := fmt.Sprintf(`{"operationName":"PullWorkitem","id":"i%d-%d"}`, i, j)
				if _, err := c.ValidateRequest(context.Background(), newRequest("POST", "/api/v2/workbins/w", "application/json", body)); err != nil {
					errs <- err
					return
				}
				if err := c.ValidateMessage(msg); err != nil {
					errs <- err
					return
				}
				if err := c.ValidateResponse(context.Background(), newRequest("POST", "/api/v2/workbins/w", "", ""), 200,
					http.Header{"Content-Type": {"application/json"}}, []byte(`{"statusCode":0,"referenceId":1}`)); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
