package mockserver

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/workbinkit/workbinkit/bayeux"
	"github.com/workbinkit/workbinkit/spec"
)

// writeGolden rewrites the golden notifications of the operations after the pull from what
// the mock sends (go test ./mockserver -run TestInteractionLifecycle -args -life.golden).
var writeGolden = flag.Bool("life.golden", false, "write fixtures/builtin/notifications/*.json of the interaction lifecycle")

// golden keeps a notification as fixtures/builtin/notifications/<name>.json, its uris on
// the goldens' host.
func golden(t *testing.T, m *mockT, name string, msg bayeux.Message) {
	t.Helper()
	if !*writeGolden {
		return
	}
	raw := strings.ReplaceAll(string(msg.Data), m.ts.URL, "http://localhost:8090")
	var data any
	if err := json.Unmarshal([]byte(raw), &data); err != nil {
		t.Fatal(err)
	}
	out, err := json.MarshalIndent(map[string]any{"channel": msg.Channel, "data": data}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("..", "fixtures", "builtin", "notifications", name+".json"), append(out, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

// notificationOn matches a media notification of one interaction and notificationType.
func notificationOn(channel, key, id, notification string) func(bayeux.Message) bool {
	return func(m bayeux.Message) bool {
		if m.Channel != channel {
			return false
		}
		var d map[string]json.RawMessage
		_ = json.Unmarshal(m.Data, &d)
		var res struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(d[key], &res)
		return res.ID == id && string(d[spec.FieldNotificationType]) == `"`+notification+`"`
	}
}

func exactly(t *testing.T, r reply, want string) {
	t.Helper()
	var a, b any
	_ = json.Unmarshal(r.raw, &a)
	_ = json.Unmarshal([]byte(want), &b)
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if !bytes.Equal(ja, jb) {
		t.Fatalf("reply %s, want %s", r, want)
	}
}

func TestInteractionLifecycle(t *testing.T) {
	m := newMock(t)
	marat := m.login("MaratTest")
	l := marat.cometd(spec.ChannelWorkitems, spec.ChannelChats, spec.ChannelEmails, spec.ChannelChannels)
	l.waitSubscribed(t, 1)
	agent2 := m.login("agent2")
	l2 := agent2.cometd(spec.ChannelChats)
	l2.waitSubscribed(t, 1)

	// Workitem: pull, attach data, complete (the walkthrough).
	expect(t, marat.post("/api/v2/workbins/"+seedWorkbin, pullBody(spec.PullWorkitem, seedWorkitem)), 200, 0)
	wiPath := "/api/v2/me/workitems/" + seedWorkitem
	r := marat.post(wiPath, map[string]any{"operationName": "AttachUserData", "userData": map[string]any{"UserData1": "DATA1", "UserData2": 123456789}})
	expect(t, r, 200, 0)
	ev := l.next(t, "PropertiesUpdated", notificationOn(spec.ChannelWorkitems, "workitem", seedWorkitem, spec.NotificationPropertiesUpdated))
	d := data(t, ev)
	if num(d[spec.FieldReferenceID]) != r.ref() {
		t.Errorf("PropertiesUpdated referenceId %v, reply %d", d[spec.FieldReferenceID], r.ref())
	}
	if ud := d["workitem"].(map[string]any)[spec.FieldUserData].(map[string]any); ud["UserData1"] != "DATA1" || ud["Workbin"] != "testWorkbin" {
		t.Errorf("userData %v", ud)
	}
	golden(t, m, "workitem-properties-updated", ev)
	// Outside the capabilities, or someone else's: refused, nothing published.
	expect(t, marat.post(wiPath, map[string]any{"operationName": "Accept"}), 400, 2)
	expect(t, agent2.post(wiPath, map[string]any{"operationName": "Complete"}), 403, 5)
	expect(t, marat.post(wiPath, map[string]any{"operationName": "DeleteUserData"}), 400, 1)
	expect(t, marat.post(wiPath, map[string]any{"operationName": "DeleteUserData", "keys": "UserData1"}), 400, 10)
	r = marat.post(wiPath, map[string]any{"operationName": "Complete"})
	expect(t, r, 200, 0)
	ev = l.next(t, "Completed", notificationOn(spec.ChannelWorkitems, "workitem", seedWorkitem, spec.NotificationStatusChange))
	d = data(t, ev)
	wi := d["workitem"].(map[string]any)
	if wi[spec.FieldState] != spec.StateCompleted || len(wi[spec.FieldCapabilities].([]any)) != 0 || num(d[spec.FieldReferenceID]) != r.ref() {
		t.Errorf("after Complete: %s", ev.Data)
	}
	golden(t, m, "workitem-completed", ev)
	if me := marat.get("/api/v2/me?subresources=workitems"); strings.Contains(string(me.raw), seedWorkitem) {
		t.Errorf("the completed workitem is still the agent's: %s", me)
	}
	expect(t, marat.post(wiPath, map[string]any{"operationName": "Complete"}), 404, 6)

	// Chat: pull, the customer writes, the agent answers, invites agent2, completes.
	expect(t, marat.post("/api/v2/workbins/"+seedWorkbin, pullBody(spec.PullChat, seedChat)), 200, 0)
	chatPath := "/api/v2/me/chats/" + seedChat
	if res, err := http.Post(m.url("/_mock/chats/"+seedChat+"/customer"), "application/json", strings.NewReader(`{"action":"message","text":"Where is my order?"}`)); err != nil || res.StatusCode != 200 {
		t.Fatalf("customer message: %v %v", res, err)
	}
	ev = l.next(t, "customer's message", onChannel(spec.ChannelChats, spec.MessageChatMessageLogUpdated))
	d = data(t, ev)
	msg := d[spec.FieldMessages].([]any)[0].(map[string]any)
	if msg[spec.FieldText] != "Where is my order?" || msg[spec.FieldFrom].(map[string]any)[spec.FieldParticipantType] != spec.ParticipantCustomer ||
		d[spec.FieldChatPath] != "/chats/"+seedChat || d[spec.FieldReferenceID] != nil {
		t.Errorf("customer's message: %s", ev.Data)
	}
	golden(t, m, "chat-customer-message", ev)
	r = marat.post(chatPath, map[string]any{"operationName": "SendMessage", "text": "Let me check."})
	exactly(t, r, `{"statusCode":0}`)
	ev = l.next(t, "agent's message", onChannel(spec.ChannelChats, spec.MessageChatMessageLogUpdated))
	d = data(t, ev)
	msg = d[spec.FieldMessages].([]any)[0].(map[string]any)
	if msg[spec.FieldText] != "Let me check." || num(msg[spec.FieldIndex]) != 2 {
		t.Errorf("agent's message: %s", ev.Data)
	}
	golden(t, m, "chat-agent-message", ev)
	r = marat.post(chatPath, map[string]any{"operationName": "Invite", "targetUri": m.url("/api/v2/users/" + agent2ID)})
	expect(t, r, 200, 0)
	if r.ref() <= 0 {
		t.Errorf("Invite answers no referenceId: %s", r)
	}
	ev = l.next(t, "ParticipantsUpdated", notificationOn(spec.ChannelChats, "chat", seedChat, spec.NotificationParticipantsUpdated))
	caps := data(t, ev)["chat"].(map[string]any)[spec.FieldCapabilities].([]any)
	if !slices.Contains(caps, any(spec.CapSendToAgents)) {
		t.Errorf("inviter's capabilities %v", caps)
	}
	golden(t, m, "chat-participants-updated", ev)
	ev = l2.next(t, "invitation", notificationOn(spec.ChannelChats, "chat", seedChat, spec.NotificationStatusChange))
	if st := data(t, ev)["chat"].(map[string]any)[spec.FieldState]; st != spec.StateInvited {
		t.Errorf("invitee's state %v", st)
	}
	golden(t, m, "chat-invited", ev)
	expect(t, agent2.post(chatPath, map[string]any{"operationName": "Reject"}), 200, 0)
	l2.next(t, "invitee Completed", notificationOn(spec.ChannelChats, "chat", seedChat, spec.NotificationStatusChange))
	expect(t, marat.post(chatPath, map[string]any{"operationName": "Leave"}), 200, 0)
	ev = l.next(t, "LeftChat", func(msg bayeux.Message) bool {
		return notificationOn(spec.ChannelChats, "chat", seedChat, spec.NotificationStatusChange)(msg) && strings.Contains(string(msg.Data), spec.StateLeftChat)
	})
	golden(t, m, "chat-left", ev)
	expect(t, marat.post(chatPath, map[string]any{"operationName": "SendMessage", "text": "x"}), 400, 2)
	expect(t, marat.post(chatPath, map[string]any{"operationName": "Complete"}), 200, 0)
	ev = l.next(t, "chat Completed", func(msg bayeux.Message) bool {
		return notificationOn(spec.ChannelChats, "chat", seedChat, spec.NotificationStatusChange)(msg) && strings.Contains(string(msg.Data), `"Completed"`)
	})
	golden(t, m, "chat-completed", ev)

	// Email: pull, reply (a new email, Composing).
	expect(t, marat.post("/api/v2/workbins/"+seedWorkbin, pullBody(spec.PullEmail, seedEmail)), 200, 0)
	exactly(t, marat.post("/api/v2/me/emails/"+seedEmail, map[string]any{"operationName": "Reply", "queueName": "Outbound"}), `{"statusCode":0}`)
	ev = l.next(t, "reply", func(msg bayeux.Message) bool {
		return msg.Channel == spec.ChannelEmails && strings.Contains(string(msg.Data), spec.StateComposing)
	})
	golden(t, m, "email-reply-composing", ev)

	// The contact-center session.
	exactly(t, marat.post("/api/v2/me", map[string]any{"operationName": "StartContactCenterSession", "channels": []string{"chat", "workitem"}}), `{"statusCode":0}`)
	ev = l.next(t, "channels", onChannel(spec.ChannelChannels, spec.MessageChannelStateChange))
	if !strings.Contains(string(ev.Data), `"Ready"`) {
		t.Errorf("channels after Start: %s", ev.Data)
	}
	golden(t, m, "channels-ready", ev)
	if me := marat.get("/api/v2/me?subresources=channels"); !strings.Contains(string(me.raw), `"channel":"workitem"`) {
		t.Errorf("GET /me channels: %s", me)
	}
	expect(t, marat.post("/api/v2/me", map[string]any{"operationName": "StartContactCenterSession"}), 400, 1)
	expect(t, marat.post("/api/v2/me", map[string]any{"operationName": "StartContactCenterSession", "channels": []string{"pigeon"}}), 400, 2)
	exactly(t, marat.post("/api/v2/me", map[string]any{"operationName": "EndContactCenterSession"}), `{"statusCode":0}`)
	ev = l.next(t, "channels logged out", onChannel(spec.ChannelChannels, spec.MessageChannelStateChange))
	if !strings.Contains(string(ev.Data), spec.ChannelLoggedOut) {
		t.Errorf("channels after End: %s", ev.Data)
	}
	golden(t, m, "channels-logged-out", ev)
	expect(t, marat.get("/api/v2/me"), 401, 20) // the session's cookie is dead (D21)
}

// TestTargetOf: targets are read from targetUri or userUri, by their last
// segment under /users/ or /queues/.
func TestTargetOf(t *testing.T) {
	for uri, want := range map[string][2]string{
		"http://h/api/v2/users/abc":      {"users", "abc"},
		"http://h/api/v2/users/abc/":     {"users", "abc"},
		"/api/v2/queues/q1":              {"queues", "q1"},
		"http://h/api/v2/contacts/x":     {"", ""},
		"http://h/":                      {"", ""},
		"users":                          {"", ""},
		"http://h/api/v2/users/a%2Fb":    {"users", "a/b"},
		"http://[::1]:80/api/v2/users/u": {"users", "u"},
	} {
		kind, id, err := targetOf(uri)
		if err != nil || kind != want[0] || id != want[1] {
			t.Errorf("targetOf(%q) = %q %q %v, want %v", uri, kind, id, err, want)
		}
	}
	if _, _, err := targetOf("http://h/%zz"); err == nil {
		t.Error("a URI that does not parse is accepted")
	}
}
