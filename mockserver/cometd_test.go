package mockserver

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/workbinkit/workbinkit/bayeux"
	"github.com/workbinkit/workbinkit/spec"
)

// listen handshakes a Bayeux client built from opts, subscribes it to channels and runs
// its connect loop until the test ends.
func (m *mockT) listen(opts bayeux.ClientOptions, channels ...string) *listener {
	m.t.Helper()
	rec := bayeux.NewRecorder(bayeux.Redaction{})
	opts.Recorder = rec
	c := bayeux.NewClient(m.url(spec.CometDPath), opts)
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	if err := c.Handshake(ctx); err != nil {
		m.t.Fatalf("handshake %s: %v", opts.Name, err)
	}
	events, stop := c.Listen("/**")
	if err := c.Subscribe(ctx, channels...); err != nil {
		m.t.Fatalf("subscribe %v (%s): %v", channels, opts.Name, err)
	}
	runCtx, stopRun := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = c.Run(runCtx)
	}()
	m.t.Cleanup(func() {
		stop()
		stopRun()
		<-done
	})
	return &listener{c: c, rec: rec, events: events}
}

// D9, real-GWS fact 4: the three ways field clients authenticate CometD all work end to
// end (handshake, subscribe, a connect that receives the user's event), with the
// subscriptions those clients make: the Genesys .NET client sends Basic on every Bayeux
// request and no cookie, and subscribes /**; the Vue widget sends the JSESSIONID cookie
// only and subscribes /v2/me/*; the Genesys iOS sample sends the cookie and the CSRF
// header.
func TestCometDAuthentication(t *testing.T) {
	m := newMock(t)
	marat := m.login("MaratTest")
	basic := http.Header{}
	req, _ := http.NewRequest(http.MethodGet, "/", nil)
	req.SetBasicAuth("MaratTest", "MaratTest")
	basic.Set("Authorization", req.Header.Get("Authorization"))
	listeners := map[string]*listener{
		"Basic, no cookie": m.listen(bayeux.ClientOptions{Name: "dotnet", HTTPClient: &http.Client{}, Header: basic}, "/**"),
		"cookie only":      m.listen(bayeux.ClientOptions{Name: "vue", HTTPClient: marat.http}, "/v2/me/*"),
		"cookie and CSRF":  m.listen(bayeux.ClientOptions{Name: "ios", HTTPClient: marat.http, Header: http.Header{spec.HeaderCSRFToken: {marat.csrf}}}, "/v2/me/**"),
	}
	r := marat.post("/api/v2/workbins/"+seedWorkbin, pullBody(spec.PullWorkitem, seedWorkitem))
	expect(t, r, 200, 0)
	for name, l := range listeners {
		got := l.next(t, name+": the pull's WorkitemStateChangeMessage", onChannel(spec.ChannelWorkitems, spec.MessageWorkitemStateChange))
		if d := data(t, got); num(d[spec.FieldReferenceID]) != r.ref() {
			t.Errorf("%s: %s", name, got.Data)
		}
	}
	// Without credentials, with wrong ones, or with a cookie of no session: refused.
	wrong := http.Header{}
	req.SetBasicAuth("MaratTest", "nope")
	wrong.Set("Authorization", req.Header.Get("Authorization"))
	for name, opts := range map[string]bayeux.ClientOptions{
		"nothing":      {HTTPClient: &http.Client{}},
		"wrong Basic":  {HTTPClient: &http.Client{}, Header: wrong},
		"stale cookie": {HTTPClient: &http.Client{}, Header: http.Header{"Cookie": {spec.SessionCookie + "=nosuchsession"}}},
	} {
		c := bayeux.NewClient(m.url(spec.CometDPath), opts)
		if err := c.Handshake(t.Context()); err == nil || !strings.Contains(err.Error(), "403") {
			t.Errorf("handshake with %s: %v, want 403::Handshake denied", name, err)
		}
	}
}

// D9: /** and /v2/** are accepted and deliver only the subscriber's own events (no meta
// message, nothing of another user); what cannot match a /v2/me channel is refused with
// subscribe_denied, /meta/** with meta_channel.
func TestCometDSubscriptionPatterns(t *testing.T) {
	m := newMock(t)
	marat := m.login("MaratTest")
	agent := m.login("agent2")
	la := agent.cometd("/**", "/v2/**")
	lm := marat.cometd("/**")
	expect(t, marat.post("/api/v2/workbins/"+seedWorkbin, pullBody(spec.PullWorkitem, seedWorkitem)), 200, 0)
	lm.next(t, "MaratTest's own notification", onChannel(spec.ChannelWorkitems, spec.MessageWorkitemStateChange))
	// Barrier: agent2's own event comes after anything published before it.
	r := agent.post("/api/v2/workbins/"+agent2WB, map[string]string{"operationName": spec.Subscribe})
	expect(t, r, 200, 0)
	got := la.next(t, "agent2's own event", nil)
	if d := data(t, got); got.Channel != spec.ChannelWorkbins || d[spec.FieldID] != agent2WB || num(d[spec.FieldReferenceID]) != r.ref() {
		t.Errorf("agent2 (subscribed to /**) received %s %s before its own event: a leak", got.Channel, got.Data)
	}
	for _, msg := range la.rec.Messages() {
		if mm := msg.Message; msg.Direction == bayeux.FromServer && mm.ClientID == "" && mm.Successful == nil && !strings.HasPrefix(mm.Channel, spec.PrivateChannelRoot+"/") {
			t.Errorf("an event outside %s reached a /** subscriber: %s", spec.PrivateChannelRoot, mm.Channel)
		}
	}
	for _, ch := range []string{"/*", "/v2/*", "/v2/users", "/v2/users/**", "/foo/**", "/v2/mex/**"} {
		err := la.c.Subscribe(t.Context(), ch)
		if err == nil || !strings.Contains(err.Error(), "subscribe_denied") {
			t.Errorf("subscribe %s: %v, want 403 subscribe_denied", ch, err)
		}
	}
	// The client library refuses /meta/** itself; the server must too.
	replies, _, err := la.c.SendAsIs(t.Context(), bayeux.Message{Channel: bayeux.MetaSubscribe, ClientID: la.c.ClientID(), Subscription: bayeux.NewSubscription("/meta/**")})
	if err != nil || len(replies) == 0 || replies[0].Successful == nil || *replies[0].Successful || !strings.Contains(replies[0].Error, "meta_channel") {
		t.Errorf("subscribe /meta/**: %v %+v, want 403 meta_channel subscribe_denied", err, replies)
	}
}
