package mockserver

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/workbinkit/workbinkit/bayeux"
	"github.com/workbinkit/workbinkit/spec"
)

func basicHeader(name, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(name+":"+pass))
}

// bayeuxAs posts a raw Bayeux batch to the CometD endpoint as u (its cookie jar), with the
// extra headers hdr (name, value pairs), and decodes the replies.
func (u *user) bayeuxAs(t *testing.T, body string, hdr ...string) []bayeux.Message {
	t.Helper()
	r := u.do(http.MethodPost, spec.CometDPath, body, hdr...)
	if r.status != http.StatusOK {
		t.Fatalf("POST %s %s: %s", spec.CometDPath, body, r)
	}
	msgs, err := bayeux.DecodeMessages(r.raw)
	if err != nil {
		t.Fatalf("reply %s: %v", r.raw, err)
	}
	return msgs
}

func handshakeCount(l *listener) int {
	n := 0
	for _, m := range l.rec.Messages() {
		if m.Direction == bayeux.ToServer && m.Message.Channel == bayeux.MetaHandshake {
			n++
		}
	}
	return n
}

// Issue 11: a Bayeux clientId is bound to the user who handshook. MaratTest's clientId,
// sent by someone with no credentials, with agent2's cookie or Basic credentials, or with
// MaratTest's cookie but a wrong Basic password, is answered "402::Unknown client" with
// reconnect:"handshake" for every kind of message, and nothing changes: MaratTest's client
// keeps its one session (no re-handshake), its subscription, and gets his next event.
func TestCometDClientIDBoundToUser(t *testing.T) {
	m := newMock(t)
	marat := m.login("MaratTest")
	agent := m.login("agent2")
	l := marat.cometd("/v2/me/*")
	id := l.c.ClientID()
	before, ok := m.srv.cometd.Session(id)
	if !ok || before.Principal != "MaratTest" {
		t.Fatalf("MaratTest's session %+v", before)
	}
	batches := []string{
		fmt.Sprintf(`[{"channel":"/meta/connect","clientId":%q,"connectionType":"long-polling","advice":{"timeout":0}}]`, id),
		fmt.Sprintf(`[{"channel":"/meta/connect","clientId":%q,"connectionType":"long-polling"}]`, id),
		fmt.Sprintf(`[{"channel":"/meta/subscribe","clientId":%q,"subscription":"/v2/me/**"}]`, id),
		fmt.Sprintf(`[{"channel":"/meta/unsubscribe","clientId":%q,"subscription":"/v2/me/*"}]`, id),
		fmt.Sprintf(`[{"channel":"/v2/me/workitems","clientId":%q,"data":{"forged":true}}]`, id),
		fmt.Sprintf(`[{"channel":"/meta/disconnect","clientId":%q}]`, id),
	}
	intruders := []struct {
		name string
		u    *user
		hdr  []string
	}{
		{"no credentials", m.anonymous(), nil},
		{"agent2's cookie", agent, nil},
		{"agent2's Basic", m.anonymous(), []string{"Authorization", basicHeader("agent2", "agent2")}},
		{"MaratTest's cookie with a wrong Basic password", marat, []string{"Authorization", basicHeader("MaratTest", "nope")}},
	}
	for _, in := range intruders {
		for _, b := range batches {
			r := in.u.bayeuxAs(t, b, in.hdr...)
			if len(r) != 1 || r[0].IsSuccessful() || r[0].Error != "402::Unknown client" || r[0].Advice == nil || r[0].Advice.Reconnect != bayeux.ReconnectHandshake {
				t.Errorf("%s, %s: %+v, want 402::Unknown client with reconnect handshake", in.name, b, r)
			}
		}
	}
	after, ok := m.srv.cometd.Session(id)
	if !ok || !slices.Equal(after.Subscriptions, []string{"/v2/me/*"}) {
		t.Fatalf("MaratTest's session after the intruders: %+v (present %v)", after, ok)
	}
	expect(t, marat.post("/api/v2/workbins/"+seedWorkbin, pullBody(spec.PullWorkitem, seedWorkitem)), 200, 0)
	l.next(t, "MaratTest's own event after the intruders", onChannel(spec.ChannelWorkitems, spec.MessageWorkitemStateChange))
	if n := handshakeCount(l); n != 1 {
		t.Errorf("MaratTest's client handshook %d times: its session was disturbed", n)
	}
	for _, e := range m.srv.Journal(0) {
		if e.Kind != "cometd" || e.Principal != "MaratTest" || e.Direction != bayeux.ToServer.String() {
			continue
		}
		var msg bayeux.Message
		_ = json.Unmarshal(e.Message, &msg)
		if msg.Channel == bayeux.MetaUnsubscribe || msg.Channel == bayeux.MetaDisconnect || msg.Data != nil {
			t.Errorf("an intruder's message journaled as MaratTest's: %s", e.Message)
		}
	}
}

// A client with Basic credentials and no cookie jar (the Genesys .NET client) is bound to
// the Basic user: the same credentials, or a cookie session of the same user, act on its
// session; no credentials or another user's do not.
func TestCometDBasicOnlyClientBoundToBasicUser(t *testing.T) {
	m := newMock(t)
	basic := []string{"Authorization", basicHeader("MaratTest", "MaratTest")}
	noJar := &user{m: m, http: &http.Client{Timeout: waitLimit}}
	r := noJar.bayeuxAs(t, `[{"channel":"/meta/handshake","version":"1.0","supportedConnectionTypes":["long-polling"]}]`, basic...)
	if len(r) != 1 || !r[0].IsSuccessful() {
		t.Fatalf("handshake with Basic: %+v", r)
	}
	id := r[0].ClientID
	connect0 := fmt.Sprintf(`[{"channel":"/meta/connect","clientId":%q,"connectionType":"long-polling","advice":{"timeout":0}}]`, id)
	for name, c := range map[string]struct {
		u    *user
		hdr  []string
		want bool
	}{
		"the same Basic":            {noJar, basic, true},
		"MaratTest's cookie":        {m.login("MaratTest"), nil, true},
		"no credentials":            {noJar, nil, false},
		"agent2's Basic":            {noJar, []string{"Authorization", basicHeader("agent2", "agent2")}, false},
		"MaratTest, wrong password": {noJar, []string{"Authorization", basicHeader("MaratTest", "x")}, false},
	} {
		r := c.u.bayeuxAs(t, connect0, c.hdr...)
		if len(r) < 1 || r[0].IsSuccessful() != c.want || (!c.want && r[0].Error != "402::Unknown client") {
			t.Errorf("connect with %s: %+v, want successful %v", name, r, c.want)
		}
	}
	if _, ok := m.srv.cometd.Session(id); !ok {
		t.Error("the Basic client's session is gone")
	}
}

// Issue 11: handshakes of one user end only his own Bayeux sessions: past
// cometdMaxSessionsPerUser his least recently active goes; agent2's listener is untouched.
func TestCometDHandshakesOfOneUserKeepOthersSessions(t *testing.T) {
	m := newMock(t)
	agent := m.login("agent2")
	l := agent.cometd("/v2/me/*")
	flood := m.basicOnly("MaratTest")
	basic := basicHeader("MaratTest", "MaratTest")
	for i := range cometdMaxSessionsPerUser + 50 {
		r := flood.bayeuxAs(t, `[{"channel":"/meta/handshake","version":"1.0","supportedConnectionTypes":["long-polling"]}]`, "Authorization", basic)
		if len(r) != 1 || !r[0].IsSuccessful() {
			t.Fatalf("handshake %d: %+v", i, r)
		}
	}
	n := 0
	for _, si := range m.srv.cometd.Sessions() {
		if si.Principal == "MaratTest" {
			n++
		}
	}
	if n != cometdMaxSessionsPerUser {
		t.Errorf("MaratTest holds %d Bayeux sessions, want %d", n, cometdMaxSessionsPerUser)
	}
	if _, ok := m.srv.cometd.Session(l.c.ClientID()); !ok {
		t.Fatal("agent2's Bayeux session is gone")
	}
	expect(t, agent.post("/api/v2/workbins/"+agent2WB, map[string]string{"operationName": spec.Subscribe}), 200, 0)
	l.next(t, "agent2's own event", nil)
	if n := handshakeCount(l); n != 1 {
		t.Errorf("agent2's client handshook %d times", n)
	}
}
