package mockserver

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/workbinkit/workbinkit/spec"

	"github.com/workbinkit/workbinkit/internal/nodetest"
)

// TestOfficialCometDClientSeedScenario is the "Done when": the official CometD
// JavaScript client in MaratTest's session receives the WorkitemStateChangeMessage of the
// seed pull with the referenceId of the HTTP reply, and a second pull fails with 2.
func TestOfficialCometDClientSeedScenario(t *testing.T) {
	node := nodetest.Require(t, "cometd", "cometd-nodejs-client")
	m := newMock(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join("testdata", "seed-cometd.mjs"), m.ts.URL)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	t.Logf("script output:\n%s", stdout.String())
	if err != nil {
		t.Fatalf("seed-cometd.mjs: %v (context: %v)\nstderr:\n%s", err, ctx.Err(), stderr.String())
	}
	type step struct {
		Step             string         `json:"step"`
		Status           int            `json:"status"`
		StatusCode       int            `json:"statusCode"`
		UserName         string         `json:"userName"`
		CSRFHeader       string         `json:"csrfHeader"`
		Body             map[string]any `json:"body"`
		Channel          string         `json:"channel"`
		MessageType      string         `json:"messageType"`
		NotificationType string         `json:"notificationType"`
		ReferenceID      float64        `json:"referenceId"`
		ID               string         `json:"id"`
		State            string         `json:"state"`
		Capabilities     []string       `json:"capabilities"`
		Successful       bool           `json:"successful"`
	}
	steps := map[string]step{}
	var order []string
	sc := bufio.NewScanner(&stdout)
	for sc.Scan() {
		var s step
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		steps[s.Step] = s
		order = append(order, s.Step)
	}
	want := []string{"me", "handshake", "subscribed", "pulled", "notified", "pulled-again", "disconnected"}
	if !slices.Equal(order, want) {
		t.Fatalf("steps %q, want %q", order, want)
	}
	if s := steps["me"]; s.Status != 200 || s.UserName != "MaratTest" || s.CSRFHeader != spec.HeaderCSRFToken {
		t.Errorf("GET /me: %+v", s)
	}
	p := steps["pulled"]
	n, _ := p.Body[spec.FieldReferenceID].(float64)
	if p.Status != 200 || p.Body[spec.FieldStatusCode] != 0.0 || n < 1 || len(p.Body) != 2 {
		t.Errorf("pull reply %+v, want {statusCode:0, referenceId:N}", p)
	}
	caps, _ := spec.Capabilities(spec.MediaWorkitem, spec.StateProcessing)
	if e := steps["notified"]; e.Channel != spec.ChannelWorkitems || e.MessageType != spec.MessageWorkitemStateChange ||
		e.NotificationType != spec.NotificationStatusChange || e.ReferenceID != n || e.ID != seedWorkitem ||
		e.State != spec.StateProcessing || !slices.Equal(e.Capabilities, caps) {
		t.Errorf("notification %+v (referenceId want %v, capabilities want %v)", e, n, caps)
	}
	if p := steps["pulled-again"]; p.Status != 400 || p.Body[spec.FieldStatusCode] != 2.0 {
		t.Errorf("second pull %+v, want 400 statusCode 2", p)
	}
	if !steps["disconnected"].Successful {
		t.Error("disconnect failed")
	}
}
