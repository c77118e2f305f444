package mockserver

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/workbinkit/workbinkit/bayeux"
	"github.com/workbinkit/workbinkit/mockserver/state"
	"github.com/workbinkit/workbinkit/spec"
)

// snapshotJSON is the whole domain state as JSON, to prove that a refused request changed
// nothing.
func snapshotJSON(t testing.TB, m *mockT) string {
	t.Helper()
	b, err := json.Marshal(m.srv.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// D8: no credentials, wrong credentials → 401 + WWW-Authenticate + statusCode 20; Basic and
// the session cookie both work; GET /me starts the session and hands out the CSRF pair.
func TestAuthentication(t *testing.T) {
	m := newMock(t)
	anon := m.anonymous()
	for _, path := range []string{"/api/v2/me", "/api/v2/workbins", "/api/v2/workbins/" + seedWorkbin, "/api/v2/nosuch"} {
		r := anon.get(path)
		expect(t, r, http.StatusUnauthorized, int(spec.StatusNotAuthenticated))
		if got := r.header.Get(spec.HeaderWWWAuthenticate); !strings.HasPrefix(got, `Basic realm="`) {
			t.Errorf("%s: WWW-Authenticate %q", path, got)
		}
	}
	r := anon.do(http.MethodGet, "/api/v2/me", nil, "Authorization", "Basic TWFyYXRUZXN0Ondyb25n") // MaratTest:wrong
	expect(t, r, http.StatusUnauthorized, int(spec.StatusNotAuthenticated))

	marat := m.login("MaratTest")
	if marat.csrf == "" {
		t.Fatal("GET /me gave no CSRF token")
	}
	r = marat.get("/api/v2/me") // by cookie only
	expect(t, r, http.StatusOK, 0)
	user := r.body[spec.FieldUser].(map[string]any)
	if user["userName"] != "MaratTest" || r.header.Get(spec.HeaderCSRFHeader) != spec.HeaderCSRFToken || r.header.Get(spec.HeaderCSRFToken) != marat.csrf {
		t.Errorf("GET /me by cookie: %s %v", r, r.header)
	}
	// Wrong credentials with a valid cookie are still refused.
	r = marat.do(http.MethodGet, "/api/v2/me", nil, "Authorization", "Basic TWFyYXRUZXN0Ondyb25n")
	expect(t, r, http.StatusUnauthorized, int(spec.StatusNotAuthenticated))
	// A forgotten session is not authenticated.
	m.srv.sessions.drop("")
	expect(t, marat.get("/api/v2/me"), http.StatusUnauthorized, int(spec.StatusNotAuthenticated))
}

// D8: POST without (or with a wrong) token → 403 text/plain; with the token it passes; off
// by option; CometD needs none.
func TestCSRF(t *testing.T) {
	m := newMock(t)
	marat := m.login("MaratTest")
	sub := map[string]string{"operationName": spec.Subscribe}
	for _, tok := range []string{"", "not-the-token"} {
		before := snapshotJSON(t, m)
		r := marat.do(http.MethodPost, "/api/v2/workbins/"+seedWorkbin, sub, spec.HeaderCSRFToken, tok)
		if r.status != http.StatusForbidden || string(r.raw) != spec.CSRFRejection || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
			t.Errorf("token %q: %s %q", tok, r, r.header.Get("Content-Type"))
		}
		if snapshotJSON(t, m) != before {
			t.Error("a request refused for CSRF changed the state")
		}
	}
	expect(t, marat.post("/api/v2/workbins/"+seedWorkbin, sub), http.StatusOK, 0)
	// Basic credentials alone (no session cookie, hence no token) are refused too.
	basicOnly := m.anonymous()
	r := basicOnly.do(http.MethodPost, "/api/v2/workbins/"+seedWorkbin, sub, "Authorization", "Basic TWFyYXRUZXN0Ok1hcmF0VGVzdA==")
	if r.status != http.StatusForbidden {
		t.Errorf("Basic without token: %s", r)
	}
	// The Bayeux endpoint needs no token.
	marat.cometd(spec.ChannelWorkbins)

	opts := m.srv.Options()
	opts.EnableCsrfProtection = false
	if err := m.srv.SetOptions(opts); err != nil {
		t.Fatal(err)
	}
	r = marat.do(http.MethodPost, "/api/v2/workbins/"+seedWorkbin, sub, spec.HeaderCSRFToken, "")
	expect(t, r, http.StatusOK, 0)
	if r := marat.get("/api/v2/me"); r.header.Get(spec.HeaderCSRFToken) != "" {
		t.Error("CSRF headers handed out with protection off")
	}
}

// D3, D11, W3, W4, W7: every refusal has its statusCode and HTTP status, and changes nothing.
func TestErrorReplies(t *testing.T) {
	m := newMock(t)
	marat := m.login("MaratTest")
	wb := "/api/v2/workbins/" + seedWorkbin
	cases := []struct {
		name         string
		method, path string
		body         any
		ctype        string
		status, code int
		inMessage    string
	}{
		{"missing id", "POST", wb, `{"operationName":"PullWorkitem"}`, "", 400, 1, "id"},
		{"missing operationName", "POST", wb, `{"id":"x"}`, "", 400, 1, "operationName"},
		{"empty body", "POST", wb, ``, "", 400, 1, ""},
		{"unknown operation", "POST", wb, `{"operationName":"PullEverything","id":"x"}`, "", 400, 2, "operationName"},
		{"operation not on this URL", "POST", wb, `{"operationName":"RequestAgentStats"}`, "", 400, 2, "operationName"},
		{"operationName not a string", "POST", wb, `{"operationName":7,"id":"x"}`, "", 400, 10, "operationName"},
		{"operationName null", "POST", "/api/v2/workbins", `{"operationName":null}`, "", 400, 10, "operationName"},
		{"malformed JSON", "POST", wb, `{"operationName":`, "", 400, 10, "JSON"},
		{"data after the JSON body", "POST", wb, `{"operationName":"PullWorkitem","id":"` + seedWorkitem + `"} {}`, "", 400, 10, "data after"},
		{"not an object", "POST", wb, `[1,2]`, "", 400, 10, ""},
		{"id of the wrong type", "POST", wb, `{"operationName":"PullWorkitem","id":5}`, "", 400, 10, "id"},
		{"id too long", "POST", wb, `{"operationName":"PullWorkitem","id":"` + strings.Repeat("x", 256) + `"}`, "", 400, 10, "maxLength"},
		{"wrong content type", "POST", wb, `{"operationName":"PullWorkitem","id":"x"}`, "text/plain", 400, 10, "Content-Type"},
		{"body over 1 MiB", "POST", wb, `{"operationName":"PullWorkitem","id":"x","pad":"` + strings.Repeat("x", spec.MaxBodyBytes) + `"}`, "", 413, 10, ""},
		{"unknown workbin", "POST", "/api/v2/workbins/nosuch", pullBody(spec.PullWorkitem, seedWorkitem), "", 404, 6, ""},
		{"unknown interaction", "POST", wb, pullBody(spec.PullWorkitem, "NOSUCHITEM"), "", 404, 6, ""},
		{"interaction in another workbin", "POST", wb, pullBody(spec.PullWorkitem, "02F0ASAK8EAFA30W"), "", 400, 2, ""},
		{"media mismatch", "POST", wb, pullBody(spec.PullChat, seedWorkitem), "", 400, 2, ""},
		{"another user's workbin", "POST", "/api/v2/workbins/" + agent2WB, pullBody(spec.PullWorkitem, "x"), "", 403, 5, ""},
		{"agent on the supervisor URL", "POST", "/api/v2/users/" + agent2ID + "/workbins/" + agent2WB, pullBody(spec.PullWorkitem, "x"), "", 403, 5, ""},
		{"both group parameters", "POST", "/api/v2/me/workbins/" + agentGroupWB + "?agentGroup=MyAgentGroup&placeGroup=MyPlaceGroup", pullBody(spec.PullChat, "x"), "", 400, 1, "agentGroup"},
		{"Subscribe without workbinIds", "POST", "/api/v2/workbins", `{"operationName":"Subscribe"}`, "", 400, 1, "workbinIds"},
		{"RequestAgentStats with workbinIds", "POST", "/api/v2/workbins?workbinIds=" + seedWorkbin, `{"operationName":"RequestAgentStats"}`, "", 400, 2, ""},
		{"unknown media type path", "GET", wb + "/tweets", nil, "", 400, 10, "mediaType"},
		{"bad subresources", "GET", wb + "?subresources=everything", nil, "", 400, 10, "subresources"},
		{"another user's workbin (GET)", "GET", "/api/v2/workbins/" + agent2WB, nil, "", 403, 5, ""},
		{"unknown path", "GET", "/api/v2/nosuch", nil, "", 404, 6, ""},
		{"method not allowed", "DELETE", wb, nil, "", 405, 2, ""},
		{"add with id and uri disagreeing", "POST", wb, `{"operationName":"AddWorkitem","id":"02F0ASAK8EAFA90W","uri":"http://x/api/v2/workitems/OTHER"}`, "", 400, 2, ""},
		{"add without id or uri", "POST", wb, `{"operationName":"AddWorkitem"}`, "", 400, 1, "uri"},
		{"add another user's interaction", "POST", wb, `{"operationName":"AddWorkitem","id":"02F0ASAK8EAFA91W"}`, "", 403, 5, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := snapshotJSON(t, m)
			var hdr []string
			if tc.ctype != "" {
				hdr = []string{"Content-Type", tc.ctype}
			}
			r := marat.do(tc.method, tc.path, tc.body, hdr...)
			expect(t, r, tc.status, tc.code)
			if len(r.body) != 2 || r.body[spec.FieldStatusMessage] == nil {
				t.Errorf("error envelope %s: want exactly statusCode and statusMessage", r.raw)
			}
			if msg, _ := r.body[spec.FieldStatusMessage].(string); !strings.Contains(msg, tc.inMessage) {
				t.Errorf("statusMessage %q does not name %q", msg, tc.inMessage)
			}
			if snapshotJSON(t, m) != before {
				t.Error("a refused request changed the state")
			}
			// RFC 9110: a 405 lists the methods the path has (here the contract's).
			if allow := r.header.Get("Allow"); (tc.status == http.StatusMethodNotAllowed) != (allow != "") {
				t.Errorf("Allow %q with HTTP %d", allow, tc.status)
			}
		})
	}
	r := marat.do(http.MethodPut, "/api/v2/me", "{}")
	expect(t, r, http.StatusMethodNotAllowed, int(spec.StatusInvalidParameter))
	if got := r.header.Get("Allow"); got != "GET, POST" {
		t.Errorf("PUT /api/v2/me: Allow %q, want GET, POST", got)
	}
	if got := marat.do(http.MethodDelete, wb, nil).header.Get("Allow"); got != "GET, POST" {
		t.Errorf("DELETE %s: Allow %q, want GET, POST", wb, got)
	}
}

// The fixture ids the error table relies on.
func TestErrorTableFixtures(t *testing.T) {
	m := newMock(t)
	for id, where := range map[string]string{"02F0ASAK8EAFA30W": "workbin", "02F0ASAK8EAFA90W": "MaratTest", "02F0ASAK8EAFA91W": "agent2"} {
		x, ok := m.srv.Store().Interaction(id)
		if !ok || (where == "workbin" && (x.Workbin == "" || x.Workbin == seedWorkbin)) || (where != "workbin" && x.Owner != where) {
			t.Errorf("fixture %s: %+v, want %s", id, x, where)
		}
	}
}

// D4: referenceIds count from 1 per session, every accepted request takes the next one.
func TestReferenceIDsPerSession(t *testing.T) {
	m := newMock(t)
	marat := m.login("MaratTest")
	var got []int64
	for range 3 {
		r := marat.post("/api/v2/workbins/"+seedWorkbin, map[string]string{"operationName": spec.Subscribe})
		expect(t, r, http.StatusOK, 0)
		got = append(got, r.ref())
	}
	expect(t, marat.post("/api/v2/workbins/nosuch", map[string]string{"operationName": spec.Subscribe}), 404, 6)
	r := marat.post("/api/v2/me/workbins?workbinIds="+seedWorkbin+",6f1c2a7e-0b3d-4e59-9a8c-1d2e3f405162", map[string]string{"operationName": spec.Subscribe})
	expect(t, r, http.StatusOK, 0)
	refs := r.body[spec.FieldReferenceIDs].(map[string]any)
	got = append(got, num(refs[seedWorkbin]), num(refs["6f1c2a7e-0b3d-4e59-9a8c-1d2e3f405162"]))
	if want := []int64{1, 2, 3, 4, 5}; !slices.Equal(got, want) {
		t.Errorf("referenceIds %v, want %v", got, want)
	}
	other := m.login("MaratTest") // a second session counts on its own
	if r := other.post("/api/v2/workbins/"+seedWorkbin, map[string]string{"operationName": spec.Subscribe}); r.ref() != 1 {
		t.Errorf("a new session starts at %d", r.ref())
	}
}

// D6: PullChat with enableNotificationOnPullChat off is 403 / statusCode 3 naming the
// option, and changes nothing; PullInteraction of a chat likewise.
func TestPullChatNotificationGate(t *testing.T) {
	m := newMock(t)
	marat := m.login("MaratTest")
	o := m.srv.Options()
	o.EnableNotificationOnPullChat = false
	if err := m.srv.SetOptions(o); err != nil {
		t.Fatal(err)
	}
	for _, op := range []string{spec.PullChat, spec.PullInteraction} {
		before := snapshotJSON(t, m)
		r := marat.post("/api/v2/workbins/"+seedWorkbin, pullBody(op, seedChat))
		expect(t, r, http.StatusForbidden, int(spec.StatusForbidden))
		if !strings.Contains(r.body[spec.FieldStatusMessage].(string), spec.OptionEnableNotificationOnPullChat) {
			t.Errorf("%s: message %s does not name %s", op, r.raw, spec.OptionEnableNotificationOnPullChat)
		}
		if snapshotJSON(t, m) != before {
			t.Error("a gated pull changed the state")
		}
	}
	// Other media are not gated.
	expect(t, marat.post("/api/v2/workbins/"+seedWorkbin, pullBody(spec.PullWorkitem, seedWorkitem)), 200, 0)
	expect(t, marat.post("/api/v2/workbins/"+seedWorkbin, pullBody(spec.PullInteraction, "nosuch")), 404, 6)
}

// D6 (inference): with enableJoinOnPullChat off PullChat and PullInteraction of a chat
// succeed, the chat leaves the workbin (ItemRemoved) and is announced in state JoinFailed
// with the captured capabilities and without the puller among its participants. Workitems
// are pulled as ever; with the option on, the chat is Chatting and joined.
func TestPullChatJoinGate(t *testing.T) {
	m := newMock(t)
	marat := m.login("MaratTest")
	l := marat.cometd("/v2/me/**")
	expect(t, marat.post("/api/v2/workbins/"+seedWorkbin, map[string]string{"operationName": spec.Subscribe}), 200, 0)
	o := m.srv.Options()
	o.EnableJoinOnPullChat = false
	if err := m.srv.SetOptions(o); err != nil {
		t.Fatal(err)
	}
	wantCaps, _ := spec.Capabilities(spec.MediaChat, spec.StateJoinFailed)
	for _, c := range []struct{ op, id string }{{spec.PullChat, seedChat}, {spec.PullInteraction, "0001BaBFVPR20037"}} {
		r := marat.post("/api/v2/workbins/"+seedWorkbin, map[string]string{"operationName": c.op, "id": c.id, "nickname": "Marat"})
		expect(t, r, http.StatusOK, 0)
		d := data(t, l.next(t, "ChatStateChangeMessage", onChannel(spec.ChannelChats, spec.MessageChatStateChange)))
		chat := d["chat"].(map[string]any)
		var caps []string
		for _, x := range chat[spec.FieldCapabilities].([]any) {
			caps = append(caps, x.(string))
		}
		parts, ok := chat[spec.FieldParticipants].([]any)
		if chat[spec.FieldID] != c.id || chat[spec.FieldState] != spec.StateJoinFailed || !slices.Equal(caps, wantCaps) || !ok || len(parts) != 0 || num(d[spec.FieldReferenceID]) != r.ref() {
			t.Errorf("%s: chat %v, want %s with %v and participants []", c.op, d, spec.StateJoinFailed, wantCaps)
		}
		rm := data(t, l.next(t, "ItemRemoved", onChannel(spec.ChannelWorkbins, spec.MessageWorkbinStateChange)))
		if rm[spec.FieldAction] != spec.ActionItemRemoved || rm["chatStateResourceV2"].(map[string]any)[spec.FieldID] != c.id {
			t.Errorf("%s: ItemRemoved %v", c.op, rm)
		}
		if x, ok := m.srv.Store().Interaction(c.id); !ok || x.Owner != "MaratTest" || x.State != spec.StateJoinFailed {
			t.Errorf("%s: state %+v", c.op, x)
		}
	}
	expect(t, marat.post("/api/v2/workbins/"+seedWorkbin, pullBody(spec.PullWorkitem, seedWorkitem)), 200, 0)
	if d := data(t, l.next(t, "WorkitemStateChangeMessage", onChannel(spec.ChannelWorkitems, spec.MessageWorkitemStateChange))); d["workitem"].(map[string]any)[spec.FieldState] != spec.StateProcessing {
		t.Errorf("workitem pulled with the join gate off: %v", d)
	}
	m2 := newMock(t) // the join gate on (default)
	marat2 := m2.login("MaratTest")
	l2 := marat2.cometd(spec.ChannelChats)
	expect(t, marat2.post("/api/v2/workbins/"+seedWorkbin, map[string]string{"operationName": spec.PullChat, "id": seedChat, "nickname": "Marat"}), http.StatusOK, 0)
	chat := data(t, l2.next(t, "ChatStateChangeMessage", onChannel(spec.ChannelChats, spec.MessageChatStateChange)))["chat"].(map[string]any)
	parts := chat[spec.FieldParticipants].([]any)
	if chat[spec.FieldState] != spec.StateChatting || len(parts) != 2 || parts[1].(map[string]any)["nickname"] != "Marat" {
		t.Errorf("pulled chat %v", chat)
	}
}

// D7: without api-multimedia every workbin URL is 404 / statusCode 6; GET /me works.
func TestMultimediaFeature(t *testing.T) {
	m := newMock(t)
	v := m.login("voiceonly")
	wb := "e2f3a4b5-c6d7-4e8f-9a0b-1c2d3e4f5a6b"
	for _, c := range []struct{ method, path string }{
		{"GET", "/api/v2/workbins"}, {"GET", "/api/v2/me/workbins"}, {"GET", "/api/v2/workbins/" + wb},
		{"GET", "/api/v2/workbins/" + wb + "/workitems"}, {"POST", "/api/v2/workbins/" + wb},
		{"POST", "/api/v2/workbins"}, {"POST", "/api/v2/me/workbins/" + wb},
	} {
		var body any
		if c.method == "POST" {
			body = map[string]string{"operationName": spec.RequestAgentStats}
			if strings.HasSuffix(c.path, wb) {
				body = map[string]string{"operationName": spec.Subscribe}
			}
		}
		expect(t, v.do(c.method, c.path, body), http.StatusNotFound, int(spec.StatusNotFound))
	}
	expect(t, v.get("/api/v2/me"), http.StatusOK, 0)

	// Malformed requests too: the API does not exist for him, so there is nothing to be
	// malformed against (a user with the feature gets 400 for each).
	marat := m.login("MaratTest")
	before := snapshotJSON(t, m)
	for _, c := range []struct {
		name, method, path string
		body               any
	}{
		{"pull without id", "POST", "/api/v2/workbins/" + wb, `{"operationName":"PullWorkitem"}`},
		{"body not JSON", "POST", "/api/v2/workbins/" + wb, `{"operationName":`},
		{"unknown operation", "POST", "/api/v2/workbins/" + wb, `{"operationName":"PullEverything","id":"x"}`},
		{"unknown media", "GET", "/api/v2/workbins/x/bogus", nil},
	} {
		if r := marat.do(c.method, c.path, c.body); r.status != http.StatusBadRequest {
			t.Errorf("%s by MaratTest: %s (want 400)", c.name, r)
		}
		r := v.do(c.method, c.path, c.body)
		expect(t, r, http.StatusNotFound, int(spec.StatusNotFound))
		if msg, _ := r.body[spec.FieldStatusMessage].(string); !strings.Contains(msg, spec.FeatureMultimedia) {
			t.Errorf("%s: %q does not name %s", c.name, msg, spec.FeatureMultimedia)
		}
	}
	if snapshotJSON(t, m) != before {
		t.Error("refused requests changed the state")
	}
}

// D5 2, N5, D10: a supervisor pulls from an agent's workbin through /users/{userId}/…; he
// owns the item and gets the media notification, the subscribed agent gets ItemRemoved with
// workbinUserId and no referenceId, the supervisor's copy has the referenceId.
func TestSupervisorPull(t *testing.T) {
	m := newMock(t)
	sup := m.login("supervisor1")
	agent := m.login("agent2")
	la := agent.cometd(spec.ChannelWorkbins)
	ls := sup.cometd(spec.ChannelWorkbins, spec.ChannelWorkitems)
	userWB := "/api/v2/users/" + agent2ID + "/workbins/" + agent2WB
	expect(t, agent.post("/api/v2/workbins/"+agent2WB, map[string]string{"operationName": spec.Subscribe}), 200, 0)
	la.next(t, "Subscribed", onChannel(spec.ChannelWorkbins, spec.MessageWorkbinSubscriptionStateChange))
	r := sup.post(userWB, map[string]string{"operationName": spec.Subscribe})
	expect(t, r, 200, 0)
	d := data(t, ls.next(t, "Subscribed", onChannel(spec.ChannelWorkbins, spec.MessageWorkbinSubscriptionStateChange)))
	if d[spec.FieldWorkbinUserID] != agent2ID || num(d[spec.FieldReferenceID]) != r.ref() {
		t.Errorf("supervisor's Subscribed %v", d)
	}
	// The agent's own item list, to pull one of them.
	c := sup.get(userWB + "/workitems")
	expect(t, c, 200, 0)
	items := c.body[spec.FieldWorkbin].(map[string]any)["workitems"].([]any)
	if len(items) == 0 {
		t.Fatal("agent2's workbin has no workitem")
	}
	id := items[0].(map[string]any)[spec.FieldID].(string)
	r = sup.post(userWB, pullBody(spec.PullWorkitem, id))
	expect(t, r, 200, 0)
	media := data(t, ls.next(t, "supervisor's WorkitemStateChangeMessage", onChannel(spec.ChannelWorkitems, spec.MessageWorkitemStateChange)))
	if num(media[spec.FieldReferenceID]) != r.ref() {
		t.Errorf("supervisor's media notification %v", media)
	}
	removedSup := data(t, ls.next(t, "supervisor's ItemRemoved", onChannel(spec.ChannelWorkbins, spec.MessageWorkbinStateChange)))
	removedAgent := data(t, la.next(t, "agent's ItemRemoved", onChannel(spec.ChannelWorkbins, spec.MessageWorkbinStateChange)))
	if removedSup[spec.FieldWorkbinUserID] != agent2ID || num(removedSup[spec.FieldReferenceID]) != r.ref() {
		t.Errorf("supervisor's ItemRemoved %v", removedSup)
	}
	if removedAgent[spec.FieldWorkbinUserID] != agent2ID || removedAgent[spec.FieldReferenceID] != nil || removedAgent[spec.FieldAction] != spec.ActionItemRemoved {
		t.Errorf("agent's ItemRemoved %v", removedAgent)
	}
	if x, _ := m.srv.Store().Interaction(id); x.Owner != "supervisor1" {
		t.Errorf("after a supervisor pull the owner is %q", x.Owner)
	}
}

// D1, D5 2: a group workbin on the /me form; the ItemRemoved copies name the group; the other
// subscriber's copy has no referenceId.
func TestGroupWorkbinAndOtherSubscribers(t *testing.T) {
	m := newMock(t)
	marat := m.login("MaratTest")
	agent := m.login("agent2")
	lm := marat.cometd(spec.ChannelWorkbins)
	la := agent.cometd(spec.ChannelWorkbins)
	group := "/api/v2/me/workbins/" + agentGroupWB + "?agentGroup=MyAgentGroup"
	expect(t, marat.post(group, map[string]string{"operationName": spec.Subscribe}), 200, 0)
	expect(t, agent.post(group, map[string]string{"operationName": spec.Subscribe}), 200, 0)
	c := marat.get("/api/v2/me/workbins/" + agentGroupWB + "/chats?agentGroup=MyAgentGroup")
	expect(t, c, 200, 0)
	chats := c.body[spec.FieldWorkbin].(map[string]any)["chats"].([]any)
	id := chats[0].(map[string]any)[spec.FieldID].(string)
	r := marat.post(group, pullBody(spec.PullChat, id))
	expect(t, r, 200, 0)
	isRemoved := func(msg bayeux.Message) bool {
		return onChannel(spec.ChannelWorkbins, spec.MessageWorkbinStateChange)(msg)
	}
	mine := data(t, lm.next(t, "ItemRemoved (puller)", isRemoved))
	theirs := data(t, la.next(t, "ItemRemoved (other subscriber)", isRemoved))
	for who, d := range map[string]map[string]any{"puller": mine, "other": theirs} {
		if d[spec.FieldAgentGroup] != "MyAgentGroup" || d[spec.FieldID] != agentGroupWB || d["chatStateResourceV2"] == nil {
			t.Errorf("%s's ItemRemoved %v", who, d)
		}
	}
	if num(mine[spec.FieldReferenceID]) != r.ref() || theirs[spec.FieldReferenceID] != nil {
		t.Errorf("referenceIds: puller %v (want %d), other %v (want none)", mine[spec.FieldReferenceID], r.ref(), theirs[spec.FieldReferenceID])
	}
	// The content reflects the pull at once.
	c = marat.get("/api/v2/me/workbins/" + agentGroupWB + "?agentGroup=MyAgentGroup&subresources=*")
	for _, x := range c.body[spec.FieldWorkbin].(map[string]any)["chats"].([]any) {
		if x.(map[string]any)[spec.FieldID] == id {
			t.Error("the pulled chat is still listed")
		}
	}
}

// D9: agent2, subscribed to /v2/me/**, receives none of MaratTest's events. The barrier is an
// event of agent2's own: once it arrives, everything published before it has arrived too
// (delivery keeps publish order per session).
func TestPrivateChannels(t *testing.T) {
	m := newMock(t)
	marat := m.login("MaratTest")
	agent := m.login("agent2")
	la := agent.cometd("/v2/me/**")
	lm := marat.cometd("/v2/me/*")
	expect(t, marat.post("/api/v2/workbins/"+seedWorkbin, map[string]string{"operationName": spec.Subscribe}), 200, 0)
	expect(t, agent.post("/api/v2/me/workbins/"+agentGroupWB+"?agentGroup=MyAgentGroup", map[string]string{"operationName": spec.Subscribe}), 200, 0)
	la.next(t, "agent2's own Subscribed", nil)
	expect(t, marat.post("/api/v2/workbins/"+seedWorkbin, pullBody(spec.PullWorkitem, seedWorkitem)), 200, 0)
	lm.next(t, "MaratTest's own notification", onChannel(spec.ChannelWorkitems, spec.MessageWorkitemStateChange))
	// Barrier.
	r := agent.post("/api/v2/workbins/"+agent2WB, map[string]string{"operationName": spec.Subscribe})
	expect(t, r, 200, 0)
	got := la.next(t, "agent2's barrier", nil)
	if d := data(t, got); got.Channel != spec.ChannelWorkbins || d[spec.FieldID] != agent2WB || num(d[spec.FieldReferenceID]) != r.ref() {
		t.Errorf("agent2 received %s %s before its own event: a leak", got.Channel, got.Data)
	}
	// A subscription outside /v2/me is refused.
	if err := la.c.Subscribe(t.Context(), "/v2/users"); err == nil {
		t.Error("subscribing to /v2/users was accepted")
	}
}

// Add (D11): an owned interaction goes into the workbin by id or by uri, ItemAdded reaches the
// subscribers, the content lists it.
func TestAdd(t *testing.T) {
	m := newMock(t)
	marat := m.login("MaratTest")
	l := marat.cometd(spec.ChannelWorkbins)
	expect(t, marat.post("/api/v2/workbins/"+seedWorkbin, map[string]string{"operationName": spec.Subscribe}), 200, 0)
	r := marat.post("/api/v2/workbins/"+seedWorkbin, map[string]any{"operationName": spec.AddWorkitem, "uri": m.url("/api/v2/workitems/02F0ASAK8EAFA90W"), "saveLAR": false})
	expect(t, r, 200, 0)
	d := data(t, l.next(t, "ItemAdded", func(msg bayeux.Message) bool {
		return onChannel(spec.ChannelWorkbins, spec.MessageWorkbinStateChange)(msg)
	}))
	res := d["workitemStateResourceV2"].(map[string]any)
	if d[spec.FieldAction] != spec.ActionItemAdded || res[spec.FieldID] != "02F0ASAK8EAFA90W" || res[spec.FieldState] != spec.StateInWorkbin || num(d[spec.FieldReferenceID]) != r.ref() {
		t.Errorf("ItemAdded %v", d)
	}
	c := marat.get("/api/v2/workbins/" + seedWorkbin + "/workitems")
	if !strings.Contains(string(c.raw), "02F0ASAK8EAFA90W") {
		t.Errorf("the added workitem is not listed: %s", c.raw)
	}
	expect(t, marat.post("/api/v2/workbins/"+seedWorkbin, map[string]string{"operationName": spec.AddWorkitem, "id": "02F0ASAK8EAFA90W"}), 400, 2)
}

// RequestAgentStats (W4, N1): one WorkbinStatsMessage with the counts.
func TestAgentStats(t *testing.T) {
	m := newMock(t)
	marat := m.login("MaratTest")
	l := marat.cometd(spec.ChannelWorkbins)
	r := marat.post("/api/v2/workbins", map[string]string{"operationName": spec.RequestAgentStats})
	expect(t, r, 200, 0)
	d := data(t, l.next(t, "WorkbinStatsMessage", onChannel(spec.ChannelWorkbins, spec.MessageWorkbinStats)))
	_, items, err := m.srv.Store().Content(state.Actor{User: "MaratTest"}, state.WorkbinRef{ID: seedWorkbin})
	if err != nil {
		t.Fatal(err)
	}
	st := d[spec.FieldWorkbinStats].(map[string]any)[seedWorkbin].(map[string]any)
	if num(st[spec.FieldStatCount]) != int64(len(items)) || st[spec.FieldStatOwner] != "MaratTest" || st[spec.FieldStatType] != spec.WorkbinAgent || num(d[spec.FieldReferenceID]) != r.ref() {
		t.Errorf("stats %v (items %d)", d, len(items))
	}
}

// The GETs: lists (uris and fields=*), one workbin, subresources, media sub-paths.
func TestWorkbinGets(t *testing.T) {
	m := newMock(t)
	marat := m.login("MaratTest")
	r := marat.get("/api/v2/workbins")
	expect(t, r, 200, 0)
	uris := r.body[spec.FieldURIs].([]any)
	if len(uris) != 4 || !strings.HasPrefix(uris[0].(string), m.ts.URL+"/api/v2/workbins/") {
		t.Errorf("GET /workbins uris %v", uris)
	}
	r = marat.get("/api/v2/me/workbins?fields=*")
	wbs := r.body[spec.FieldWorkbins].([]any)
	if len(wbs) != 2 {
		t.Errorf("GET /me/workbins?fields=* %s", r.raw)
	}
	r = marat.get("/api/v2/me/workbins?fields=name")
	for _, w := range r.body[spec.FieldWorkbins].([]any) {
		if len(w.(map[string]any)) != 2 {
			t.Errorf("fields=name gave %v", w)
		}
	}
	r = marat.get("/api/v2/workbins/" + seedWorkbin)
	if wb := r.body[spec.FieldWorkbin].(map[string]any); wb["name"] != "testWorkbin" || wb["workitems"] != nil {
		t.Errorf("GET one workbin %s", r.raw)
	}
	r = marat.get("/api/v2/workbins/" + seedWorkbin + "?subresources=*")
	wb := r.body[spec.FieldWorkbin].(map[string]any)
	for _, k := range []string{"workitems", "chats", "emails"} {
		if _, ok := wb[k].([]any); !ok {
			t.Errorf("subresources=* lacks %s", k)
		}
	}
	r = marat.get("/api/v2/workbins/" + seedWorkbin + "?subresources=email,tweet")
	wb = r.body[spec.FieldWorkbin].(map[string]any)
	if wb["emails"] == nil || wb["workitems"] != nil {
		t.Errorf("subresources=email,tweet %s", r.raw)
	}
	r = marat.get("/api/v2/me/workbins/" + seedWorkbin + "/emails")
	wb = r.body[spec.FieldWorkbin].(map[string]any)
	if len(wb["emails"].([]any)) == 0 || wb["chats"] != nil {
		t.Errorf("media sub-path %s", r.raw)
	}
	expect(t, marat.get("/api/v2/me/workbins/"+agentGroupWB), 400, 1) // a group workbin on /me needs its parameter
}

// The pulled email and the unsubscription.
func TestEmailPullAndUnsubscribe(t *testing.T) {
	m := newMock(t)
	marat := m.login("MaratTest")
	l := marat.cometd(spec.ChannelEmails, spec.ChannelWorkbins)
	expect(t, marat.post("/api/v2/me/workbins/"+seedWorkbin, map[string]string{"operationName": spec.Subscribe}), 200, 0)
	r := marat.post("/api/v2/me/workbins/"+seedWorkbin, pullBody(spec.PullEmail, seedEmail))
	expect(t, r, 200, 0)
	d := data(t, l.next(t, "EmailStateChangeMessage", onChannel(spec.ChannelEmails, spec.MessageEmailStateChange)))
	caps, _ := spec.Capabilities(spec.MediaEmail, spec.StateProcessing)
	email := d["email"].(map[string]any)
	var got []string
	for _, c := range email[spec.FieldCapabilities].([]any) {
		got = append(got, c.(string))
	}
	if email[spec.FieldState] != spec.StateProcessing || !slices.Equal(got, caps) || num(d[spec.FieldReferenceID]) != r.ref() {
		t.Errorf("pulled email %v", d)
	}
	r = marat.post("/api/v2/me/workbins?workbinIds="+seedWorkbin, map[string]string{"operationName": spec.Unsubscribe})
	expect(t, r, 200, 0)
	n := num(r.body[spec.FieldReferenceIDs].(map[string]any)[seedWorkbin])
	u := data(t, l.next(t, "Unsubscribed", func(msg bayeux.Message) bool {
		return onChannel(spec.ChannelWorkbins, spec.MessageWorkbinSubscriptionStateChange)(msg) && strings.Contains(string(msg.Data), spec.SubscriptionUnsubscribed)
	}))
	if num(u[spec.FieldReferenceID]) != n {
		t.Errorf("Unsubscribed %v, want referenceId %d", u, n)
	}
}

// D9: a handshake needs the JSESSIONID of a live session or right Basic credentials; clients
// may not publish.
func TestHandshakeAuthentication(t *testing.T) {
	m := newMock(t)
	basic := func(auth string) error {
		c := bayeux.NewClient(m.url(spec.CometDPath), bayeux.ClientOptions{Header: http.Header{"Authorization": {auth}}})
		return c.Handshake(t.Context())
	}
	if err := basic("Basic TWFyYXRUZXN0Ok1hcmF0VGVzdA=="); err != nil {
		t.Errorf("Basic handshake: %v", err)
	}
	if err := basic("Basic TWFyYXRUZXN0Ondyb25n"); bayeux.ErrorCode(err) != 403 {
		t.Errorf("wrong password: %v", err)
	}
	u := m.login("MaratTest")
	l := u.cometd(spec.ChannelWorkbins)
	if err := l.c.Publish(t.Context(), spec.ChannelWorkitems, map[string]string{"messageType": "x"}); bayeux.ErrorCode(err) != 403 {
		t.Errorf("a client publish: %v", err)
	}
	m.srv.sessions.drop("")
	c := bayeux.NewClient(m.url(spec.CometDPath), bayeux.ClientOptions{HTTPClient: u.http})
	if err := c.Handshake(t.Context()); bayeux.ErrorCode(err) != 403 {
		t.Errorf("cookie of a forgotten session: %v", err)
	}
}

// routes.go serves every operation of the contract.
func TestEveryOperationHasAHandler(t *testing.T) {
	m := newMock(t)
	ids := m.srv.contract.OperationIDs()
	if len(ids) == 0 {
		t.Fatal("no operations")
	}
	for _, id := range ids {
		if _, ok := m.srv.api[id]; !ok {
			t.Errorf("operation %s has no handler in routes.go", id)
		}
	}
	if len(m.srv.api) != len(ids) {
		t.Errorf("%d handlers for %d operations", len(m.srv.api), len(ids))
	}
}

// Real-GWS fact 13: interaction resources carry uri http://HOST/api/v2/{mediaType}/{id} (no
// /me/, HOST the one the request reached) and path /{mediaType}/{id}, in workbin content
// and in notifications (StatusChange and the *StateResourceV2 of WorkbinStateChangeMessage).
func TestResourceLocations(t *testing.T) {
	m := newMock(t)
	marat := m.login("MaratTest")
	l := marat.cometd("/v2/me/**")
	located := func(where string, res map[string]any, array string) {
		t.Helper()
		id, _ := res[spec.FieldID].(string)
		if res[spec.FieldURI] != m.url("/api/v2/"+array+"/"+id) || res[spec.FieldPath] != "/"+array+"/"+id {
			t.Errorf("%s: uri %v path %v", where, res[spec.FieldURI], res[spec.FieldPath])
		}
	}
	c := marat.get("/api/v2/workbins/" + seedWorkbin + "?subresources=*")
	expect(t, c, 200, 0)
	n := 0
	for _, array := range []string{"workitems", "chats", "emails"} {
		for _, x := range c.body[spec.FieldWorkbin].(map[string]any)[array].([]any) {
			located("content "+array, x.(map[string]any), array)
			n++
		}
	}
	if n == 0 {
		t.Fatal("the seed workbin lists nothing")
	}
	expect(t, marat.post("/api/v2/workbins/"+seedWorkbin, map[string]string{"operationName": spec.Subscribe}), 200, 0)
	expect(t, marat.post("/api/v2/workbins/"+seedWorkbin, pullBody(spec.PullEmail, seedEmail)), 200, 0)
	d := data(t, l.next(t, "EmailStateChangeMessage", onChannel(spec.ChannelEmails, spec.MessageEmailStateChange)))
	located("StatusChange", d["email"].(map[string]any), "emails")
	d = data(t, l.next(t, "ItemRemoved", onChannel(spec.ChannelWorkbins, spec.MessageWorkbinStateChange)))
	located("ItemRemoved", d["emailStateResourceV2"].(map[string]any), "emails")
}
