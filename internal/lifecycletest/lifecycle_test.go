package lifecycletest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/workbinkit/workbinkit/internal/nodetest"
	"github.com/workbinkit/workbinkit/mockserver"
	"github.com/workbinkit/workbinkit/spec"
)

// scriptTimeout bounds one script run (the script bounds itself to 30 s).
const scriptTimeout = 60 * time.Second

// step is one JSON line of a script.
type step struct {
	Step             string         `json:"step"`
	Status           int            `json:"status"`
	Body             map[string]any `json:"body"`
	Channel          string         `json:"channel"`
	MessageType      string         `json:"messageType"`
	NotificationType string         `json:"notificationType"`
	ReferenceID      *float64       `json:"referenceId"`
	ID               string         `json:"id"`
	State            string         `json:"state"`
	Capabilities     []string       `json:"capabilities"`
	UserData         map[string]any `json:"userData"`
	Workitems        []string       `json:"workitems"`
	ChatURI          string         `json:"chatUri"`
	Index            *float64       `json:"index"`
	Type             string         `json:"type"`
	FromType         string         `json:"fromType"`
	Nickname         string         `json:"nickname"`
	Text             string         `json:"text"`
	Successful       bool           `json:"successful"`
	Error            string         `json:"error"`
}

// startMock serves the built-in fixtures on 127.0.0.1:0.
func startMock(t *testing.T) string {
	t.Helper()
	srv, err := mockserver.New(mockserver.Config{})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		ts.Close()
	})
	return ts.URL
}

// runScript runs testdata/name with node and returns its steps by name, and their order.
func runScript(t *testing.T, name string, args ...string) (map[string]step, []string) {
	t.Helper()
	node := nodetest.Require(t, "cometd", "cometd-nodejs-client")
	ctx, cancel := context.WithTimeout(context.Background(), scriptTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, append([]string{filepath.Join("testdata", name)}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	t.Logf("%s output:\n%s", name, stdout.String())
	if err != nil {
		t.Fatalf("%s: %v (context: %v)\nstderr:\n%s", name, err, ctx.Err(), stderr.String())
	}
	steps := map[string]step{}
	var order []string
	sc := bufio.NewScanner(&stdout)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		var s step
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		steps[s.Step] = s
		order = append(order, s.Step)
	}
	return steps, order
}

// okReply: HTTP 200 {statusCode:0[, referenceId]}; it returns the referenceId (nil: none).
func okReply(t *testing.T, s step) *float64 {
	t.Helper()
	if s.Status != 200 || s.Body[spec.FieldStatusCode] != 0.0 {
		t.Errorf("%s: reply HTTP %d %v, want 200 {statusCode:0}", s.Step, s.Status, s.Body)
	}
	if r, ok := s.Body[spec.FieldReferenceID].(float64); ok {
		return &r
	}
	return nil
}

// sameRef: a notification echoes the reply's referenceId when both carry one.
func sameRef(t *testing.T, reply *float64, n step) {
	t.Helper()
	if reply != nil && n.ReferenceID != nil && *reply != *n.ReferenceID {
		t.Errorf("%s: referenceId %v, the reply's is %v", n.Step, *n.ReferenceID, *reply)
	}
}

// TestWorkitemLifecycleOfficialClient: pull the seed workitem → AttachUserData →
// PropertiesUpdated carrying the data → Complete → Completed with no capabilities, and the
// workitem no longer among the agent's (GET /me?subresources=*).
func TestWorkitemLifecycleOfficialClient(t *testing.T) {
	base := startMock(t)
	steps, order := runScript(t, "workitem-lifecycle.mjs", base)
	want := []string{"me", "subscribed", "pulled", "pulled-notified", "attached", "attached-notified", "completed", "completed-notified", "me-after", "disconnected"}
	if !slices.Equal(order, want) {
		t.Fatalf("steps %q, want %q", order, want)
	}
	const id = "02F0ASAK8EAFA00W"
	pull := steps["pulled-notified"]
	if pull.State != spec.StateProcessing || pull.ID != id {
		t.Errorf("after the pull: %+v", pull)
	}
	ref := okReply(t, steps["attached"])
	a := steps["attached-notified"]
	sameRef(t, ref, a)
	caps, _ := spec.Capabilities(spec.MediaWorkitem, spec.StateProcessing)
	if a.Channel != spec.ChannelWorkitems || a.MessageType != spec.MessageWorkitemStateChange || a.NotificationType != spec.NotificationPropertiesUpdated ||
		a.State != spec.StateProcessing || !slices.Equal(a.Capabilities, caps) {
		t.Errorf("after AttachUserData: %+v", a)
	}
	if a.UserData["UserData1"] != "DATA1" || a.UserData["UserData2"] != 123456789.0 {
		t.Errorf("PropertiesUpdated userData %v lacks the attached data", a.UserData)
	}
	for k, v := range pull.UserData {
		if a.UserData[k] != v && k != "UserData1" && k != "UserData2" {
			t.Errorf("userData %q was %v before AttachUserData, %v after", k, v, a.UserData[k])
		}
	}
	ref = okReply(t, steps["completed"])
	c := steps["completed-notified"]
	sameRef(t, ref, c)
	if c.NotificationType != spec.NotificationStatusChange || c.State != spec.StateCompleted || len(c.Capabilities) != 0 {
		t.Errorf("after Complete: %+v, want StatusChange Completed without capabilities", c)
	}
	if me := steps["me-after"]; me.Status != 200 || slices.Contains(me.Workitems, id) {
		t.Errorf("GET /me?subresources=* after Complete: HTTP %d, workitems %v; %s must be gone", me.Status, me.Workitems, id)
	}
	if !steps["disconnected"].Successful {
		t.Error("disconnect failed")
	}
}

// TestChatLifecycleOfficialClient: pull a chat → the customer's message (control plane)
// arrives as MessageLogUpdated → SendMessage → the agent's text in the transcript →
// Complete.
func TestChatLifecycleOfficialClient(t *testing.T) {
	base := startMock(t)
	steps, order := runScript(t, "chat-lifecycle.mjs", base, spec.AdminBasePath+spec.AdminPathChatCustomerTemplate)
	want := []string{"me", "subscribed", "pulled", "pulled-notified", "customer-sent", "customer-notified", "sent", "sent-notified", "completed", "completed-notified", "disconnected"}
	if !slices.Equal(order, want) {
		t.Fatalf("steps %q, want %q", order, want)
	}
	if p := steps["pulled-notified"]; p.State != spec.StateChatting {
		t.Errorf("after the pull: %+v", p)
	}
	if s := steps["customer-sent"]; s.Status/100 != 2 {
		t.Errorf("the control plane answered HTTP %d to the customer's message", s.Status)
	}
	c := steps["customer-notified"]
	if c.NotificationType != spec.NotificationNewMessages || c.Type != spec.ChatMessageText || c.FromType != spec.ParticipantCustomer || c.Index == nil {
		t.Errorf("the customer's message: %+v", c)
	}
	okReply(t, steps["sent"])
	a := steps["sent-notified"]
	if a.NotificationType != spec.NotificationNewMessages || a.FromType != spec.ParticipantAgent || a.Nickname != "Marat" || a.Index == nil || c.Index == nil || *a.Index <= *c.Index {
		t.Errorf("the agent's message: %+v (the customer's index %v)", a, c.Index)
	}
	okReply(t, steps["completed"])
	if d := steps["completed-notified"]; d.State != spec.StateCompleted || len(d.Capabilities) != 0 {
		t.Errorf("after Complete: %+v", d)
	}
	if !steps["disconnected"].Successful {
		t.Error("disconnect failed")
	}
}
