package conformance

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/workbinkit/workbinkit/spec"
)

// TestUndocumentedClientErrorStatus: a refusal with a 4xx status the operation does not
// document (409) is tolerated by default when its body is the error envelope, and reported
// under --strict. A non-envelope body is reported in both modes.
func TestUndocumentedClientErrorStatus(t *testing.T) {
	const envelope = `{"statusCode":2,"statusMessage":"already pulled"}`
	for _, c := range []struct {
		name   string
		status int
		body   string
		strict bool
		want   []string // rules of the issues, in order; empty: no issue
	}{
		{"409 envelope, tolerant", http.StatusConflict, envelope, false, nil},
		{"409 envelope, strict", http.StatusConflict, envelope, true, []string{spec.RuleStatus}},
		{"409 extra member, tolerant", http.StatusConflict, `{"statusCode":2,"statusMessage":"x","extra":1}`, false, []string{spec.RuleAdditionalProperties}},
		{"409 no statusMessage, tolerant", http.StatusConflict, `{"statusCode":2}`, false, []string{spec.RuleRequired}},
		{"409 not JSON, tolerant", http.StatusConflict, `conflict`, false, []string{spec.RuleSyntax}},
		{"documented 400 envelope", http.StatusBadRequest, envelope, false, nil},
		{"undocumented 502 is no refusal", http.StatusBadGateway, envelope, false, []string{spec.RuleStatus}},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(c.status)
				_, _ = w.Write([]byte(c.body))
			}))
			defer srv.Close()
			sess := agentSession(t, func(o *Options) { o.Target, o.Strict = srv.URL, c.strict })
			ex := sess.Do(context.Background(), http.MethodPost, spec.BasePath+"/workbins/wb1", pullBody(spec.PullWorkitem, "x1"))
			if ex.Err != nil {
				t.Fatal(ex.Err)
			}
			var got []string
			for _, is := range ex.Issues {
				got = append(got, is.Rule)
			}
			if strings.Join(got, ",") != strings.Join(c.want, ",") {
				t.Errorf("issues %+v, want rules %v", ex.Issues, c.want)
			}
		})
	}
}

// TestDumpShowsUnvalidated: an exchange the contract could not check says so in the
// failure output.
func TestDumpShowsUnvalidated(t *testing.T) {
	ex := &Exchange{Method: http.MethodGet, URL: "http://127.0.0.1:1/elsewhere", Status: 200, Unvalidated: "the contract has no operation for GET /elsewhere"}
	if d := ex.Dump(); !strings.Contains(d, "not checked against the contract: the contract has no operation for GET /elsewhere") {
		t.Errorf("dump:\n%s", d)
	}
	ex.Unvalidated = ""
	if d := ex.Dump(); strings.Contains(d, "not checked") {
		t.Errorf("dump of a checked exchange:\n%s", d)
	}
}

// TestSessionSendsPathsEscapedOnce: an id that needs escaping (space, slash, %, non-ASCII)
// reaches the target escaped once, under the target's own path prefix.
func TestSessionSendsPathsEscapedOnce(t *testing.T) {
	got := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.RequestURI
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"statusCode":0}`))
	}))
	defer srv.Close()
	sess := agentSession(t, func(o *Options) { o.Target = srv.URL + "/gws" })
	ex := sess.Do(context.Background(), http.MethodPost, spec.WorkbinPath("wb 1/é%"), pullBody(spec.PullWorkitem, "x1"))
	if ex.Err != nil {
		t.Fatal(ex.Err)
	}
	const want = "/gws/api/v2/workbins/wb%201%2F%C3%A9%25"
	if uri := <-got; uri != want {
		t.Errorf("the target got %s, want %s", uri, want)
	}
	if !strings.HasSuffix(ex.URL, want) {
		t.Errorf("the exchange says %s, want …%s", ex.URL, want)
	}
}

// agentSession is the agent's session with the target of the test options as set changes
// them; it sends nothing.
func agentSession(t *testing.T, set func(*Options)) *Session {
	t.Helper()
	o := testOptions(t)
	set(o)
	contract, err := spec.Load()
	if err != nil {
		t.Fatal(err)
	}
	tg, err := newTarget(o, contract, maskerFor(o))
	if err != nil {
		t.Fatal(err)
	}
	return tg.newSession(RoleAgent, o.Users.Agent, "test", &exchangeLog{})
}
