package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/workbinkit/workbinkit/bayeux"
	"github.com/workbinkit/workbinkit/spec"
)

// noteOn builds a delivered notification on channel with data.
func noteOn(t *testing.T, channel string, data map[string]any) Notification {
	t.Helper()
	raw, err := json.Marshal(map[string]any{"channel": channel, "data": data})
	if err != nil {
		t.Fatal(err)
	}
	// Numbers as the listener decodes them.
	var back struct {
		Data map[string]any `json:"data"`
	}
	if err := decodeNumber(raw, &back); err != nil {
		t.Fatal(err)
	}
	return Notification{Channel: channel, Data: back.Data, Raw: raw}
}

// TestPullNoteWrong: a message about the spec's own interaction that breaks the
// expectation is final and names the field (pointer); what may legitimately come first
// is not.
func TestPullNoteWrong(t *testing.T) {
	mi, _ := spec.MediaOf(spec.MediaWorkitem)
	p := Placed{ID: "WI-1", Media: spec.MediaWorkitem}
	const ref = 7
	data := func(mt string, ref any, id string) map[string]any {
		d := map[string]any{spec.FieldMessageType: mt, spec.FieldNotificationType: spec.NotificationStatusChange,
			mi.ResourceKey: map[string]any{spec.FieldID: id}}
		if ref != nil {
			d[spec.FieldReferenceID] = ref
		}
		return d
	}
	otherChannel := spec.ChannelWorkbins
	for _, c := range []struct {
		name      string
		n         Notification
		accounted bool
		rule      Rule
		pointer   string
	}{
		{"the right one", noteOn(t, mi.Channel, data(mi.MessageType, ref, p.ID)), false, "", ""},
		{"another interaction, wrong referenceId", noteOn(t, mi.Channel, data(mi.MessageType, 99, "WI-2")), false, "", ""},
		{"without referenceId", noteOn(t, mi.Channel, data(mi.MessageType, nil, p.ID)), false, "", ""},
		{"wrong referenceId", noteOn(t, mi.Channel, data(mi.MessageType, 1007, p.ID)), false, RuleReferenceEcho, "/data/referenceId"},
		{"another request's referenceId", noteOn(t, mi.Channel, data(mi.MessageType, 8, p.ID)), true, "", ""},
		{"wrong channel", noteOn(t, otherChannel, data(mi.MessageType, ref, p.ID)), false, RuleNotification, "/channel"},
		{"a channel outside the contract", noteOn(t, "/v2/me/devices", data(mi.MessageType, ref, p.ID)), false, "", ""},
		{"wrong messageType", noteOn(t, mi.Channel, data("NoSuchMessage", ref, p.ID)), false, RuleNotification, "/data/messageType"},
	} {
		t.Run(c.name, func(t *testing.T) {
			v := pullNoteWrong(c.n, p, ref, c.accounted)
			switch {
			case c.rule == "" && v != nil:
				t.Fatalf("not final, got %+v", v)
			case c.rule != "" && v == nil:
				t.Fatalf("want a final %s at %s, got none", c.rule, c.pointer)
			case c.rule != "" && (v.Rule != c.rule || v.Pointer != c.pointer || !strings.Contains(v.Message, p.ID)):
				t.Fatalf("got %+v, want %s at %s naming %s", v, c.rule, c.pointer, p.ID)
			}
		})
	}
}

// TestWorkbinEventWrong: the requester's copy of the event about the interaction with a
// referenceId no request of the spec got is final; the copy without one is not.
func TestWorkbinEventWrong(t *testing.T) {
	mi, _ := spec.MediaOf(spec.MediaWorkitem)
	p := Placed{ID: "WI-1", Media: spec.MediaWorkitem}
	e := workbinEvent{action: spec.ActionItemRemoved, w: WorkbinRef{ID: "WB-1"}, p: p, ref: 3}
	ev := func(ref any) Notification {
		d := map[string]any{spec.FieldMessageType: spec.MessageWorkbinStateChange, spec.FieldID: "WB-1", spec.FieldAction: spec.ActionItemRemoved,
			mi.StateResourceV2Key: map[string]any{spec.FieldID: p.ID}}
		if ref != nil {
			d[spec.FieldReferenceID] = ref
		}
		return noteOn(t, spec.ChannelWorkbins, d)
	}
	if v := workbinEventWrong(ev(4), e, false); v == nil || v.Rule != RuleReferenceEcho || v.Pointer != "/data/referenceId" {
		t.Errorf("wrong referenceId: %+v", v)
	}
	for name, v := range map[string]*Violation{
		"right referenceId": workbinEventWrong(ev(3), e, false), "no referenceId": workbinEventWrong(ev(nil), e, false),
		"another request's": workbinEventWrong(ev(4), e, true), "not the requester's copy": workbinEventWrong(ev(4), workbinEvent{action: e.action, w: e.w, p: p}, false),
	} {
		if v != nil {
			t.Errorf("%s: not final, got %+v", name, v)
		}
	}
}

// TestSubscriptionNoteWrong: only the channel is final (another process may subscribe
// to the same workbin at the same time).
func TestSubscriptionNoteWrong(t *testing.T) {
	n := func(channel string, ref any) Notification {
		return noteOn(t, channel, map[string]any{spec.FieldMessageType: spec.MessageWorkbinSubscriptionStateChange, spec.FieldID: "WB-1", spec.FieldReferenceID: ref})
	}
	if v := subscriptionNoteWrong(n(spec.ChannelWorkitems, 1), "WB-1"); v == nil || v.Pointer != "/channel" {
		t.Errorf("wrong channel: %+v", v)
	}
	if v := subscriptionNoteWrong(n(spec.ChannelWorkbins, 99), "WB-1"); v != nil {
		t.Errorf("another referenceId on the right channel is not final: %+v", v)
	}
}

// TestStatsNoteWrong: a message carrying RequestAgentStats' referenceId that is not a
// WorkbinStatsMessage is final; another referenceId is not.
func TestStatsNoteWrong(t *testing.T) {
	n := func(mt string, ref any) Notification {
		return noteOn(t, spec.ChannelWorkbins, map[string]any{spec.FieldMessageType: mt, spec.FieldReferenceID: ref})
	}
	if v := statsNoteWrong(n(spec.MessageWorkbinStateChange, 5), 5); v == nil || v.Rule != RuleAgentStats || v.Pointer != "/data/messageType" {
		t.Errorf("wrong messageType with the request's referenceId: %+v", v)
	}
	for name, v := range map[string]*Violation{"the stats message": statsNoteWrong(n(spec.MessageWorkbinStats, 5), 5), "another referenceId": statsNoteWrong(n(spec.MessageWorkbinStateChange, 6), 5)} {
		if v != nil {
			t.Errorf("%s: not final, got %+v", name, v)
		}
	}
}

// TestProbeFindings: what the first probe found reaches the waits of its kind (with its
// rule and pointer), silence reaches every notification wait, a hung REST method and an
// unanswered first connect reach the requests they concern, and nothing else.
func TestProbeFindings(t *testing.T) {
	o := testOptions(t)
	broken := Violation{Rule: RuleReferenceEcho, Pointer: "/data/referenceId", Message: "referenceId 1001, not 3"}
	s := &Suite{opts: *o, info: TargetInfo{Probe: ProbeReport{Ran: []string{"x"}, Broken: map[noteKind]Violation{kindMedia(spec.MediaWorkitem): broken},
		REST: "POST /api/v2/workbins/WB (Subscribe) got no response within 10s", RESTMethod: http.MethodPost,
		Connect: "its first /meta/connect … was unanswered after 10s"}}}
	if f := s.finding(kindMedia(spec.MediaWorkitem)); !strings.Contains(f, "first probe") || !strings.Contains(f, broken.Message) {
		t.Errorf("finding of a broken kind: %q", f)
	}
	if v, ok := s.probeViolation(kindMedia(spec.MediaWorkitem)); !ok || v.Rule != broken.Rule || v.Pointer != broken.Pointer {
		t.Errorf("probeViolation: %+v %v", v, ok)
	}
	for _, k := range []noteKind{kindMedia(spec.MediaChat), kindStats, ""} {
		if f := s.finding(k); f != "" {
			t.Errorf("kind %q: the probe found nothing about it, got %q", k, f)
		}
	}
	if f := s.restFinding(http.MethodPost, ""); !strings.Contains(f, "first probe") || !strings.Contains(f, "Subscribe") {
		t.Errorf("restFinding(POST): %q", f)
	}
	if f := s.restFinding(http.MethodGet, ""); f != "" {
		t.Errorf("restFinding(GET): %q", f)
	}
	// A hung optional operation holds back that operation only, not the pulls.
	s.info.Probe.RESTOperation = spec.Subscribe
	if f := s.restFinding(http.MethodPost, spec.Subscribe); !strings.Contains(f, "does not answer Subscribe") {
		t.Errorf("restFinding(POST, Subscribe) after a hung Subscribe: %q", f)
	}
	if f := s.restFinding(http.MethodPost, spec.PullWorkitem); f != "" {
		t.Errorf("restFinding(POST, PullWorkitem) after a hung Subscribe: %q, want none", f)
	}
	s.info.Probe.RESTOperation = ""
	if f := s.connectFinding(); !strings.Contains(f, "first probe") {
		t.Errorf("connectFinding: %q", f)
	}

	s.info.Probe = ProbeReport{Ran: []string{"x"}, Silent: "nothing arrived", Connect: "unanswered"}
	for _, k := range []noteKind{kindMedia(spec.MediaChat), kindStats, kindSubscription, ""} {
		if f := s.finding(k); !strings.HasPrefix(f, noSilentProbe) || !strings.Contains(f, "unanswered") {
			t.Errorf("silent probe, kind %q: %q", k, f)
		}
	}
	if f := s.finding(kindGone); f != "" {
		t.Errorf("silence says nothing about the content: %q", f)
	}
	if _, ok := s.probeViolation(kindStats); ok {
		t.Error("silence has no rule of its own: the wait's applies")
	}
}

// TestProbeConnect: a first connect (asking for an immediate reply) still out, or
// answered, after timeouts.immediate is a finding; one answered in time is not.
func TestProbeConnect(t *testing.T) {
	o := testOptions(t)
	o.Timeouts.Immediate = Duration(50 * time.Millisecond)
	s := &Suite{opts: *o}
	for _, c := range []struct {
		name  string
		delay time.Duration // how long the server holds the first connect
		want  string
	}{
		{"answered at once", 0, ""},
		{"answered late", 200 * time.Millisecond, "was not answered within"},
		{"unanswered", time.Hour, "was unanswered after"},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := bayeux.NewServer(bayeux.Options{})
			release := make(chan struct{})
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, err := io.ReadAll(r.Body)
				if err != nil {
					return
				}
				r.Body = io.NopCloser(bytes.NewReader(body))
				if c.delay > 0 && bytes.Contains(body, []byte(`"/meta/connect"`)) {
					select {
					case <-time.After(c.delay):
					case <-release:
						return
					case <-r.Context().Done():
						return
					}
				}
				srv.ServeHTTP(w, r)
			}))
			t.Cleanup(ts.Close)
			t.Cleanup(func() { close(release) }) // before ts.Close, which waits for handlers
			rec := newRecorder()
			l := &Listener{client: bayeux.NewClient(ts.URL+"/cometd", bayeux.ClientOptions{Recorder: rec, NetworkDelay: 5 * time.Second}), rec: rec, done: make(chan error, 1)}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if err := l.client.Handshake(ctx); err != nil {
				t.Fatal(err)
			}
			go l.run(ctx)
			// Wait (bounded) until the first connect was sent and, when it is answered
			// at all, answered; then past the bound.
			deadline := time.Now().Add(5 * time.Second)
			for time.Now().Before(deadline) {
				es := rec.Entries()
				if len(es) >= 2 && (es[1].Done || c.delay == time.Hour) && time.Since(es[1].Sent) > 100*time.Millisecond {
					break
				}
				select {
				case <-rec.Changed():
				case <-time.After(20 * time.Millisecond):
				}
			}
			var rep ProbeReport
			s.probeConnect(l, &rep)
			if (c.want == "") != (rep.Connect == "") || !strings.Contains(rep.Connect, c.want) {
				t.Fatalf("Connect %q, want %q", rep.Connect, c.want)
			}
			cancel()
			select {
			case <-l.done:
			case <-time.After(5 * time.Second):
				t.Fatal("the connect loop did not stop")
			}
		})
	}
}

// TestHung: only a request that waited out its own timeout is a hang, not one the
// caller's context ended, nor a refused connection.
func TestHung(t *testing.T) {
	live := context.Background()
	done, cancel := context.WithCancel(context.Background())
	cancel()
	timeout := &Exchange{Err: &urlError{context.DeadlineExceeded}}
	if !hung(live, timeout) {
		t.Error("a request that waited out timeouts.request is a hang")
	}
	if hung(done, timeout) {
		t.Error("a request the caller ended is no hang")
	}
	if hung(live, &Exchange{Err: errors.New("connection refused")}) || hung(live, &Exchange{}) {
		t.Error("a refused connection, or a reply, is no hang")
	}
}

type urlError struct{ err error }

func (e *urlError) Error() string { return "Post: " + e.err.Error() }
func (e *urlError) Unwrap() error { return e.err }
