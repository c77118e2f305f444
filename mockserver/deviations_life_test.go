package mockserver

import (
	"net/http"
	"strings"
	"testing"

	"github.com/workbinkit/workbinkit/bayeux"
	"github.com/workbinkit/workbinkit/spec"
)

// The fixture interactions MaratTest works on (fixtures/builtin/interactions/owned.json).
const (
	ownedWorkitem = "02F0ASAK8EAFA90W"
	ownedChat     = "0001BaBFVPR20090"
)

// seen runs do as MaratTest listening to /v2/me/** and returns the events up to the barrier.
func seen(t *testing.T, m *mockT, do func(marat *user)) []bayeux.Message {
	marat := m.login("MaratTest")
	l := marat.cometd("/v2/me/**")
	untilBarrier(t, marat, l)
	do(marat)
	return untilBarrier(t, marat, l)
}

func anyEvent(events []bayeux.Message, pred func(bayeux.Message) bool) bool {
	for _, e := range events {
		if pred(e) {
			return true
		}
	}
	return false
}

func contains(parts ...string) func(bayeux.Message) bool {
	return func(e bayeux.Message) bool {
		for _, p := range parts {
			if !strings.Contains(string(e.Data), p) {
				return false
			}
		}
		return true
	}
}

// lifecycleDeviationChecks are the checks of deviations_life.go (see deviationChecks).
func lifecycleDeviationChecks() map[Deviation]func(t *testing.T, m *mockT) bool {
	wi := "/api/v2/me/workitems/" + ownedWorkitem
	chat := "/api/v2/me/chats/" + ownedChat
	attach := map[string]any{"operationName": "AttachUserData", "userData": map[string]any{"UserData1": "DATA1"}}
	return map[Deviation]func(t *testing.T, m *mockT) bool{
		DevAllowedOperationRefused: func(t *testing.T, m *mockT) bool {
			return m.login("MaratTest").post(wi, attach).status == http.StatusOK
		},
		DevCapabilityGateIgnored: func(t *testing.T, m *mockT) bool {
			r := m.login("MaratTest").post(wi, map[string]any{"operationName": "Accept"})
			return r.status == http.StatusBadRequest && r.code() == int(spec.StatusInvalidParameter)
		},
		DevOthersInteractionOpen: func(t *testing.T, m *mockT) bool {
			r := m.login("agent2").post(wi, map[string]any{"operationName": "Complete"})
			return r.status == http.StatusForbidden && r.code() == int(spec.StatusNoPermission)
		},
		DevBadOperationBody: func(t *testing.T, m *mockT) bool {
			r := m.login("MaratTest").post(wi, map[string]any{"operationName": "AttachUserData"})
			return r.status == http.StatusBadRequest && r.code() == int(spec.StatusMissingParameter)
		},
		DevMissingPropertiesUpdate: func(t *testing.T, m *mockT) bool {
			ev := seen(t, m, func(u *user) { expect(t, u.post(wi, attach), 200, 0) })
			return anyEvent(ev, contains(`"PropertiesUpdated"`))
		},
		DevCompletedKeepsCaps: func(t *testing.T, m *mockT) bool {
			ev := seen(t, m, func(u *user) { expect(t, u.post(wi, map[string]any{"operationName": "Complete"}), 200, 0) })
			return anyEvent(ev, contains(`"Completed"`, `"capabilities":[]`))
		},
		DevLeaveCompletes: func(t *testing.T, m *mockT) bool {
			ev := seen(t, m, func(u *user) { expect(t, u.post(chat, map[string]any{"operationName": "Leave"}), 200, 0) })
			return anyEvent(ev, contains(`"LeftChat"`))
		},
		DevUserDataNotShown: func(t *testing.T, m *mockT) bool {
			ev := seen(t, m, func(u *user) { expect(t, u.post(wi, attach), 200, 0) })
			me := m.login("MaratTest").get("/api/v2/me?subresources=workitems")
			return anyEvent(ev, contains(`"PropertiesUpdated"`, `"UserData1"`)) && strings.Contains(string(me.raw), `"UserData1"`)
		},
		DevTransferIgnored: func(t *testing.T, m *mockT) bool {
			u := m.login("MaratTest")
			expect(t, u.post(wi, map[string]any{"operationName": "Transfer", "targetUri": m.url("/api/v2/users/" + agent2ID)}), 200, 0)
			return !strings.Contains(string(u.get("/api/v2/me?subresources=workitems").raw), ownedWorkitem)
		},
		DevInviteeNotNotified: func(t *testing.T, m *mockT) bool {
			agent := m.login("agent2")
			la := agent.cometd("/v2/me/**")
			untilBarrier(t, agent, la)
			expect(t, m.login("MaratTest").post(chat, map[string]any{"operationName": "Invite", "targetUri": "/api/v2/users/" + agent2ID}), 200, 0)
			return anyEvent(untilBarrier(t, agent, la), contains(`"Invited"`, ownedChat))
		},
		DevSetInFocusRefused: func(t *testing.T, m *mockT) bool {
			return m.login("MaratTest").post(wi, map[string]any{"operationName": "SetInFocus"}).status == http.StatusOK
		},
		DevMessageLogDropped: func(t *testing.T, m *mockT) bool {
			ev := seen(t, m, func(u *user) {
				expect(t, u.post(chat, map[string]any{"operationName": "SendMessage", "text": "Hello"}), 200, 0)
			})
			return anyEvent(ev, onChannel(spec.ChannelChats, spec.MessageChatMessageLogUpdated))
		},
		DevChannelsNotNotified: func(t *testing.T, m *mockT) bool {
			ev := seen(t, m, func(u *user) {
				expect(t, u.post("/api/v2/me", map[string]any{"operationName": "StartContactCenterSession", "channels": []string{"chat"}}), 200, 0)
			})
			return anyEvent(ev, onChannel(spec.ChannelChannels, spec.MessageChannelStateChange))
		},
	}
}
