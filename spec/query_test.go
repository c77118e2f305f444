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
