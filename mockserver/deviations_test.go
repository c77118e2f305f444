package mockserver

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/workbinkit/workbinkit/bayeux"
	"github.com/workbinkit/workbinkit/mockserver/state"
	"github.com/workbinkit/workbinkit/spec"
)

// observed is what one user saw of a scenario: the HTTP replies and every CometD event up
// to a barrier (the WorkbinStatsMessage answering a RequestAgentStats sent last, which no
// deviation suppresses).
type observed struct {
	replies []reply
	events  []bayeux.Message
}

func (o observed) find(pred func(bayeux.Message) bool) (bayeux.Message, bool) {
	for _, e := range o.events {
		if pred(e) {
			return e, true
		}
	}
	return bayeux.Message{}, false
}

// untilBarrier sends RequestAgentStats and collects l's events until its answer.
func untilBarrier(t *testing.T, u *user, l *listener) []bayeux.Message {
	t.Helper()
	r := u.post("/api/v2/workbins", map[string]string{"operationName": spec.RequestAgentStats})
	expect(t, r, 200, 0)
	var got []bayeux.Message
	l.next(t, "the barrier WorkbinStatsMessage", func(m bayeux.Message) bool {
		got = append(got, m)
		if !onChannel(spec.ChannelWorkbins, spec.MessageWorkbinStats)(m) {
			return false
		}
		var d map[string]any
		_ = json.Unmarshal(m.Data, &d)
		return d[spec.FieldReferenceID] == nil || int64(d[spec.FieldReferenceID].(float64)) == r.ref() || int64(d[spec.FieldReferenceID].(float64)) == r.ref()+1000
	})
	return got
}

// seedPull: MaratTest subscribes to testWorkbin, listens to /v2/me/**, pulls the seed
// workitem; everything up to the barrier is observed.
func seedPull(t *testing.T, m *mockT) observed {
	marat := m.login("MaratTest")
	l := marat.cometd("/v2/me/**")
	expect(t, marat.post("/api/v2/workbins/"+seedWorkbin, map[string]string{"operationName": spec.Subscribe}), 200, 0)
	untilBarrier(t, marat, l)
	r := marat.post("/api/v2/workbins/"+seedWorkbin, pullBody(spec.PullWorkitem, seedWorkitem))
	expect(t, r, 200, 0)
	return observed{replies: []reply{r}, events: untilBarrier(t, marat, l)}
}

func mediaNotification(o observed) (map[string]any, bayeux.Message, bool) {
	m, ok := o.find(func(m bayeux.Message) bool { return strings.Contains(string(m.Data), `"workitem":`) })
	if !ok {
		return nil, m, false
	}
	var d map[string]any
	_ = json.Unmarshal(m.Data, &d)
	return d, m, true
}

func itemRemoved(o observed) (map[string]any, bool) {
	m, ok := o.find(func(m bayeux.Message) bool { return strings.Contains(string(m.Data), spec.ActionItemRemoved) })
	if !ok {
		return nil, false
	}
	var d map[string]any
	_ = json.Unmarshal(m.Data, &d)
	return d, true
}

func errorEnvelopeReply(t *testing.T, m *mockT) reply {
	return m.login("MaratTest").post("/api/v2/workbins/nosuch", pullBody(spec.PullWorkitem, "x"))
}

// deviationChecks holds, for every deviation, a scenario that reports whether the rule the
// deviation breaks holds. Off, it must hold; on, it must not.
func deviationChecks() map[Deviation]func(t *testing.T, m *mockT) bool {
	return map[Deviation]func(t *testing.T, m *mockT) bool{
		DevWrongReferenceID: func(t *testing.T, m *mockT) bool {
			o := seedPull(t, m)
			d, _, ok := mediaNotification(o)
			return ok && int64(d[spec.FieldReferenceID].(float64)) == o.replies[0].ref()
		},
		DevRepeatedReferenceID: func(t *testing.T, m *mockT) bool {
			u := m.login("MaratTest")
			a := u.post("/api/v2/workbins/"+seedWorkbin, map[string]string{"operationName": spec.Subscribe})
			b := u.post("/api/v2/workbins/"+seedWorkbin, map[string]string{"operationName": spec.Subscribe})
			return a.ref() >= 1 && b.ref() > a.ref()
		},
		DevReferenceIDToOthers: func(t *testing.T, m *mockT) bool {
			marat, agent := m.login("MaratTest"), m.login("agent2")
			la := agent.cometd(spec.ChannelWorkbins)
			group := "/api/v2/me/workbins/" + agentGroupWB + "?agentGroup=MyAgentGroup"
			expect(t, agent.post(group, map[string]string{"operationName": spec.Subscribe}), 200, 0)
			expect(t, marat.post(group, pullBody(spec.PullWorkitem, "02F0ASAK8EAFA30W")), 200, 0)
			o := observed{events: untilBarrier(t, agent, la)}
			d, ok := itemRemoved(o)
			return ok && d[spec.FieldReferenceID] == nil
		},
		DevMissingCapability: func(t *testing.T, m *mockT) bool {
			d, _, ok := mediaNotification(seedPull(t, m))
			caps, _ := spec.Capabilities(spec.MediaWorkitem, spec.StateProcessing)
			return ok && len(d["workitem"].(map[string]any)[spec.FieldCapabilities].([]any)) == len(caps)
		},
		DevWrongStateAfterPull: func(t *testing.T, m *mockT) bool {
			d, _, ok := mediaNotification(seedPull(t, m))
			return ok && d["workitem"].(map[string]any)[spec.FieldState] == spec.StateProcessing
		},
		DevWrongChannel: func(t *testing.T, m *mockT) bool {
			_, msg, ok := mediaNotification(seedPull(t, m))
			return ok && msg.Channel == spec.ChannelWorkitems
		},
		DevMissingMediaNotify: func(t *testing.T, m *mockT) bool {
			_, _, ok := mediaNotification(seedPull(t, m))
			return ok
		},
		DevMissingItemRemoved: func(t *testing.T, m *mockT) bool {
			_, ok := itemRemoved(seedPull(t, m))
			return ok
		},
		DevExtraSuccessField: func(t *testing.T, m *mockT) bool {
			r := seedPull(t, m).replies[0]
			return len(r.body) == 2
		},
		DevExtraErrorField: func(t *testing.T, m *mockT) bool {
			r := errorEnvelopeReply(t, m)
			return len(r.body) == 2 && r.body[spec.FieldStatusMessage] != nil
		},
		DevMissingErrorMessage: func(t *testing.T, m *mockT) bool {
			r := errorEnvelopeReply(t, m)
			return r.body[spec.FieldStatusMessage] != nil
		},
		DevWrongSecondPullCode: func(t *testing.T, m *mockT) bool {
			u := m.login("MaratTest")
			expect(t, u.post("/api/v2/workbins/"+seedWorkbin, pullBody(spec.PullWorkitem, seedWorkitem)), 200, 0)
			r := u.post("/api/v2/workbins/"+seedWorkbin, pullBody(spec.PullWorkitem, seedWorkitem))
			return r.status == 400 && r.code() == int(spec.StatusInvalidParameter)
		},
		DevSecondPullSucceeds: func(t *testing.T, m *mockT) bool {
			u := m.login("MaratTest")
			expect(t, u.post("/api/v2/workbins/"+seedWorkbin, pullBody(spec.PullWorkitem, seedWorkitem)), 200, 0)
			r := u.post("/api/v2/workbins/"+seedWorkbin, pullBody(spec.PullWorkitem, seedWorkitem))
			return r.status == 400 && r.code() != 0
		},
		DevWrongErrorHTTPStatus: func(t *testing.T, m *mockT) bool {
			r := errorEnvelopeReply(t, m)
			return r.status == http.StatusNotFound && r.code() == int(spec.StatusNotFound)
		},
		DevPulledItemStillListed: func(t *testing.T, m *mockT) bool {
			seedPull(t, m)
			r := m.login("MaratTest").get("/api/v2/workbins/" + seedWorkbin + "?subresources=workitem")
			return r.status == 200 && !strings.Contains(string(r.raw), seedWorkitem)
		},
		DevEventLeaked: func(t *testing.T, m *mockT) bool {
			agent := m.login("agent2")
			la := agent.cometd("/v2/me/**")
			seedPull(t, m)
			for _, e := range untilBarrier(t, agent, la) {
				if !onChannel(spec.ChannelWorkbins, spec.MessageWorkbinStats)(e) {
					return false // agent2 saw something of MaratTest's
				}
			}
			return true
		},
		DevCSRFNotEnforced: func(t *testing.T, m *mockT) bool {
			r := m.login("MaratTest").do(http.MethodPost, "/api/v2/workbins/"+seedWorkbin, map[string]string{"operationName": spec.Subscribe}, spec.HeaderCSRFToken, "")
			return r.status == http.StatusForbidden && string(r.raw) == spec.CSRFRejection
		},
		DevMissingWWWAuthenticate: func(t *testing.T, m *mockT) bool {
			r := m.anonymous().get("/api/v2/me")
			return r.status == 401 && strings.HasPrefix(r.header.Get(spec.HeaderWWWAuthenticate), "Basic realm=")
		},
		DevWrongMessageType: func(t *testing.T, m *mockT) bool {
			d, _, ok := mediaNotification(seedPull(t, m))
			return ok && d[spec.FieldMessageType] == spec.MessageWorkitemStateChange
		},
		DevUserDataDropped: func(t *testing.T, m *mockT) bool {
			d, _, ok := mediaNotification(seedPull(t, m))
			return ok && d["workitem"].(map[string]any)[spec.FieldUserData] != nil
		},
		DevHandshakeWithoutAuth: func(t *testing.T, m *mockT) bool {
			c := bayeux.NewClient(m.url(spec.CometDPath), bayeux.ClientOptions{})
			err := c.Handshake(t.Context())
			return bayeux.ErrorCode(err) == 403
		},
		DevUnknownClientAccepted: func(t *testing.T, m *mockT) bool {
			c := bayeux.NewClient(m.url(spec.CometDPath), bayeux.ClientOptions{})
			replies, _, err := c.SendAsIs(t.Context(), bayeux.Message{Channel: bayeux.MetaConnect, ClientID: "nosuchclient", ConnectionType: bayeux.ConnectionTypeLongPolling})
			if err != nil || len(replies) != 1 {
				t.Fatalf("connect: %v %v", replies, err)
			}
			r := replies[0]
			return r.Successful != nil && !*r.Successful && strings.HasPrefix(r.Error, "402") && r.Advice != nil && r.Advice.Reconnect == bayeux.ReconnectHandshake
		},
		DevPullChatGateIgnored: func(t *testing.T, m *mockT) bool {
			o := m.srv.Options()
			o.EnableNotificationOnPullChat = false
			if err := m.srv.SetOptions(o); err != nil {
				t.Fatal(err)
			}
			r := m.login("MaratTest").post("/api/v2/workbins/"+seedWorkbin, pullBody(spec.PullChat, seedChat))
			return r.status == http.StatusForbidden && r.code() == int(spec.StatusForbidden)
		},
		DevMissingCSRFHeaders: func(t *testing.T, m *mockT) bool {
			return m.login("MaratTest").csrf != ""
		},
		DevAgentStatsWrongCount: func(t *testing.T, m *mockT) bool {
			u := m.login("MaratTest")
			l := u.cometd(spec.ChannelWorkbins)
			evs := untilBarrier(t, u, l)
			var d map[string]any
			_ = json.Unmarshal(evs[len(evs)-1].Data, &d)
			_, items, err := m.srv.Store().Content(state.Actor{User: "MaratTest"}, state.WorkbinRef{ID: seedWorkbin})
			if err != nil {
				t.Fatal(err)
			}
			st := d[spec.FieldWorkbinStats].(map[string]any)[seedWorkbin].(map[string]any)
			return int(st[spec.FieldStatCount].(float64)) == len(items)
		},
		DevMissingSubscriptionNote: func(t *testing.T, m *mockT) bool {
			u := m.login("MaratTest")
			l := u.cometd(spec.ChannelWorkbins)
			expect(t, u.post("/api/v2/workbins/"+seedWorkbin, map[string]string{"operationName": spec.Subscribe}), 200, 0)
			_, ok := observed{events: untilBarrier(t, u, l)}.find(onChannel(spec.ChannelWorkbins, spec.MessageWorkbinSubscriptionStateChange))
			return ok
		},
	}
}

// TestDeviations proves that every deviation switch changes what it says: with the switch
// off the rule holds, with it on it does not, and nothing else trips the self-check. A
// switch without a check here fails the test.
func TestDeviations(t *testing.T) {
	checks := deviationChecks()
	maps.Copy(checks, newDeviationChecks())
	maps.Copy(checks, lifecycleDeviationChecks())
	for _, info := range Deviations() {
		check, ok := checks[info.Name]
		if !ok {
			t.Errorf("deviation %s has no check in deviationChecks", info.Name)
			continue
		}
		t.Run(string(info.Name), func(t *testing.T) {
			if info.Description == "" || info.Breaks == "" {
				t.Error("a deviation needs its description and the rule it breaks")
			}
			if !check(t, newMock(t)) {
				t.Fatalf("with %s off, the rule does not hold: %s", info.Name, info.Breaks)
			}
			if check(t, newMock(t, func(c *Config) { c.Deviations = []Deviation{info.Name} })) {
				t.Fatalf("with %s on, the rule still holds: the switch does not %q", info.Name, info.Description)
			}
		})
	}
	for d := range checks {
		if !d.Known() {
			t.Errorf("check for unknown deviation %s", d)
		}
	}
}

func TestParseDeviations(t *testing.T) {
	got, err := ParseDeviations(" wrong-reference-id, csrf-not-enforced,wrong-reference-id,")
	if err != nil || !slices.Equal(got, []Deviation{DevWrongReferenceID, DevCSRFNotEnforced}) {
		t.Errorf("ParseDeviations: %v %v", got, err)
	}
	if _, err := ParseDeviations("no-such-thing"); err == nil {
		t.Error("an unknown deviation was accepted")
	}
	names := map[Deviation]bool{}
	for _, d := range Deviations() {
		if names[d.Name] || strings.ToLower(string(d.Name)) != string(d.Name) || strings.Contains(string(d.Name), " ") {
			t.Errorf("deviation name %q: names are unique kebab-case", d.Name)
		}
		names[d.Name] = true
	}
}

// Every switch plugs into at least one point, and switching one on puts its hooks, and
// only its, on the request path.
func TestDeviationHooks(t *testing.T) {
	count := func(hs *hookSet) int {
		return len(hs.request) + len(hs.body) + len(hs.command) + len(hs.event) + len(hs.notify) + len(hs.reply) + len(hs.handshake) + len(hs.bayeux)
	}
	var none deviationSet
	if err := none.set(nil); err != nil || count(none.load()) != 0 || none.list() != nil {
		t.Fatalf("no switch on: %v, %d hooks, %v", err, count(none.load()), none.list())
	}
	for _, d := range deviationTable {
		var one deviationSet
		if err := one.set([]Deviation{d.Name}); err != nil {
			t.Fatal(err)
		}
		h := d.hooks
		want := 0
		for _, set := range []bool{h.request != nil, h.body != nil, h.command != nil, h.event != nil, h.notify != nil, h.reply != nil, h.handshake != nil, h.bayeux != nil} {
			if set {
				want++
			}
		}
		if got := count(one.load()); want == 0 || got != want || !slices.Equal(one.list(), []Deviation{d.Name}) {
			t.Errorf("%s: %d hooks in the table, %d on the path, on %v", d.Name, want, got, one.list())
		}
	}
}

// Fixture facts of the checks below (fixtures/builtin).
const (
	agent2Workitem = "02F0ASAK8EAFA10W" // in agent2's workbin
	groupWorkitem  = "02F0ASAK8EAFA30W" // in Workbin_AgentGroup
	otherWorkitem  = "02F0ASAK8EAFA01W" // in MaratTest's testWorkbin
)

// rawBayeux is a Bayeux client in u's HTTP session that sends messages as they are.
type rawBayeux struct {
	t  *testing.T
	m  *mockT
	c  *bayeux.Client
	id string
}

func (u *user) rawBayeux(t *testing.T) *rawBayeux {
	return &rawBayeux{t: t, m: u.m, c: bayeux.NewClient(u.m.url(spec.CometDPath), bayeux.ClientOptions{HTTPClient: u.http})}
}

// send sends msg and returns the reply on its channel.
func (r *rawBayeux) send(ctx context.Context, msg bayeux.Message) (bayeux.Message, error) {
	replies, _, err := r.c.SendAsIs(ctx, msg)
	if err != nil {
		return bayeux.Message{}, err
	}
	for _, rep := range replies {
		if rep.Channel == msg.Channel {
			return rep, nil
		}
	}
	return bayeux.Message{}, fmt.Errorf("no reply on %s among %d messages", msg.Channel, len(replies))
}

func (r *rawBayeux) must(msg bayeux.Message) bayeux.Message {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(r.t.Context(), waitLimit)
	defer cancel()
	rep, err := r.send(ctx, msg)
	if err != nil {
		r.t.Fatalf("%s: %v", msg.Channel, err)
	}
	return rep
}

func handshakeMsg(types ...string) bayeux.Message {
	return bayeux.Message{Channel: bayeux.MetaHandshake, Version: bayeux.Version, SupportedConnectionTypes: types}
}

func (r *rawBayeux) connectMsg(timeout *int64) bayeux.Message {
	m := bayeux.Message{Channel: bayeux.MetaConnect, ClientID: r.id, ConnectionType: bayeux.ConnectionTypeLongPolling}
	if timeout != nil {
		m.Advice = &bayeux.Advice{Timeout: timeout}
	}
	return m
}

// open handshakes and sends the first connect (advice.timeout 0).
func (r *rawBayeux) open() {
	r.t.Helper()
	rep := r.must(handshakeMsg(bayeux.ConnectionTypeLongPolling))
	if !rep.IsSuccessful() {
		r.t.Fatalf("handshake: %+v", rep)
	}
	r.id = rep.ClientID
}

// heldBeforeAnswered sends msg in the background and reports whether the server held it
// (bayeux SessionInfo.ConnectHeld) before it was answered; the request is then abandoned.
func (r *rawBayeux) heldBeforeAnswered(msg bayeux.Message) bool {
	r.t.Helper()
	ctx, cancel := context.WithCancel(r.t.Context())
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = r.send(ctx, msg)
	}()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(waitLimit)
	for time.Now().Before(deadline) {
		if si, ok := r.m.srv.cometd.Session(r.id); ok && si.ConnectHeld {
			return true
		}
		select {
		case <-done:
			return false
		case <-time.After(time.Millisecond): // the server announces no hold: poll, bounded
		}
	}
	r.t.Fatal("the connect was neither held nor answered within the wait limit")
	return false
}

// newDeviationChecks are the checks of the deviations of deviate.go and the Bayeux ones
// of cometd.go (see deviationChecks).
func newDeviationChecks() map[Deviation]func(t *testing.T, m *mockT) bool {
	return map[Deviation]func(t *testing.T, m *mockT) bool{
		DevRefusedRequestHalfApplied: func(t *testing.T, m *mockT) bool {
			r := m.login("MaratTest").post("/api/v2/workbins/"+seedWorkbin, pullBody(spec.PullChat, seedWorkitem))
			x, _ := m.srv.Store().Interaction(seedWorkitem)
			return r.status == http.StatusBadRequest && x.Workbin == seedWorkbin && x.Owner == ""
		},
		DevConcurrentPullsAllWin: func(t *testing.T, m *mockT) bool {
			a, b := m.login("MaratTest"), m.login("MaratTest")
			expect(t, a.post("/api/v2/workbins/"+seedWorkbin, pullBody(spec.PullWorkitem, seedWorkitem)), 200, 0)
			r := b.post("/api/v2/workbins/"+seedWorkbin, pullBody(spec.PullWorkitem, seedWorkitem))
			return r.status == http.StatusBadRequest
		},
		DevGroupParamsBothAccepted: func(t *testing.T, m *mockT) bool {
			r := m.login("MaratTest").post("/api/v2/me/workbins/"+agentGroupWB+"?agentGroup=MyAgentGroup&placeGroup=MyPlaceGroup", pullBody(spec.PullWorkitem, groupWorkitem))
			return r.status == http.StatusBadRequest && r.code() == int(spec.StatusMissingParameter)
		},
		DevAgentOnSupervisorURL: func(t *testing.T, m *mockT) bool {
			r := m.login("MaratTest").post("/api/v2/users/"+agent2ID+"/workbins/"+agent2WB, pullBody(spec.PullWorkitem, agent2Workitem))
			return r.status == http.StatusForbidden && r.code() == int(spec.StatusNoPermission)
		},
		DevSupervisorPullNotifiesAgent: func(t *testing.T, m *mockT) bool {
			agent := m.login("agent2")
			la := agent.cometd("/v2/me/**")
			untilBarrier(t, agent, la)
			expect(t, m.login("supervisor1").post("/api/v2/users/"+agent2ID+"/workbins/"+agent2WB, pullBody(spec.PullWorkitem, agent2Workitem)), 200, 0)
			for _, e := range untilBarrier(t, agent, la) {
				if strings.Contains(string(e.Data), agent2Workitem) && e.Channel == spec.ChannelWorkitems {
					return false
				}
			}
			return true
		},
		DevMultimediaNotEnforced: func(t *testing.T, m *mockT) bool {
			r := m.login("voiceonly").get("/api/v2/me/workbins")
			return r.status == http.StatusNotFound && r.code() == int(spec.StatusNotFound)
		},
		DevAddUnownedAccepted: func(t *testing.T, m *mockT) bool {
			r := m.login("MaratTest").post("/api/v2/workbins/"+seedWorkbin, map[string]string{"operationName": spec.AddWorkitem, "id": otherWorkitem})
			return r.status >= 400 && r.code() != 0
		},
		DevPullerNotParticipant: func(t *testing.T, m *mockT) bool {
			u := m.login("MaratTest")
			l := u.cometd(spec.ChannelChats)
			expect(t, u.post("/api/v2/workbins/"+seedWorkbin, pullBody(spec.PullChat, seedChat)), 200, 0)
			d := data(t, l.next(t, "the ChatStateChangeMessage", onChannel(spec.ChannelChats, spec.MessageChatStateChange)))
			parts, _ := d["chat"].(map[string]any)[spec.FieldParticipants].([]any)
			for _, p := range parts {
				if p.(map[string]any)[spec.FieldParticipantType] == spec.ParticipantAgent {
					return true
				}
			}
			return false
		},
		DevConnectNotHeld: func(t *testing.T, m *mockT) bool {
			r := m.login("MaratTest").rawBayeux(t)
			r.open()
			r.must(r.connectMsg(new(int64)))
			return r.heldBeforeAnswered(r.connectMsg(nil))
		},
		DevFirstConnectHeld: func(t *testing.T, m *mockT) bool {
			r := m.login("MaratTest").rawBayeux(t)
			r.open()
			return !r.heldBeforeAnswered(r.connectMsg(new(int64)))
		},
		DevDisconnectIgnored: func(t *testing.T, m *mockT) bool {
			r := m.login("MaratTest").rawBayeux(t)
			r.open()
			if rep := r.must(bayeux.Message{Channel: bayeux.MetaDisconnect, ClientID: r.id}); !rep.IsSuccessful() {
				t.Fatalf("disconnect: %+v", rep)
			}
			rep := r.must(r.connectMsg(new(int64)))
			return !rep.IsSuccessful() && bayeux.ErrorCode(errorOf(rep)) == 402
		},
		DevNegotiationIgnored: func(t *testing.T, m *mockT) bool {
			r := m.login("MaratTest").rawBayeux(t)
			rep := r.must(handshakeMsg("no-such-transport"))
			return !rep.IsSuccessful()
		},
	}
}

func errorOf(m bayeux.Message) error {
	e, err := bayeux.ParseError(m.Error)
	if err != nil {
		return err
	}
	return e
}
