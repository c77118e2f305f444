package mockserver

import (
	"encoding/json"
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
	agent2 := m.login("agent2")
	wb := "/api/v2/workbins/" + seedWorkbin
	if r := marat.post(wb, pullBody("PullWorkitem", "02F0ASAK8EAFA01W")); r.status != 200 {
		t.Fatalf("pull: %s", r)
	}
	if r := marat.post(wb, pullBody("PullChat", seedChat)); r.status != 200 {
		t.Fatalf("pull: %s", r)
	}
	wi := "/api/v2/me/workitems/02F0ASAK8EAFA01W"
	chat := "/api/v2/me/chats/" + seedChat
	nobody := m.url("/api/v2/users/nosuchuser")
	himself := m.url("/api/v2/users/" + maratID(t, marat))
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
		// Operations on an interaction (D13-D21).
		{"Accept on a Processing workitem", func() reply { return marat.post(wi, map[string]any{"operationName": "Accept"}) }, "D13.capability-gate"},
		{"another user's workitem", func() reply { return agent2.post(wi, map[string]any{"operationName": "Complete"}) }, "D13.ownership"},
		{"AttachUserData without userData", func() reply { return marat.post(wi, map[string]any{"operationName": "AttachUserData"}) }, "D13.bad-body"},
		{"a userData value of a wrong type", func() reply {
			return marat.post(wi, map[string]any{"operationName": "AttachUserData", "userData": map[string]any{"k": []int{1}}})
		}, "D13.bad-body"},
		{"Transfer to an unknown user", func() reply {
			return marat.post(wi, map[string]any{"operationName": "Transfer", "targetUri": nobody})
		}, "D17.transfer"},
		{"Transfer to a URI that names no user", func() reply {
			return marat.post(wi, map[string]any{"operationName": "Transfer", "targetUri": m.url("/api/v2/nothing")})
		}, "D17.transfer"},
		{"Invite to a queue", func() reply {
			return marat.post(chat, map[string]any{"operationName": "Invite", "targetUri": m.url("/api/v2/queues/q1")})
		}, "D17.invite"},
		{"Consult the caller himself", func() reply {
			return marat.post(chat, map[string]any{"operationName": "Consult", "targetUri": himself})
		}, "D17.invite"},
		{"an operation on a completed workitem", func() reply {
			if r := marat.post(wi, map[string]any{"operationName": "Complete"}); r.status != 200 {
				t.Fatalf("Complete: %s", r)
			}
			return marat.post(wi, map[string]any{"operationName": "Complete"})
		}, "D13"},
		{"an injected fault", func() reply { return marat.get("/api/v2/me") }, ""},
		{"a session with an unknown channel", func() reply {
			return marat.post("/api/v2/me", map[string]any{"operationName": "StartContactCenterSession", "channels": []string{"pigeon"}})
		}, "D21.session"},
		{"a session without channels", func() reply {
			return marat.post("/api/v2/me", map[string]any{"operationName": "StartContactCenterSession"})
		}, "D21.session"},
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
			t.Errorf("%s: rule %q, want %q (operation %q, message %q)", c.name, ref.Rule, c.rule, e.Operation, ref.Message)
		}
	}
	// No request reaches this one (a guest's capabilities have no Transfer), so it is read
	// back from its message alone.
	if ref, _ := explainRefusal("postMyChat Transfer", 400, []byte(`{"statusCode":2,"statusMessage":"only the owner of chat \"c1\" may transfer it"}`)); ref.Rule != "S14" {
		t.Errorf("a guest's Transfer: rule %q, want S14", ref.Rule)
	}
	// No fixture user lacks api-voice, so this one is read back from its message too.
	if ref, _ := explainRefusal("postMe StartContactCenterSession", 404, []byte(`{"statusCode":6,"statusMessage":"the contact-center session needs the feature api-voice, which user \"u\" does not have"}`)); ref.Rule != "D21.session" {
		t.Errorf("a session without api-voice: rule %q, want D21.session", ref.Rule)
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

// maratID is the id of the user u (GET /api/v2/me).
func maratID(t *testing.T, u *user) string {
	t.Helper()
	r := u.get("/api/v2/me")
	var me struct {
		User struct {
			ID string `json:"id"`
		} `json:"user"`
	}
	if err := json.Unmarshal(r.raw, &me); err != nil || me.User.ID == "" {
		t.Fatalf("GET /me: %s %v", r, err)
	}
	return me.User.ID
}
