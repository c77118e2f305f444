package spec

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// A query parameter with malformed percent-encoding is a syntax issue naming it, not an
// absent parameter (net/url drops the pair): issue 11.
func TestMalformedQueryParameter(t *testing.T) {
	c := loadT(t)
	for _, tc := range []struct{ query, name string }{
		{"agentGroup=%zz", "agentGroup"},
		{"agentGroup=%2", "agentGroup"},
		{"agentGroup=MyAgentGroup&fields=%", "fields"},
		{"agent%zzGroup=x", "agent%zzGroup"},
	} {
		r := httptest.NewRequest(http.MethodGet, BasePath+"/workbins?"+tc.query, nil)
		_, err := c.ValidateRequest(context.Background(), r)
		var found bool
		for _, is := range IssuesOf(err) {
			if is.Rule == RuleSyntax && is.Where == "query parameter "+tc.name && strings.Contains(is.Message, "percent-encoding") {
				found = true
			}
		}
		if !found {
			t.Errorf("?%s: %v; want a syntax issue on query parameter %s", tc.query, err, tc.name)
		}
	}
	r := httptest.NewRequest(http.MethodGet, BasePath+"/workbins?agentGroup=My%20Agent+Group", nil)
	if _, err := c.ValidateRequest(context.Background(), r); err != nil {
		t.Errorf("well-formed query: %v", err)
	}
}

// A JSON request body declared in a charset other than UTF-8 is a contentType issue naming
// the charset (issue 11); utf-8 in any case, utf8, or no charset is fine.
func TestRequestCharset(t *testing.T) {
	c := loadT(t)
	body := `{"operationName":"PullWorkitem","id":"x"}`
	for ct, bad := range map[string]bool{
		"application/json; charset=utf-16": true, "application/json;charset=ISO-8859-1": true, `application/json; charset="utf-32"`: true,
		"application/json": false, "application/json; charset=utf-8": false, "application/json; charset=UTF-8": false, "application/json;charset=utf8": false,
	} {
		r := httptest.NewRequest(http.MethodPost, BasePath+"/workbins/wb1", strings.NewReader(body))
		r.Header.Set("Content-Type", ct)
		_, err := c.ValidateRequest(context.Background(), r)
		var found bool
		for _, is := range IssuesOf(err) {
			found = found || is.Rule == RuleContentType && is.Where == "request header Content-Type" && strings.Contains(is.Message, "charset")
		}
		if found != bad {
			t.Errorf("Content-Type %s: %v; want a charset issue: %v", ct, err, bad)
		}
	}
}

// A mistyped operationName is reported with the names the body takes (issue 11).
func TestDiscriminatorListsTheNames(t *testing.T) {
	c := loadT(t)
	r := httptest.NewRequest(http.MethodPost, BasePath+"/workbins", strings.NewReader(`{"operationName":"Pul","workbinIds":["a"]}`))
	r.Header.Set("Content-Type", "application/json")
	_, err := c.ValidateRequest(context.Background(), r)
	issues := IssuesOf(err)
	want := `operationName "Pul" is not one of: ` + strings.Join(c.OperationNames(OpPostWorkbins), ", ")
	if len(issues) != 1 || issues[0].Rule != RuleDiscriminator || issues[0].Message != want {
		t.Errorf("issues %v; want one %s issue saying %q", issues, RuleDiscriminator, want)
	}
}
