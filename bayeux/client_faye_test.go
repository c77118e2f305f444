package bayeux

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/workbinkit/workbinkit/internal/nodetest"
)

// The Go client against faye 1.4.3 (npm), a Bayeux server that is not ours: see
// testdata/faye-server.mjs.

// clientFayeTimeout bounds the whole interop test.
const clientFayeTimeout = 30 * time.Second

// startClientFaye starts testdata/faye-server.mjs (faye holds connects for holdSeconds)
// and returns its base URL. The process ends when the test does: its stdin is closed, and
// it is killed if it does not exit.
func startClientFaye(t *testing.T, holdSeconds int) string {
	t.Helper()
	node := nodetest.Require(t, "faye")
	ctx, cancel := context.WithCancel(context.Background()) // ended by the cleanup below
	cmd := exec.CommandContext(ctx, node, filepath.Join("testdata", "faye-server.mjs"), fmt.Sprint(holdSeconds))
	cmd.WaitDelay = 2 * time.Second
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out := &clientLineWriter{first: make(chan string, 1)}
	var stderr clientLockedBuffer
	cmd.Stdout, cmd.Stderr = out, &stderr
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start faye: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		stdin.Close() // the script exits when stdin closes
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			cancel()
			<-exited
		}
		cancel()
		if t.Failed() && stderr.String() != "" {
			t.Logf("faye stderr:\n%s", stderr.String())
		}
	})
	select {
	case line := <-out.first:
		var hello struct{ Port int }
		if err := json.Unmarshal([]byte(line), &hello); err != nil || hello.Port == 0 {
			t.Fatalf("faye said %q: %v", line, err)
		}
		return fmt.Sprintf("http://127.0.0.1:%d", hello.Port)
	case err := <-exited:
		t.Fatalf("faye exited: %v\n%s", err, stderr.String())
	case <-time.After(10 * time.Second):
		t.Fatalf("faye did not report its port\n%s", stderr.String())
	}
	return ""
}

// clientLineWriter passes on the first complete line written to it.
type clientLineWriter struct {
	mu    sync.Mutex
	buf   []byte
	first chan string
	sent  bool
}

func (w *clientLineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.sent {
		w.buf = append(w.buf, p...)
		if line, _, ok := bytes.Cut(w.buf, []byte("\n")); ok {
			w.first <- string(line)
			w.sent = true
		}
	}
	return len(p), nil
}

type clientLockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *clientLockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *clientLockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// clientFayePost calls one of the script's control endpoints.
func clientFayePost(ctx context.Context, t *testing.T, endpoint string, body string) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST %s: HTTP %d", endpoint, resp.StatusCode)
	}
}

// clientTestReceive waits for the next message on ch.
func clientTestReceive(ctx context.Context, t *testing.T, ch <-chan Message, what string) Message {
	t.Helper()
	select {
	case m := <-ch:
		return m
	case <-ctx.Done():
		t.Fatalf("%s: nothing received", what)
		return Message{}
	}
}

// clientTestWaitRecorded waits until cond holds for the recorded messages.
func clientTestWaitRecorded(ctx context.Context, t *testing.T, rec *Recorder, what string, cond func([]RecordedMessage) bool) {
	t.Helper()
	for {
		changed := rec.Changed()
		if cond(rec.Messages()) {
			return
		}
		select {
		case <-changed:
		case <-ctx.Done():
			t.Fatalf("never recorded: %s", what)
		}
	}
}

func TestClientAgainstFaye(t *testing.T) {
	base := startClientFaye(t, 5)
	ctx, cancel := context.WithTimeout(t.Context(), clientFayeTimeout)
	defer cancel()
	rec := NewRecorder(Redaction{})
	c := NewClient(base+"/faye", ClientOptions{Recorder: rec, Name: "go", AppendMessageTypeToURL: true})
	defer func() {
		if t.Failed() {
			_ = rec.WriteTranscript(t.Output())
		}
	}()

	if err := c.Handshake(ctx); err != nil {
		t.Fatalf("handshake: %v", err)
	}
	chat, stopChat := c.Listen("/chat/*")
	defer stopChat()
	news, stopNews := c.Listen("/news")
	defer stopNews()
	if err := c.Subscribe(ctx, "/chat/*", "/news"); err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	runCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	run := clientTestAsync(func() error { return c.Run(runCtx) })

	// faye echoes a publish to its subscribers, the publisher included.
	if err := c.Publish(ctx, "/chat/go", map[string]string{"text": "hello"}); err != nil {
		t.Fatalf("publish: %v", err)
	}
	if m := clientTestReceive(ctx, t, chat, "echo"); m.Channel != "/chat/go" || string(m.Data) != `{"text":"hello"}` {
		t.Errorf("echo = %s %s", m.Channel, m.Data)
	}

	// An event raised outside Bayeux (a plain HTTP call) arrives through the held connect.
	clientFayePost(ctx, t, base+"/trigger?channel="+url.QueryEscape("/news"), `{"n":1}`)
	if m := clientTestReceive(ctx, t, news, "trigger"); string(m.Data) != `{"n":1}` {
		t.Errorf("news = %s", m.Data)
	}

	// Raw protocol check: faye calls an unknown client 401 (CometD says 402).
	replies, resp, err := c.Send(ctx, Message{Channel: MetaConnect, ClientID: "bogus", ConnectionType: ConnectionTypeLongPolling})
	if err != nil || resp.Status != http.StatusOK || len(replies) != 1 {
		t.Fatalf("Send = %v %+v %v", replies, resp, err)
	}
	if e := clientReplyError(&replies[0]); e.Code != 401 || !slices.Equal(e.Args, []string{"bogus"}) ||
		e.Advice == nil || e.Advice.Reconnect != ReconnectHandshake {
		t.Errorf("unknown client reply = %+v", replies[0])
	}

	// faye forgets the session: the client must handshake again and subscribe again.
	old := c.ClientID()
	clientFayePost(ctx, t, base+"/destroy?clientId="+url.QueryEscape(old), "")
	clientTestWaitRecorded(ctx, t, rec, "re-subscription after faye forgot the session", func(ms []RecordedMessage) bool {
		var got []string
		for _, m := range ms {
			if m.Direction == FromServer && m.Message.Channel == MetaSubscribe && m.Message.IsSuccessful() &&
				m.Message.ClientID != "" && m.Message.ClientID != old {
				got = append(got, m.Message.Subscription.Channels...)
			}
		}
		return slices.Contains(got, "/chat/*") && slices.Contains(got, "/news")
	})
	if c.ClientID() == old || c.ClientID() == "" {
		t.Errorf("clientId %q after re-handshake (old %q)", c.ClientID(), old)
	}
	var saw401 bool
	for _, m := range rec.Messages() {
		if m.Direction == FromServer && m.Message.Channel == MetaConnect && !m.Message.IsSuccessful() &&
			ErrorCode(clientReplyError(&m.Message)) == 401 && m.Message.Advice != nil && m.Message.Advice.Reconnect == ReconnectHandshake {
			saw401 = true
		}
	}
	if !saw401 {
		t.Error("no 401 connect reply recorded before the re-handshake")
	}
	clientFayePost(ctx, t, base+"/trigger?channel="+url.QueryEscape("/news"), `{"n":2}`)
	if m := clientTestReceive(ctx, t, news, "trigger after re-handshake"); string(m.Data) != `{"n":2}` {
		t.Errorf("news = %s", m.Data)
	}

	// After unsubscribing, /news events stop. A later /chat event is the barrier: faye
	// delivers one session's events in order, so /news {"n":3} would have come first.
	if err := c.Unsubscribe(ctx, "/news"); err != nil {
		t.Fatalf("unsubscribe: %v", err)
	}
	clientFayePost(ctx, t, base+"/trigger?channel="+url.QueryEscape("/news"), `{"n":3}`)
	clientFayePost(ctx, t, base+"/trigger?channel="+url.QueryEscape("/chat/barrier"), `{"n":4}`)
	if m := clientTestReceive(ctx, t, chat, "barrier"); m.Channel != "/chat/barrier" {
		t.Errorf("barrier = %s", m.Channel)
	}
	select {
	case m := <-news:
		t.Errorf("event on /news after unsubscribe: %s", m.Data)
	default:
	}

	second := c.ClientID()
	if err := c.Disconnect(ctx); err != nil {
		t.Errorf("disconnect: %v", err)
	}
	select {
	case err := <-run:
		if err != nil {
			t.Errorf("Run = %v, want nil after Disconnect", err)
		}
	case <-ctx.Done():
		t.Fatal("Run did not return after Disconnect")
	}
	// faye forgot the session: a connect with the old clientId is unknown now.
	replies, _, err = c.SendAsIs(ctx, Message{Channel: MetaConnect, ClientID: second, ConnectionType: ConnectionTypeLongPolling})
	if err != nil || len(replies) != 1 || ErrorCode(clientReplyError(&replies[0])) != 401 {
		t.Errorf("connect after disconnect = %+v, %v", replies, err)
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Error("interop test ran out of time")
	}
}
