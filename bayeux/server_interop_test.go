package bayeux

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/workbinkit/workbinkit/internal/nodetest"
)

// TestOfficialCometDClient runs the official CometD JavaScript client against the server:
// handshake, subscriptions (pattern and plain), events published by server code, a
// publish of its own, a forced expiry with re-handshake and re-subscription, disconnect.
func TestOfficialCometDClient(t *testing.T) {
	node := nodetest.Require(t, "cometd", "cometd-nodejs-client")
	srv := NewServer(Options{Timeout: 5 * time.Second})
	var mu sync.Mutex
	paths := map[string]bool{}
	mux := http.NewServeMux()
	bayeux := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths[r.URL.Path] = true
		mu.Unlock()
		srv.ServeHTTP(w, r)
	})
	mux.Handle("/cometd", bayeux)
	mux.Handle("/cometd/", bayeux)
	mux.HandleFunc("POST /trigger/publish", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Channel string          `json:"channel"`
			Data    json.RawMessage `json:"data"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		n, err := srv.Publish(req.Channel, req.Data)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		json.NewEncoder(w).Encode(map[string]int{"delivered": n})
	})
	mux.HandleFunc("POST /trigger/expire", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]int{"expired": srv.ExpireSessionsWhere(nil)})
	})
	ts := httptest.NewServer(mux)
	defer ts.Close()
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), srvWaitLimit)
		defer cancel()
		srv.Shutdown(ctx)
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join("testdata", "cometd-interop.mjs"), ts.URL)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	t.Logf("script output:\n%s", stdout.String())
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) || ctx.Err() != nil {
			t.Fatalf("cometd-interop.mjs failed: %v (context: %v)\nstderr:\n%s", err, ctx.Err(), stderr.String())
		}
		t.Fatalf("running node: %v", err)
	}

	type step struct {
		Step        string          `json:"step"`
		Round       int             `json:"round"`
		ClientID    string          `json:"clientId"`
		Reestablish bool            `json:"reestablish"`
		Channel     string          `json:"channel"`
		Channels    []string        `json:"channels"`
		Data        json.RawMessage `json:"data"`
		Error       string          `json:"error"`
		Successful  bool            `json:"successful"`
		Sessions    int             `json:"sessions"`
		Failures    []string        `json:"failures"`
	}
	var steps []step
	sc := bufio.NewScanner(&stdout)
	for sc.Scan() {
		var s step
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		steps = append(steps, s)
	}
	var got []string
	for _, s := range steps {
		switch s.Step {
		case "received", "published":
			got = append(got, s.Step+" "+s.Channel+" "+string(s.Data))
		default:
			got = append(got, s.Step)
		}
		switch s.Step {
		case "subscribed":
			if !slices.Equal(s.Channels, []string{"/x/**", "/plain"}) {
				t.Errorf("subscribed %v", s.Channels)
			}
		case "expired":
			if s.Sessions != 1 {
				t.Errorf("expired %d sessions, want 1", s.Sessions)
			}
		case "resubscribed", "disconnected":
			// The held connect was answered with 402 + handshake advice, and nothing else failed.
			if want := []string{"/meta/connect 402::Unknown client handshake"}; !slices.Equal(s.Failures, want) {
				t.Errorf("%s: failures %q, want %q", s.Step, s.Failures, want)
			}
			if s.Step == "disconnected" && !s.Successful {
				t.Error("disconnect failed")
			}
		}
	}
	want := []string{
		"websocket-fallback", "handshake", "subscribed",
		`received /x/y/z {"n":1}`, `received /plain {"n":2}`, `published /plain {"n":3}`,
		"expired", "handshake", "resubscribed",
		`received /x/after {"n":4}`, "disconnected",
	}
	if !slices.Equal(got, want) {
		t.Errorf("steps\n got %q\nwant %q", got, want)
	}
	if n := len(srv.Sessions()); n != 0 {
		t.Errorf("%d sessions left after disconnect", n)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, p := range []string{"/cometd/handshake", "/cometd/connect", "/cometd/disconnect"} {
		if !paths[p] {
			t.Errorf("the client never posted to %s (paths %v)", p, paths)
		}
	}
}
