package bayeux

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestHandshakeGood(t *testing.T) {
	h := newSrvHarness(t, Options{})
	resp, err := h.client.Post(h.url+"/handshake", "application/json", strings.NewReader(srvHandshakeJSON))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var replies []map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&replies); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || len(replies) != 1 {
		t.Fatalf("status %d, replies %v", resp.StatusCode, replies)
	}
	r := replies[0]
	want := map[string]any{
		"channel": "/meta/handshake", "id": "1", "successful": true, "version": "1.0", "minimumVersion": "1.0",
		"supportedConnectionTypes": []any{"long-polling"},
		"advice":                   map[string]any{"reconnect": "retry", "interval": 0.0, "timeout": 30000.0},
	}
	for k, v := range want {
		if !reflect.DeepEqual(r[k], v) {
			t.Errorf("%s = %v, want %v", k, r[k], v)
		}
	}
	id, _ := r["clientId"].(string)
	if !regexp.MustCompile(`^[A-Za-z0-9]{26,}$`).MatchString(id) {
		t.Errorf("clientId %q: want at least 26 alphanumerics (128+ random bits)", id)
	}
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "BAYEUX_BROWSER" {
			cookie = c
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.Path != "/" || cookie.Value == "" {
		t.Errorf("BAYEUX_BROWSER cookie = %+v, want HttpOnly, Path=/", cookie)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q", ct)
	}
	if other := h.handshake(); other == id {
		t.Error("two handshakes got the same clientId")
	}
}

func TestHandshakeRefused(t *testing.T) {
	h := newSrvHarness(t, Options{})
	cases := []struct {
		name, msg, code string
	}{
		{"no common connection type", `{"channel":"/meta/handshake","version":"1.0","supportedConnectionTypes":["websocket","callback-polling"],"id":"7"}`, "400"},
		{"no connection types", `{"channel":"/meta/handshake","version":"1.0","id":"7"}`, "400"},
		{"missing version", `{"channel":"/meta/handshake","supportedConnectionTypes":["long-polling"],"id":"7"}`, "400"},
		{"version too old", `{"channel":"/meta/handshake","version":"0.9","supportedConnectionTypes":["long-polling"],"id":"7"}`, "400"},
		{"malformed version", `{"channel":"/meta/handshake","version":"one","supportedConnectionTypes":["long-polling"],"id":"7"}`, "400"},
		{"minimumVersion above ours", `{"channel":"/meta/handshake","version":"2.0","minimumVersion":"1.1","supportedConnectionTypes":["long-polling"],"id":"7"}`, "400"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := h.post("[" + c.msg + "]")
			if len(r) != 1 || r[0]["successful"] != false || r[0]["id"] != "7" {
				t.Fatalf("replies %v", r)
			}
			if e, _ := r[0]["error"].(string); !strings.HasPrefix(e, c.code+":") {
				t.Errorf("error %q, want code %s", e, c.code)
			}
			if !reflect.DeepEqual(r[0]["supportedConnectionTypes"], []any{"long-polling"}) {
				t.Errorf("supportedConnectionTypes %v", r[0]["supportedConnectionTypes"])
			}
			if srvField(r[0], "advice.reconnect") != "none" {
				t.Errorf("advice %v, want reconnect none", r[0]["advice"])
			}
		})
	}
	if n := len(h.srv.Sessions()); n != 0 {
		t.Errorf("%d sessions after refused handshakes", n)
	}
	// Newer client versions are fine as long as they accept 1.0.
	r := h.post(`[{"channel":"/meta/handshake","version":"1.1.5","minimumVersion":"0.9","supportedConnectionTypes":["long-polling"]}]`)
	if r[0]["successful"] != true {
		t.Errorf("version 1.1.5 refused: %v", r[0])
	}
}

func TestHandshakeIgnoresOtherMessagesInBatch(t *testing.T) {
	h := newSrvHarness(t, Options{})
	r := h.post(`[{"channel":"/meta/handshake","version":"1.0","supportedConnectionTypes":["long-polling"]},
		{"channel":"/meta/subscribe","subscription":"/a"},{"channel":"/a","data":1}]`)
	if !reflect.DeepEqual(srvChannels(r), []string{"/meta/handshake"}) || r[0]["successful"] != true {
		t.Fatalf("replies %v", r)
	}
	if si := h.srv.Sessions(); len(si) != 1 || len(si[0].Subscriptions) != 0 {
		t.Errorf("sessions %+v", si)
	}
}

func TestFirstConnectWithTimeoutZeroAnsweredAtOnce(t *testing.T) {
	// The server would hold a connect for an hour: a reply proves timeout:0 was honoured.
	h := newSrvHarness(t, Options{Timeout: time.Hour})
	id := h.handshake()
	r := h.post(srvConnect0JSON(id))
	if len(r) != 1 || r[0]["successful"] != true || r[0]["channel"] != "/meta/connect" {
		t.Fatalf("replies %v", r)
	}
	if srvField(r[0], "advice.timeout") != float64(time.Hour.Milliseconds()) || srvField(r[0], "advice.reconnect") != "retry" {
		t.Errorf("advice %v: want the server's timeout and retry", r[0]["advice"])
	}
	// A client timeout above zero is honoured too, capped by the server's.
	r = h.post(fmt.Sprintf(`[{"channel":"/meta/connect","clientId":%q,"connectionType":"long-polling","advice":{"timeout":50}}]`, id))
	if r[0]["successful"] != true {
		t.Fatalf("replies %v", r)
	}
}

func TestHeldConnectReleasedByEvent(t *testing.T) {
	h := newSrvHarness(t, Options{Timeout: time.Hour})
	id := h.handshake()
	h.subscribe(id, "/a")
	h.post(srvConnect0JSON(id))
	ch := srvPostAsync(context.Background(), h.client, h.url+"/connect", srvConnectJSON(id))
	h.waitHeld(id)
	if n, err := h.srv.Publish("/a", map[string]any{"n": 1}); n != 1 || err != nil {
		t.Fatalf("Publish = %d, %v", n, err)
	}
	r := srvAwait(t, ch)
	if !reflect.DeepEqual(srvChannels(r.replies), []string{"/meta/connect", "/a"}) {
		t.Fatalf("replies %v", r.replies)
	}
	if r.replies[0]["successful"] != true || r.replies[0]["id"] != "c" {
		t.Errorf("connect reply %v", r.replies[0])
	}
	ev := r.replies[1]
	if !reflect.DeepEqual(ev["data"], map[string]any{"n": 1.0}) {
		t.Errorf("event %v", ev)
	}
	if _, ok := ev["clientId"]; ok {
		t.Errorf("event carries a clientId: %v", ev)
	}
}

func TestHeldConnectTimesOutEmpty(t *testing.T) {
	h := newSrvHarness(t, Options{Timeout: 300 * time.Millisecond})
	id := h.handshake()
	h.subscribe(id, "/a")
	start := time.Now()
	r := h.post(srvConnectJSON(id))
	if !reflect.DeepEqual(srvChannels(r), []string{"/meta/connect"}) || r[0]["successful"] != true {
		t.Fatalf("replies %v", r)
	}
	if srvField(r[0], "advice.reconnect") != "retry" || srvField(r[0], "advice.timeout") != 300.0 {
		t.Errorf("advice %v", r[0]["advice"])
	}
	// Not a timed assertion: a reply before the timeout would mean the connect was not held.
	if el := time.Since(start); el < 300*time.Millisecond {
		t.Errorf("connect answered after %v, before the timeout", el)
	}
	if si, _ := h.srv.Session(id); si.ConnectHeld || si.LastConnect.IsZero() {
		t.Errorf("session after timeout: %+v", si)
	}
}

func TestBatchesHandledInOrder(t *testing.T) {
	h := newSrvHarness(t, Options{Timeout: time.Hour})
	id := h.handshake()
	r := h.post(fmt.Sprintf(`[{"channel":"/meta/subscribe","clientId":%[1]q,"subscription":"/a","id":"s1"},
		{"channel":"/meta/subscribe","clientId":%[1]q,"subscription":"/b","id":"s2"}]`, id))
	if len(r) != 2 || r[0]["id"] != "s1" || r[0]["subscription"] != "/a" || r[1]["id"] != "s2" || r[1]["subscription"] != "/b" ||
		r[0]["successful"] != true || r[1]["successful"] != true {
		t.Fatalf("replies %v", r)
	}
	// Publish before subscribe: no event; subscribe before publish: the event rides along.
	r = h.post(fmt.Sprintf(`[{"channel":"/c","clientId":%[1]q,"data":"early","id":"p1"},
		{"channel":"/meta/subscribe","clientId":%[1]q,"subscription":"/c","id":"s3"},
		{"channel":"/c","clientId":%[1]q,"data":"late","id":"p2"}]`, id))
	if !reflect.DeepEqual(srvChannels(r), []string{"/c", "/meta/subscribe", "/c", "/c"}) {
		t.Fatalf("replies %v", r)
	}
	if r[0]["id"] != "p1" || r[2]["id"] != "p2" || r[3]["data"] != "late" || r[3]["id"] != nil {
		t.Errorf("replies %v", r)
	}
	// [connect, publish]: the publish is handled, and its event ends the connect at once.
	r = h.post(fmt.Sprintf(`[{"channel":"/meta/connect","clientId":%[1]q,"connectionType":"long-polling","id":"c1"},
		{"channel":"/a","clientId":%[1]q,"data":{"x":1},"id":"p3"}]`, id))
	if !reflect.DeepEqual(srvChannels(r), []string{"/meta/connect", "/a", "/a"}) {
		t.Fatalf("replies %v", r)
	}
	if r[0]["id"] != "c1" || r[0]["successful"] != true || r[1]["id"] != "p3" || r[1]["successful"] != true {
		t.Errorf("replies %v", r)
	}
}

func TestBareObjectAccepted(t *testing.T) {
	h := newSrvHarness(t, Options{})
	status, r := srvPost(t, h.client, h.url, `{"channel":"/meta/handshake","version":"1.0","supportedConnectionTypes":["long-polling"],"id":"x"}`)
	if status != http.StatusOK || len(r) != 1 || r[0]["successful"] != true || r[0]["id"] != "x" {
		t.Fatalf("status %d replies %v", status, r)
	}
}

func TestWildcardSubscriptions(t *testing.T) {
	h := newSrvHarness(t, Options{})
	one, many, plain := h.handshake(), h.handshake(), h.handshake()
	h.subscribe(one, "/x/*")
	h.subscribe(many, "/x/**")
	h.subscribe(plain, "/x/y")
	cases := []struct {
		channel string
		want    []string
	}{
		{"/x/y", []string{one, many, plain}},
		{"/x/y/z", []string{many}},
		{"/x/z", []string{one, many}},
		{"/x", nil},
		{"/xy/z", nil},
	}
	for _, c := range cases {
		n, err := h.srv.Publish(c.channel, c.channel)
		if err != nil || n != len(c.want) {
			t.Errorf("Publish(%s) = %d, %v; want %d", c.channel, n, err, len(c.want))
		}
		for _, id := range []string{one, many, plain} {
			r := h.post(srvConnect0JSON(id))
			got := len(r) == 2 && r[1]["channel"] == c.channel && r[1]["data"] == c.channel
			if want := slices.Contains(c.want, id); got != want || len(r) > 2 {
				t.Errorf("publish %s, session subscribed to %v: replies %v", c.channel, srvMustSession(t, h.srv, id).Subscriptions, r)
			}
		}
	}
}

func srvMustSession(t *testing.T, s *Server, id string) SessionInfo {
	t.Helper()
	si, ok := s.Session(id)
	if !ok {
		t.Fatalf("no session %s", id)
	}
	return si
}

func TestPublishToPatternRefused(t *testing.T) {
	h := newSrvHarness(t, Options{})
	id := h.handshake()
	h.subscribe(id, "/x/**")
	for _, ch := range []string{"/x/*", "/x/**"} {
		r := h.post(fmt.Sprintf(`[{"channel":%q,"clientId":%q,"data":1,"id":"p"}]`, ch, id))
		if len(r) != 1 || r[0]["successful"] != false || r[0]["id"] != "p" || !strings.HasPrefix(r[0]["error"].(string), "405:") {
			t.Errorf("publish to %s: %v", ch, r)
		}
	}
	for _, ch := range []string{"/x/*", "/x/**", "/meta/connect", "/meta/foo", "x", "/a//b", "/service/s"} {
		if _, err := h.srv.Publish(ch, 1); !errors.Is(err, ErrInvalidChannel) {
			t.Errorf("server Publish(%q) = %v, want ErrInvalidChannel", ch, err)
		}
	}
	if _, err := h.srv.Publish("/x/y", func() {}); err == nil {
		t.Error("Publish of unencodable data: no error")
	}
	if si := srvMustSession(t, h.srv, id); si.QueueLen != 0 {
		t.Errorf("refused publishes queued %d events", si.QueueLen)
	}
}

func TestChannelErrors(t *testing.T) {
	h := newSrvHarness(t, Options{})
	id := h.handshake()
	cases := []struct{ msg, err string }{
		{fmt.Sprintf(`{"clientId":%q,"data":1,"id":"e"}`, id), "400::channel_missing"},
		{fmt.Sprintf(`{"channel":"not/a/channel","clientId":%q,"data":1,"id":"e"}`, id), "405::channel_invalid"},
		{fmt.Sprintf(`{"channel":"/a//b","clientId":%q,"data":1,"id":"e"}`, id), "405::channel_invalid"},
		{fmt.Sprintf(`{"channel":"/meta/foo","clientId":%q,"id":"e"}`, id), "405:/meta/foo:channel_invalid"},
		{fmt.Sprintf(`{"channel":"/meta/subscribe","clientId":%q,"id":"e"}`, id), "403::subscription_missing"},
		{fmt.Sprintf(`{"channel":"/meta/subscribe","clientId":%q,"subscription":"bad","id":"e"}`, id), "403::subscription_invalid"},
		{fmt.Sprintf(`{"channel":"/meta/subscribe","clientId":%q,"subscription":["/ok","/no//"],"id":"e"}`, id), "403::subscription_invalid"},
		{fmt.Sprintf(`{"channel":"/meta/subscribe","clientId":%q,"subscription":"/meta/connect","id":"e"}`, id), "403:/meta/connect,meta_channel:subscribe_denied"},
		{fmt.Sprintf(`{"channel":"/meta/subscribe","clientId":%q,"subscription":"/meta/**","id":"e"}`, id), "403:/meta/**,meta_channel:subscribe_denied"},
		{fmt.Sprintf(`{"channel":"/a","clientId":%q,"id":"e"}`, id), "400::data_missing"},
	}
	for _, c := range cases {
		r := h.post("[" + c.msg + "]")
		if len(r) != 1 || r[0]["successful"] != false || r[0]["error"] != c.err || r[0]["id"] != "e" {
			t.Errorf("%s: replies %v, want error %q", c.msg, r, c.err)
		}
	}
	if si := srvMustSession(t, h.srv, id); len(si.Subscriptions) != 0 {
		t.Errorf("failed subscribes recorded %v", si.Subscriptions)
	}
}

func TestUnknownClient402ThenRehandshake(t *testing.T) {
	h := newSrvHarness(t, Options{})
	for _, msg := range []string{
		`{"channel":"/meta/connect","clientId":"nosuchclient","connectionType":"long-polling","id":"u"}`,
		`{"channel":"/meta/connect","connectionType":"long-polling","id":"u"}`,
		`{"channel":"/meta/subscribe","clientId":"nosuchclient","subscription":"/a","id":"u"}`,
		`{"channel":"/meta/unsubscribe","clientId":"nosuchclient","subscription":"/a","id":"u"}`,
		`{"channel":"/meta/disconnect","clientId":"nosuchclient","id":"u"}`,
		`{"channel":"/a","data":1,"id":"u"}`,
	} {
		status, r := srvPost(t, h.client, h.url, "["+msg+"]")
		if status != http.StatusOK || len(r) != 1 {
			t.Fatalf("%s: status %d replies %v", msg, status, r)
		}
		if r[0]["successful"] != false || r[0]["error"] != "402::Unknown client" || r[0]["id"] != "u" ||
			srvField(r[0], "advice.reconnect") != "handshake" || srvField(r[0], "advice.interval") != 0.0 {
			t.Errorf("%s: reply %v", msg, r[0])
		}
	}
	id := h.handshake()
	if r := h.post(srvConnect0JSON(id)); r[0]["successful"] != true {
		t.Errorf("connect after re-handshake: %v", r)
	}
}

func TestSessionExpiresAfterMaxInterval(t *testing.T) {
	clock := NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	h := newSrvHarness(t, Options{Clock: clock, MaxInterval: 10 * time.Second, SweepPeriod: time.Second, Timeout: time.Hour})
	idle, late, holding := h.handshake(), h.handshake(), h.handshake()
	h.post(srvConnect0JSON(idle))
	h.post(srvConnect0JSON(holding))
	ch := srvPostAsync(context.Background(), h.client, h.url, srvConnectJSON(holding))
	h.waitHeld(holding)

	clock.Advance(5 * time.Second)
	h.post(srvConnect0JSON(late)) // its expiry now counts from t=5s
	clock.Advance(5 * time.Second)
	if n := len(h.srv.Sessions()); n != 3 {
		t.Fatalf("t=10s: %d sessions, want 3 (not idle longer than maxInterval yet)", n)
	}
	clock.Advance(2 * time.Second)
	ids := srvSessionIDs(h.srv)
	if slices.Contains(ids, idle) || !slices.Contains(ids, late) || !slices.Contains(ids, holding) {
		t.Fatalf("t=12s: sessions %v; want %s gone, %s and %s kept", ids, idle, late, holding)
	}
	r := h.post(srvConnect0JSON(idle))
	if r[0]["error"] != "402::Unknown client" || srvField(r[0], "advice.reconnect") != "handshake" {
		t.Errorf("connect of expired session: %v", r)
	}
	clock.Advance(5 * time.Second)
	if ids := srvSessionIDs(h.srv); !reflect.DeepEqual(ids, []string{holding}) {
		t.Fatalf("t=17s: sessions %v, want only the one holding a connect", ids)
	}
	// The held connect protected its session; once answered, its expiry starts.
	h.subscribe(holding, "/release")
	if n, err := h.srv.Publish("/release", true); n != 1 || err != nil {
		t.Fatalf("Publish = %d, %v", n, err)
	}
	if r := srvAwait(t, ch); len(r.replies) != 2 || r.replies[0]["successful"] != true {
		t.Fatalf("held connect: %+v", r)
	}
	clock.Advance(11 * time.Second)
	if n := len(h.srv.Sessions()); n != 0 {
		t.Fatalf("%d sessions left", n)
	}
	// The handler stops its timeout timer once its reply is written.
	h.waitFor("no timer left on the clock", func() bool { return clock.Pending() == 0 })
}

func TestSecondConnectInABatchKeepsItsSessionAlive(t *testing.T) {
	// A batch holds one connect; a second one, of another session, is answered with the
	// batch's reply. It is that session's connect all the same: its expiry counts from the
	// end of that reply.
	clock := NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	h := newSrvHarness(t, Options{Clock: clock, MaxInterval: 10 * time.Second, SweepPeriod: time.Second, Timeout: time.Hour})
	a, b := h.handshake(), h.handshake()
	batch := func(aAdvice string) string {
		return fmt.Sprintf(`[{"channel":"/meta/connect","clientId":%q,"connectionType":"long-polling","id":"a"%s},`+
			`{"channel":"/meta/connect","clientId":%q,"connectionType":"long-polling","id":"b"}]`, a, aAdvice, b)
	}
	alive := func(when string) {
		t.Helper()
		if ids := srvSessionIDs(h.srv); !slices.Contains(ids, a) || !slices.Contains(ids, b) {
			t.Fatalf("%s: sessions %v, want %s and %s", when, ids, a, b)
		}
	}

	// Answered at once (the first connect asks for timeout 0).
	clock.Advance(8 * time.Second)
	r := h.post(batch(`,"advice":{"timeout":0}`))
	if len(r) != 2 || r[0]["successful"] != true || r[1]["id"] != "b" || r[1]["successful"] != true {
		t.Fatalf("replies %v", r)
	}
	if si, _ := h.srv.Session(b); !si.LastConnect.Equal(clock.Now()) || !si.IdleSince.Equal(clock.Now()) {
		t.Errorf("session b: LastConnect %v, IdleSince %v; want both %v", si.LastConnect, si.IdleSince, clock.Now())
	}
	clock.Advance(5 * time.Second) // 13 s after b's handshake, 5 s after its connect
	alive("t=13s")

	// Answered when the held connect of a ends.
	ch := srvPostAsync(context.Background(), h.client, h.url, batch(``))
	h.waitHeld(a)
	clock.Advance(5 * time.Second)
	if err := h.srv.Deliver(a, "/release", true); err != nil {
		t.Fatal(err)
	}
	if r := srvAwait(t, ch); !reflect.DeepEqual(srvChannels(r.replies), []string{MetaConnect, MetaConnect, "/release"}) {
		t.Fatalf("held batch: %+v", r)
	}
	clock.Advance(8 * time.Second) // 8 s after that reply ended, 13 s after b's connect arrived
	alive("t=26s")
	clock.Advance(3 * time.Second)
	if ids := srvSessionIDs(h.srv); len(ids) != 0 {
		t.Errorf("t=29s: sessions %v, want none (idle for 11 s)", ids)
	}
}

func srvSessionIDs(s *Server) []string {
	var ids []string
	for _, si := range s.Sessions() {
		ids = append(ids, si.ID)
	}
	return ids
}

func TestDisconnectReleasesHeldConnect(t *testing.T) {
	h := newSrvHarness(t, Options{Timeout: time.Hour})
	id := h.handshake()
	h.subscribe(id, "/a")
	ch := srvPostAsync(context.Background(), h.client, h.url, srvConnectJSON(id))
	h.waitHeld(id)
	r := h.post(fmt.Sprintf(`[{"channel":"/meta/disconnect","clientId":%q,"id":"d"}]`, id))
	if len(r) != 1 || r[0]["successful"] != true || r[0]["id"] != "d" {
		t.Fatalf("disconnect replies %v", r)
	}
	held := srvAwait(t, ch)
	if held.status != http.StatusOK || len(held.replies) != 1 || held.replies[0]["successful"] != true ||
		srvField(held.replies[0], "advice.reconnect") != "none" {
		t.Fatalf("held connect after disconnect: %+v", held)
	}
	if _, ok := h.srv.Session(id); ok {
		t.Error("session still there after disconnect")
	}
	for _, msg := range []string{srvConnectJSON(id), fmt.Sprintf(`[{"channel":"/a","clientId":%q,"data":1}]`, id)} {
		if r := h.post(msg); r[0]["error"] != "402::Unknown client" {
			t.Errorf("%s after disconnect: %v", msg, r)
		}
	}
}

func TestDisconnectInTheSameBatchReleasesConnect(t *testing.T) {
	// The batch's connect is answered after the batch, when the disconnect has removed the
	// session: it is released by that disconnect (bayeux-cometd.md §1.5), not a 402.
	for name, advice := range map[string]string{"to hold": ``, "timeout 0": `,"advice":{"timeout":0}`} {
		t.Run(name, func(t *testing.T) {
			h := newSrvHarness(t, Options{Timeout: time.Hour})
			id := h.handshake()
			r := h.post(fmt.Sprintf(`[{"channel":"/meta/connect","clientId":%q,"connectionType":"long-polling","id":"c"%s},`+
				`{"channel":"/meta/disconnect","clientId":%q,"id":"d"}]`, id, advice, id))
			if len(r) != 2 || r[0]["channel"] != MetaConnect || r[0]["id"] != "c" || r[1]["channel"] != MetaDisconnect || r[1]["id"] != "d" {
				t.Fatalf("replies %v", r)
			}
			if r[0]["successful"] != true || r[0]["error"] != nil || srvField(r[0], "advice.reconnect") != ReconnectNone {
				t.Errorf("connect: %v; want successful with advice reconnect none", r[0])
			}
			if r[1]["successful"] != true {
				t.Errorf("disconnect: %v", r[1])
			}
			if _, ok := h.srv.Session(id); ok {
				t.Error("session still there after disconnect")
			}
		})
	}
}

func TestDuplicateConnectEndsTheOlderWith500(t *testing.T) {
	h := newSrvHarness(t, Options{Timeout: time.Hour})
	id := h.handshake()
	h.subscribe(id, "/a")
	first := srvPostAsync(context.Background(), h.client, h.url, srvConnectJSON(id))
	h.waitHeld(id)
	second := srvPostAsync(context.Background(), srvHTTPClient(t, false), h.url, srvConnectJSON(id))
	if r := srvAwait(t, first); r.status != http.StatusInternalServerError {
		t.Fatalf("older connect: status %d, want 500", r.status)
	}
	h.waitHeld(id)
	if _, err := h.srv.Publish("/a", "x"); err != nil {
		t.Fatal(err)
	}
	r := srvAwait(t, second)
	if !reflect.DeepEqual(srvChannels(r.replies), []string{"/meta/connect", "/a"}) {
		t.Fatalf("newer connect: %+v", r)
	}
}

func TestMultipleClientsAdvice(t *testing.T) {
	h := newSrvHarness(t, Options{Timeout: time.Hour})
	browser := srvHTTPClient(t, true) // one cookie jar = one browser
	tab1 := srvHandshake(t, browser, h.url)
	tab2 := srvHandshake(t, browser, h.url)
	if a, b := srvMustSession(t, h.srv, tab1).Browser, srvMustSession(t, h.srv, tab2).Browser; a != b || a == "" {
		t.Fatalf("tabs of one browser got browser ids %q and %q", a, b)
	}
	held := srvPostAsync(context.Background(), browser, h.url, srvConnectJSON(tab1))
	h.waitHeld(tab1)
	status, r := srvPost(t, browser, h.url, srvConnectJSON(tab2))
	if status != http.StatusOK || len(r) != 1 || r[0]["successful"] != true {
		t.Fatalf("second tab: status %d replies %v", status, r)
	}
	if srvField(r[0], "advice.multiple-clients") != true || srvField(r[0], "advice.reconnect") != "retry" || srvField(r[0], "advice.interval") != 2000.0 {
		t.Errorf("second tab advice %v", r[0]["advice"])
	}
	// Another browser is not affected.
	other := srvHTTPClient(t, true)
	id3 := srvHandshake(t, other, h.url)
	held3 := srvPostAsync(context.Background(), other, h.url, srvConnectJSON(id3))
	h.waitHeld(id3)
	// Once the first tab's connect ends, the second tab may hold one.
	h.subscribe(tab1, "/a")
	h.subscribe(id3, "/a")
	if n, _ := h.srv.Publish("/a", 1); n != 2 {
		t.Fatalf("delivered to %d", n)
	}
	srvAwait(t, held)
	srvAwait(t, held3)
	held2 := srvPostAsync(context.Background(), browser, h.url, srvConnectJSON(tab2))
	h.waitHeld(tab2)
	h.subscribe(tab2, "/b")
	h.srv.Publish("/b", 2)
	if r := srvAwait(t, held2); len(r.replies) != 2 || srvField(r.replies[0], "advice.multiple-clients") != nil {
		t.Errorf("second tab alone: %+v", r)
	}
}

func TestMultipleClientsWithoutIntervalRefused(t *testing.T) {
	h := newSrvHarness(t, Options{Timeout: time.Hour, MultiSessionInterval: -1})
	browser := srvHTTPClient(t, true)
	tab1, tab2 := srvHandshake(t, browser, h.url), srvHandshake(t, browser, h.url)
	held := srvPostAsync(context.Background(), browser, h.url, srvConnectJSON(tab1))
	h.waitHeld(tab1)
	_, r := srvPost(t, browser, h.url, srvConnectJSON(tab2))
	if r[0]["successful"] != false || srvField(r[0], "advice.reconnect") != "none" || srvField(r[0], "advice.multiple-clients") != true {
		t.Errorf("second tab: %v", r)
	}
	h.srv.ExpireSession(tab1)
	srvAwait(t, held)
}

func TestHTTPErrors(t *testing.T) {
	h := newSrvHarness(t, Options{MaxBodyBytes: 4096})
	do := func(method, ctype, body string) int {
		t.Helper()
		req, err := http.NewRequest(method, h.url+"/x/y", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		resp, err := h.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if method != http.MethodPost && resp.Header.Get("Allow") != "POST" {
			t.Errorf("%s: Allow %q", method, resp.Header.Get("Allow"))
		}
		return resp.StatusCode
	}
	hs := srvHandshakeJSON
	cases := []struct {
		name, method, ctype, body string
		want                      int
	}{
		{"GET", http.MethodGet, "", "", 405},
		{"PUT", http.MethodPut, "application/json", hs, 405},
		{"OPTIONS", http.MethodOptions, "", "", 405},
		{"wrong content type", http.MethodPost, "text/html", hs, 415},
		{"no content type", http.MethodPost, "", hs, 415},
		{"latin-1", http.MethodPost, "application/json; charset=ISO-8859-1", hs, 415},
		{"json with charset", http.MethodPost, "application/json;charset=UTF-8", hs, 200},
		{"text/plain", http.MethodPost, "text/plain;charset=utf-8", hs, 200},
		{"form", http.MethodPost, "application/x-www-form-urlencoded", "message=" + url.QueryEscape(hs), 200},
		{"form without message", http.MethodPost, "application/x-www-form-urlencoded", "x=1", 400},
		{"bad JSON", http.MethodPost, "application/json", `[{"channel":`, 400},
		{"not messages", http.MethodPost, "application/json", `[1,2]`, 400},
		{"empty array", http.MethodPost, "application/json", `[]`, 400},
		{"empty body", http.MethodPost, "application/json", ``, 400},
		{"too large", http.MethodPost, "application/json", "[" + strings.Repeat(`{"channel":"/a","data":1},`, 300) + `{"channel":"/a"}]`, 413},
	}
	for _, c := range cases {
		if got := do(c.method, c.ctype, c.body); got != c.want {
			t.Errorf("%s: status %d, want %d", c.name, got, c.want)
		}
	}
	// A body of unknown length (chunked) is cut at the limit too.
	body := io.MultiReader(strings.NewReader("["), strings.NewReader(strings.Repeat(`{"channel":"/a","data":1},`, 300)+`{"channel":"/a"}]`))
	resp, err := h.client.Post(h.url, "application/json", body)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("chunked large body: status %d, want 413", resp.StatusCode)
	}
}

func TestServiceChannels(t *testing.T) {
	h := newSrvHarness(t, Options{})
	id, spy := h.handshake(), h.handshake()
	h.subscribe(spy, "/**")
	r := h.post(fmt.Sprintf(`[{"channel":"/meta/subscribe","clientId":%q,"subscription":["/service/echo","/chat"]}]`, id))
	if r[0]["successful"] != true {
		t.Fatalf("subscribe: %v", r)
	}
	if subs := srvMustSession(t, h.srv, id).Subscriptions; !reflect.DeepEqual(subs, []string{"/chat"}) {
		t.Errorf("recorded %v, want only /chat", subs)
	}
	r = h.post(fmt.Sprintf(`[{"channel":"/service/echo","clientId":%q,"data":{"q":1},"id":"s"}]`, id))
	if !reflect.DeepEqual(srvChannels(r), []string{"/service/echo"}) || r[0]["successful"] != true || r[0]["id"] != "s" {
		t.Fatalf("service publish: %v", r)
	}
	if si := srvMustSession(t, h.srv, spy); si.QueueLen != 0 {
		t.Errorf("a /** subscriber got a /service message")
	}
	var seen bool
	for _, ev := range h.events() {
		if ev.Direction == ToServer && ev.Message.Channel == "/service/echo" && ev.SessionID == id && string(ev.Message.Data) == `{"q":1}` {
			seen = true
		}
	}
	if !seen {
		t.Error("OnMessage did not see the service message")
	}
	// The application answers the sender alone.
	if err := h.srv.Deliver(id, "/service/echo", map[string]int{"a": 1}); err != nil {
		t.Fatal(err)
	}
	if err := h.srv.Deliver("gone", "/service/echo", 1); !errors.Is(err, ErrUnknownSession) {
		t.Errorf("Deliver to unknown session: %v", err)
	}
	r = h.post(srvConnect0JSON(id))
	if !reflect.DeepEqual(srvChannels(r), []string{"/meta/connect", "/service/echo"}) {
		t.Errorf("reply to the sender: %v", r)
	}
	if si := srvMustSession(t, h.srv, spy); si.QueueLen != 0 {
		t.Errorf("Deliver reached another session")
	}
}

func TestExtPassedToHooksAndNeverRejected(t *testing.T) {
	var gotExt json.RawMessage
	h := newSrvHarness(t, Options{
		Authenticate: func(r *http.Request, m *Message) (string, error) {
			gotExt = m.Ext
			var ext struct{ Auth struct{ User string } }
			if err := json.Unmarshal(m.Ext, &ext); err != nil || ext.Auth.User == "" {
				return "", errors.New("no user in ext")
			}
			return ext.Auth.User, nil
		},
	})
	r := h.post(`[{"channel":"/meta/handshake","version":"1.0","supportedConnectionTypes":["long-polling"],"ext":{"auth":{"user":"alice"},"ack":true,"vendor.x":[1,2]}}]`)
	if r[0]["successful"] != true {
		t.Fatalf("handshake: %v", r)
	}
	id := r[0]["clientId"].(string)
	if !strings.Contains(string(gotExt), `"vendor.x":[1,2]`) {
		t.Errorf("Authenticate saw ext %s", gotExt)
	}
	si := srvMustSession(t, h.srv, id)
	if si.Principal != "alice" || !strings.Contains(string(si.HandshakeExt), "alice") {
		t.Errorf("session %+v", si)
	}
	r = h.post(fmt.Sprintf(`[{"channel":"/meta/subscribe","clientId":%q,"subscription":"/a","ext":{"whatever":{"x":null}}}]`, id))
	if r[0]["successful"] != true {
		t.Fatalf("subscribe with unknown ext: %v", r)
	}
	found := false
	for _, ev := range h.events() {
		if ev.Direction == ToServer && ev.Message.Channel == MetaSubscribe && ev.Principal == "alice" && strings.Contains(string(ev.Message.Ext), "whatever") {
			found = true
		}
	}
	if !found {
		t.Error("OnMessage did not get the subscribe's ext")
	}
}

func TestAuthenticateDenied(t *testing.T) {
	h := newSrvHarness(t, Options{Authenticate: func(r *http.Request, _ *Message) (string, error) {
		if _, p, ok := r.BasicAuth(); ok && p == "secret" {
			return "bob", nil
		}
		return "", errors.New("bad password")
	}})
	r := h.post(`[{"channel":"/meta/handshake","version":"1.0","supportedConnectionTypes":["long-polling"],"id":"h"}]`)
	if r[0]["successful"] != false || r[0]["error"] != "403::Handshake denied" || srvField(r[0], "advice.reconnect") != "none" || r[0]["id"] != "h" {
		t.Errorf("denied handshake: %v", r)
	}
	req, _ := http.NewRequest(http.MethodPost, h.url, strings.NewReader(srvHandshakeJSON))
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth("bob", "secret")
	resp, err := h.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if si := h.srv.Sessions(); len(si) != 1 || si[0].Principal != "bob" {
		t.Errorf("sessions %+v", si)
	}
}

func TestAuthorizeHooks(t *testing.T) {
	h := newSrvHarness(t, Options{
		Authenticate: func(r *http.Request, _ *Message) (string, error) { return r.Header.Get("X-User"), nil },
		AuthorizeSubscribe: func(s *SessionInfo, ch string) error {
			if strings.HasPrefix(ch, "/private/") && ch != "/private/"+s.Principal {
				return errors.New("not yours: ask, politely")
			}
			return nil
		},
		AuthorizePublish: func(s *SessionInfo, ch string, data json.RawMessage) error {
			if string(data) == `"forbidden"` {
				return fmt.Errorf("%s may not say that", s.Principal)
			}
			return nil
		},
	})
	req, _ := http.NewRequest(http.MethodPost, h.url, strings.NewReader(srvHandshakeJSON))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-User", "carol")
	resp, err := h.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var hr []map[string]any
	json.NewDecoder(resp.Body).Decode(&hr)
	resp.Body.Close()
	id := hr[0]["clientId"].(string)

	r := h.post(fmt.Sprintf(`[{"channel":"/meta/subscribe","clientId":%q,"subscription":["/public","/private/dave"]}]`, id))
	if r[0]["successful"] != false || r[0]["error"] != "403:/private/dave,not yours  ask  politely:subscribe_denied" {
		t.Errorf("denied subscribe: %v", r)
	}
	if subs := srvMustSession(t, h.srv, id).Subscriptions; len(subs) != 0 {
		t.Errorf("a denied subscribe recorded %v (must be all or nothing)", subs)
	}
	h.subscribe(id, "/public", "/private/carol")
	r = h.post(fmt.Sprintf(`[{"channel":"/public","clientId":%q,"data":"forbidden"},{"channel":"/public","clientId":%[1]q,"data":"fine"}]`, id))
	if !reflect.DeepEqual(srvChannels(r), []string{"/public", "/public", "/public"}) || r[0]["successful"] != false ||
		r[0]["error"] != "403:/public,carol may not say that:publish_denied" || r[1]["successful"] != true || r[2]["data"] != "fine" {
		t.Errorf("publishes: %v", r)
	}
}

func TestPublishToMatchesSessions(t *testing.T) {
	h := newSrvHarness(t, Options{Authenticate: func(r *http.Request, _ *Message) (string, error) { return r.URL.Query().Get("user"), nil }})
	hs := func(user string) string {
		_, r := srvPost(t, h.client, h.url+"?user="+user, srvHandshakeJSON)
		return r[0]["clientId"].(string)
	}
	alice, bob, carol := hs("alice"), hs("bob"), hs("carol")
	h.subscribe(alice, "/v2/me/*")
	h.subscribe(bob, "/v2/me/*")
	n, err := h.srv.PublishTo(func(si SessionInfo) bool { return si.Principal == "alice" || si.Principal == "carol" }, "/v2/me/workitems", "for alice")
	if err != nil || n != 1 {
		t.Fatalf("PublishTo = %d, %v; want 1 (carol is not subscribed)", n, err)
	}
	for id, want := range map[string]int{alice: 1, bob: 0, carol: 0} {
		if got := srvMustSession(t, h.srv, id).QueueLen; got != want {
			t.Errorf("session %s queued %d, want %d", id, got, want)
		}
	}
}

func TestQueueOverflowDropsOldest(t *testing.T) {
	h := newSrvHarness(t, Options{MaxQueue: 3})
	id := h.handshake()
	h.subscribe(id, "/a")
	for i := 1; i <= 5; i++ {
		if n, _ := h.srv.Publish("/a", i); n != 1 {
			t.Fatalf("publish %d delivered to %d", i, n)
		}
	}
	si := srvMustSession(t, h.srv, id)
	if si.QueueLen != 3 || si.Dropped != 2 || h.srv.Dropped() != 2 {
		t.Errorf("queue %d dropped %d (server %d), want 3 and 2", si.QueueLen, si.Dropped, h.srv.Dropped())
	}
	r := h.post(srvConnect0JSON(id))
	var got []float64
	for _, ev := range r[1:] {
		got = append(got, ev["data"].(float64))
	}
	if !reflect.DeepEqual(got, []float64{3, 4, 5}) {
		t.Errorf("delivered %v, want the newest three", got)
	}
}

func TestClientGoingAwayReleasesHeldConnect(t *testing.T) {
	h := newSrvHarness(t, Options{Timeout: time.Hour})
	id := h.handshake()
	h.subscribe(id, "/a")
	ctx, cancel := context.WithCancel(context.Background())
	ch := srvPostAsync(ctx, h.client, h.url, srvConnectJSON(id))
	h.waitHeld(id)
	cancel()
	if r := <-ch; r.err == nil {
		t.Fatalf("cancelled connect returned %+v", r)
	}
	h.waitFor("the held connect to be released", func() bool { return !srvMustSession(t, h.srv, id).ConnectHeld })
	h.srv.Publish("/a", "kept")
	if r := h.post(srvConnect0JSON(id)); len(r) != 2 || r[1]["data"] != "kept" {
		t.Errorf("next connect: %v", r)
	}
}

func TestJournalSeesEveryMessageInOrder(t *testing.T) {
	h := newSrvHarness(t, Options{})
	id := h.handshake()
	h.subscribe(id, "/a")
	h.srv.Publish("/a", 1)
	h.post(srvConnect0JSON(id))
	var got []string
	for _, ev := range h.events() {
		if ev.Time.IsZero() {
			t.Errorf("event without time: %+v", ev)
		}
		if ev.Message.Channel != MetaHandshake && ev.SessionID != id {
			t.Errorf("event without its session: %+v", ev)
		}
		got = append(got, ev.Direction.String()+" "+ev.Message.Channel)
	}
	want := []string{"→ /meta/handshake", "← /meta/handshake", "→ /meta/subscribe", "← /meta/subscribe", "→ /meta/connect", "← /meta/connect", "← /a"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("journal %v, want %v", got, want)
	}
}

func TestSetTimings(t *testing.T) {
	clock := NewFakeClock(time.Unix(0, 0))
	h := newSrvHarness(t, Options{Clock: clock})
	h.srv.SetTimings(5*time.Second, 250*time.Millisecond, time.Second)
	if to, iv, mi := h.srv.Timings(); to != 5*time.Second || iv != 250*time.Millisecond || mi != time.Second {
		t.Errorf("Timings = %v %v %v", to, iv, mi)
	}
	r := h.post(srvHandshakeJSON)
	if srvField(r[0], "advice.timeout") != 5000.0 || srvField(r[0], "advice.interval") != 250.0 {
		t.Errorf("handshake advice %v", r[0]["advice"])
	}
	id := r[0]["clientId"].(string)
	r = h.post(srvConnect0JSON(id))
	if srvField(r[0], "advice.timeout") != 5000.0 || srvField(r[0], "advice.interval") != 250.0 {
		t.Errorf("connect advice %v", r[0]["advice"])
	}
	clock.Advance(2 * time.Second) // > interval + maxInterval, two sweeps (997 ms)
	if _, ok := h.srv.Session(id); ok {
		t.Error("session outlived the new maxInterval")
	}
	// timeout 0: plain polling, every connect answered at once.
	h.srv.SetTimings(0, 0, time.Minute)
	id = h.handshake()
	if r := h.post(srvConnectJSON(id)); r[0]["successful"] != true {
		t.Errorf("connect with timeout 0: %v", r)
	}
}

func TestExpireSessionAnswersHeldConnectWith402(t *testing.T) {
	h := newSrvHarness(t, Options{Timeout: time.Hour, Authenticate: func(r *http.Request, _ *Message) (string, error) {
		return r.URL.Query().Get("user"), nil
	}})
	id := h.handshake()
	ch := srvPostAsync(context.Background(), h.client, h.url, srvConnectJSON(id))
	h.waitHeld(id)
	if !h.srv.ExpireSession(id) || h.srv.ExpireSession(id) {
		t.Fatal("ExpireSession: want true then false")
	}
	r := srvAwait(t, ch)
	if len(r.replies) != 1 || r.replies[0]["error"] != "402::Unknown client" || srvField(r.replies[0], "advice.reconnect") != "handshake" {
		t.Fatalf("held connect: %+v", r)
	}
	for _, u := range []string{"x", "y", "x"} {
		srvPost(t, h.client, h.url+"?user="+u, srvHandshakeJSON)
	}
	if n := h.srv.ExpireSessionsWhere(func(si SessionInfo) bool { return si.Principal == "x" }); n != 2 {
		t.Errorf("ExpireSessionsWhere = %d, want 2", n)
	}
	if si := h.srv.Sessions(); len(si) != 1 || si[0].Principal != "y" {
		t.Errorf("left %+v", si)
	}
}

func TestDropNextDeliveries(t *testing.T) {
	h := newSrvHarness(t, Options{})
	a, b := h.handshake(), h.handshake()
	h.subscribe(a, "/a")
	h.subscribe(b, "/a")
	h.srv.DropNextDeliveries(func(si SessionInfo) bool { return si.ID == a }, 2)
	for i := 1; i <= 3; i++ {
		h.srv.Publish("/a", i)
	}
	data := func(id string) []any {
		var out []any
		for _, ev := range h.post(srvConnect0JSON(id))[1:] {
			out = append(out, ev["data"])
		}
		return out
	}
	if got := data(a); !reflect.DeepEqual(got, []any{3.0}) {
		t.Errorf("a got %v, want [3]", got)
	}
	if got := data(b); !reflect.DeepEqual(got, []any{1.0, 2.0, 3.0}) {
		t.Errorf("b got %v, want all", got)
	}
}

func TestDelayNextDeliveriesKeepsOrder(t *testing.T) {
	clock := NewFakeClock(time.Unix(0, 0))
	h := newSrvHarness(t, Options{Clock: clock, Timeout: time.Hour, MaxInterval: time.Hour})
	id := h.handshake()
	h.subscribe(id, "/a")
	h.srv.DelayNextDeliveries(nil, 1, 3*time.Second)
	h.srv.Publish("/a", 1) // delayed
	h.srv.Publish("/a", 2) // queued behind it
	if r := h.post(srvConnect0JSON(id)); len(r) != 1 {
		t.Fatalf("delayed events delivered early: %v", r)
	}
	ch := srvPostAsync(context.Background(), h.client, h.url, srvConnectJSON(id))
	h.waitHeld(id)
	clock.Advance(2 * time.Second)
	select {
	case r := <-ch:
		t.Fatalf("released before the delay: %+v", r)
	default:
	}
	clock.Advance(time.Second)
	r := srvAwait(t, ch)
	if len(r.replies) != 3 || r.replies[1]["data"] != 1.0 || r.replies[2]["data"] != 2.0 {
		t.Errorf("after the delay: %v", r.replies)
	}
}

func TestFailNext(t *testing.T) {
	h := newSrvHarness(t, Options{Authenticate: func(r *http.Request, _ *Message) (string, error) { return r.URL.Query().Get("user"), nil }})
	h.srv.FailNext(func(si SessionInfo) bool { return si.Principal == "eve" }, MetaHandshake, "500::try_later")
	_, r := srvPost(t, h.client, h.url+"?user=eve", srvHandshakeJSON)
	if r[0]["successful"] != false || r[0]["error"] != "500::try_later" || srvField(r[0], "advice.reconnect") != "handshake" {
		t.Errorf("failed handshake: %v", r)
	}
	_, r = srvPost(t, h.client, h.url+"?user=eve", srvHandshakeJSON)
	if r[0]["successful"] != true {
		t.Fatalf("second handshake: %v", r)
	}
	id := r[0]["clientId"].(string)

	h.srv.FailNext(nil, "/meta/subscribe", "")
	rs := h.post(fmt.Sprintf(`[{"channel":"/meta/subscribe","clientId":%q,"subscription":"/a","id":"s"}]`, id))
	if rs[0]["successful"] != false || rs[0]["error"] != "500::injected_failure" || rs[0]["subscription"] != "/a" || rs[0]["id"] != "s" {
		t.Errorf("failed subscribe: %v", rs)
	}
	h.subscribe(id, "/a")

	h.srv.FailNext(func(si SessionInfo) bool { return si.Principal == "mallory" }, "/meta/*", "500::not_you")
	h.srv.FailNext(nil, MetaConnect, "402::Unknown client")
	rs = h.post(srvConnect0JSON(id))
	if rs[0]["error"] != "402::Unknown client" || srvField(rs[0], "advice.reconnect") != "handshake" {
		t.Errorf("failed connect: %v", rs)
	}
	if rs := h.post(srvConnect0JSON(id)); rs[0]["successful"] != true {
		t.Errorf("connect after the fault: %v (a fault for another principal fired?)", rs)
	}
	h.srv.FailNext(nil, "/a", "503::busy")
	h.srv.ClearFaults()
	if rs := h.post(fmt.Sprintf(`[{"channel":"/a","clientId":%q,"data":1}]`, id)); rs[0]["successful"] != true {
		t.Errorf("publish after ClearFaults: %v", rs)
	}
}

func TestShutdownReleasesHeldConnects(t *testing.T) {
	h := newSrvHarness(t, Options{Timeout: time.Hour})
	ids := []string{h.handshake(), h.handshake(), h.handshake()}
	var chs []<-chan srvResult
	for _, id := range ids {
		chs = append(chs, srvPostAsync(context.Background(), srvHTTPClient(t, false), h.url, srvConnectJSON(id)))
		h.waitHeld(id)
	}
	ctx, cancel := context.WithTimeout(context.Background(), srvWaitLimit)
	defer cancel()
	if err := h.srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	for _, ch := range chs {
		r := srvAwait(t, ch) // already answered: Shutdown waited for it
		if len(r.replies) != 1 || r.replies[0]["successful"] != true || srvField(r.replies[0], "advice.reconnect") != "retry" {
			t.Errorf("held connect at shutdown: %+v", r)
		}
	}
	r := h.post(srvConnectJSON(ids[0]))
	if r[0]["successful"] != false || r[0]["error"] != "503::server_shutting_down" || srvField(r[0], "advice.reconnect") != "retry" {
		t.Errorf("connect after shutdown: %v", r)
	}
	// A Shutdown whose context is done reports it while a connect is still held.
	h2 := newSrvHarness(t, Options{Timeout: time.Hour})
	id := h2.handshake()
	h2.srv.holds.add() // stands for a connect that never finishes writing
	defer h2.srv.holds.done()
	if r := h2.post(srvConnect0JSON(id)); r[0]["successful"] != true {
		t.Fatalf("connect: %v", r)
	}
	done, stop := context.WithCancel(context.Background())
	stop()
	if err := h2.srv.Shutdown(done); !errors.Is(err, context.Canceled) {
		t.Errorf("Shutdown with a done context: %v", err)
	}
}

func TestConcurrentPublishAndConnect(t *testing.T) {
	h := newSrvHarness(t, Options{Timeout: time.Hour, MaxQueue: -1})
	const clients, publishers, perPublisher = 8, 4, 50
	ids := make([]string, clients)
	for i := range ids {
		ids[i] = h.handshake()
		h.subscribe(ids[i], "/load/**")
	}
	type got struct {
		id   string
		data []string
		err  error
	}
	results := make(chan got, clients)
	for _, id := range ids {
		go func() {
			c := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
			defer c.CloseIdleConnections()
			var data []string
			deadline := time.Now().Add(srvWaitLimit)
			for len(data) < publishers*perPublisher && time.Now().Before(deadline) {
				_, r, err := srvTryPost(context.Background(), c, h.url, "application/json", srvConnectJSON(id))
				if err != nil {
					results <- got{id, data, err}
					return
				}
				for _, ev := range r[1:] {
					data = append(data, ev["data"].(string))
				}
			}
			results <- got{id: id, data: data}
		}()
	}
	for p := range publishers {
		go func() {
			for i := range perPublisher {
				h.srv.Publish(fmt.Sprintf("/load/%d", p), fmt.Sprintf("%d-%03d", p, i))
			}
		}()
	}
	for range clients {
		g := <-results
		if g.err != nil {
			t.Fatal(g.err)
		}
		if len(g.data) != publishers*perPublisher {
			t.Errorf("%s received %d events, want %d", g.id, len(g.data), publishers*perPublisher)
		}
		// Each publisher's events arrive in the order published.
		last := map[byte]string{}
		for _, d := range g.data {
			if d <= last[d[0]] {
				t.Errorf("%s: %s after %s", g.id, d, last[d[0]])
			}
			last[d[0]] = d
		}
	}
}

// Some clients send numeric ids: they are accepted and echoed as numbers (Bayeux: a reply
// carries the request's id), string ids stay strings, and the journal sees the id text.
func TestNumericIDsEchoedAsNumbers(t *testing.T) {
	h := newSrvHarness(t, Options{Timeout: time.Hour})
	status, r := srvPost(t, h.client, h.url+"/handshake",
		`[{"channel":"/meta/handshake","version":"1.0","supportedConnectionTypes":["long-polling"],"id":1}]`)
	if status != http.StatusOK || len(r) != 1 || r[0]["successful"] != true || r[0]["id"] != 1.0 {
		t.Fatalf("handshake: status %d replies %v", status, r)
	}
	id := r[0]["clientId"].(string)
	r = h.post(fmt.Sprintf(`[{"channel":"/meta/subscribe","clientId":%[1]q,"subscription":"/a","id":2},
		{"channel":"/a","clientId":%[1]q,"data":"x","id":3},
		{"channel":"/meta/subscribe","clientId":%[1]q,"subscription":"/meta/x","id":4},
		{"channel":"/meta/unsubscribe","clientId":%[1]q,"subscription":"/a","id":"5"},
		{"channel":"/x","clientId":"nobody","data":1,"id":6.5}]`, id))
	want := []any{2.0, 3.0, 4.0, "5", 6.5}
	if len(r) != len(want)+1 { // the event on /a rides along
		t.Fatalf("replies %v", r)
	}
	for i, w := range want {
		if r[i]["id"] != w {
			t.Errorf("reply %d (%v): id %#v, want %#v", i, r[i]["channel"], r[i]["id"], w)
		}
	}
	if r[2]["successful"] != false || r[4]["successful"] != false || r[5]["data"] != "x" {
		t.Errorf("replies %v", r)
	}
	// The id keeps its written form, not a float's: the raw reply must say 7, not 7.0.
	resp, err := h.client.Post(h.url+"/connect", "application/json",
		strings.NewReader(fmt.Sprintf(`[{"channel":"/meta/connect","clientId":%q,"advice":{"timeout":0},"id":7}]`, id)))
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || !strings.Contains(string(body), `"id":7}`) && !strings.Contains(string(body), `"id":7,`) {
		t.Errorf("connect reply %s, %v: want the id as the number 7", body, err)
	}
	var sawText bool
	for _, ev := range h.events() {
		sawText = sawText || ev.Direction == ToServer && ev.Message.Channel == MetaConnect && ev.Message.ID == "7"
	}
	if !sawText {
		t.Error("journal: no connect with ID \"7\"")
	}
}

// srvIndexSize counts the subscription index's entries (sessions × channels).
func srvIndexSize(s *Server) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := 0
	for _, t := range []map[string]map[*serverSession]struct{}{s.subs.plain, s.subs.patterns} {
		for _, set := range t {
			n += len(set)
		}
	}
	return n
}

// The subscription index: a session subscribed to a channel and to patterns that match it
// gets each event once; unsubscribing, disconnecting and expiring take it out.
func TestSubscriptionIndexDeliversOnceAndForgets(t *testing.T) {
	clock := NewFakeClock(time.Unix(0, 0))
	h := newSrvHarness(t, Options{Clock: clock, MaxInterval: time.Second})
	a, b, c := h.handshake(), h.handshake(), h.handshake()
	h.subscribe(a, "/x/y", "/x/*", "/x/**", "/service/q")
	h.subscribe(b, "/x/**")
	h.subscribe(c, "/x/y")
	if n := srvIndexSize(h.srv); n != 5 {
		t.Fatalf("index holds %d entries, want 5 (/service is not recorded)", n)
	}
	publish := func(channel string, want int, ids ...string) {
		t.Helper()
		if n, err := h.srv.Publish(channel, 1); err != nil || n != want {
			t.Errorf("Publish(%s) = %d, %v; want %d", channel, n, err, want)
		}
		for _, id := range ids {
			if r := h.post(srvConnect0JSON(id)); len(r) != 2 || r[1]["channel"] != channel {
				t.Errorf("session subscribed to %v got %v for %s", srvMustSession(t, h.srv, id).Subscriptions, r, channel)
			}
		}
	}
	publish("/x/y", 3, a, b, c)
	publish("/x/y/z", 2, a, b)
	h.post(fmt.Sprintf(`[{"channel":"/meta/unsubscribe","clientId":%q,"subscription":["/x/y","/x/*"]}]`, a))
	publish("/x/y", 3, a, b, c)
	h.post(fmt.Sprintf(`[{"channel":"/meta/unsubscribe","clientId":%q,"subscription":"/x/**"}]`, a))
	publish("/x/y", 2, b, c)
	if n := srvIndexSize(h.srv); n != 2 {
		t.Errorf("index holds %d entries after a unsubscribed, want 2", n)
	}
	h.post(fmt.Sprintf(`[{"channel":"/meta/disconnect","clientId":%q}]`, b))
	if !h.srv.ExpireSession(c) {
		t.Fatal("ExpireSession(c) = false")
	}
	publish("/x/y", 0)
	// A swept session leaves the index too.
	d := h.handshake()
	h.subscribe(d, "/x/**", "/z")
	clock.Advance(3 * time.Second)
	if _, ok := h.srv.Session(d); ok {
		t.Fatal("session d was not swept")
	}
	if n := srvIndexSize(h.srv); n != 0 {
		t.Errorf("index holds %d entries with no session left", n)
	}
}
