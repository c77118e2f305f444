package mockserver

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/workbinkit/workbinkit/bayeux"
	"github.com/workbinkit/workbinkit/spec"
)

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
