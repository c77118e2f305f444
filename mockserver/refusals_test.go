package mockserver

import (
	"net/http"
	"regexp"
	"testing"

	"github.com/workbinkit/workbinkit/docs"
)

// TestRefusalRules: refused requests of each kind, made against the mock, come out of the
// journal explained by the rule of docs/rules.md they ran into (the dashboard shows it).
// A reworded statusMessage that no row of refusalRules matches any more fails here.
func TestRefusalRules(t *testing.T) {
	m := newMock(t)
	marat := m.login("MaratTest")
	voice := m.login("voiceonly")
	wb := "/api/v2/workbins/" + seedWorkbin
	if r := marat.post(wb, pullBody("PullWorkitem", "02F0ASAK8EAFA01W")); r.status != 200 {
		t.Fatalf("pull: %s", r)
	}
	fault := m.admin().do(http.MethodPost, "/_mock/faults", map[string]any{"path": "/api/v2/me", "statusCode": 4, "count": 1})
	if fault.status != 201 {
		t.Fatalf("fault: %s", fault)
	}
	cases := []struct {
		name string
		do   func() reply
		rule string
	}{
		{"a second pull", func() reply { return marat.post(wb, pullBody("PullWorkitem", "02F0ASAK8EAFA01W")) }, "D11.second-pull"},
		{"a pull of an unknown id", func() reply { return marat.post(wb, pullBody("PullWorkitem", "NOSUCHITEM000001")) }, "S2"},
		{"an unknown resource", func() reply { return marat.get("/api/v2/nothing") }, "W1"},
		{"no credentials", func() reply { return m.anonymous().get("/api/v2/me") }, "D8.auth"},
		{"no CSRF token", func() reply {
			return marat.do(http.MethodPost, wb, pullBody("PullWorkitem", seedWorkitem), "X-CSRF-TOKEN", "")
		}, "D8.csrf"},
		{"a body the contract refuses", func() reply { return marat.post(wb, map[string]any{"operationName": "AddWorkitem"}) }, "contract"},
		{"without api-multimedia", func() reply { return voice.get("/api/v2/me/workbins") }, "D7.multimedia"},
		{"an agent on the supervisor URL", func() reply { return marat.get("/api/v2/users/" + agent2ID + "/workbins/" + agent2WB) }, "D10.supervisor"},
		{"an injected fault", func() reply { return marat.get("/api/v2/me") }, ""},
	}
	for _, c := range cases {
		r := c.do()
		if r.status < 400 && r.code() <= 0 {
			t.Errorf("%s: not refused: %s", c.name, r)
			continue
		}
		last := m.srv.journal.entries(1)
		if len(last) != 1 || last[0].Kind != "http" {
			t.Fatalf("%s: the journal's last entry: %+v", c.name, last)
		}
		e := last[0]
		ref, ok := explainRefusal(e.Operation, e.Status, e.ResponseBody)
		switch {
		case !ok:
			t.Errorf("%s: %d %s not seen as refused", c.name, e.Status, e.ResponseBody)
		case c.rule == "" && !ref.Fault:
			t.Errorf("%s: %+v, want an injected fault", c.name, ref)
		case ref.Rule != c.rule:
			t.Errorf("%s: rule %q, want %q (message %q)", c.name, ref.Rule, c.rule, ref.Message)
		}
	}
	// A success is no refusal.
	if _, ok := explainRefusal("postWorkbin PullWorkitem", 200, []byte(`{"statusCode":0,"referenceId":3}`)); ok {
		t.Error("a success explained as a refusal")
	}
}

// TestRefusalRulesExist: every rule a refusal can name is a section of docs/rules.md, so
// that the dashboard's links land.
func TestRefusalRulesExist(t *testing.T) {
	anchors := map[string]bool{}
	for _, m := range regexp.MustCompile(`<a id="([^"]+)"></a>`).FindAllStringSubmatch(docs.Rules(), -1) {
		anchors[m[1]] = true
	}
	rules := []string{"D3", "D8.auth", "D8.csrf"}
	for _, row := range refusalRules {
		rules = append(rules, row.rule)
	}
	for _, r := range rules {
		if !anchors[r] {
			t.Errorf("rule %q is not a section of docs/rules.md", r)
		}
	}
}
