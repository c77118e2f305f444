package bayeux

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"
)

// Micro-benchmarks of the server's hot paths (go test -run '^$' -bench . ./bayeux/). The
// end-to-end figures come from make bench-bayeux.

// srvBenchWriter is a ResponseWriter that keeps nothing, so the benchmarks measure the
// server rather than a recorder.
type srvBenchWriter struct {
	h      http.Header
	status int
	n      int
}

func (w *srvBenchWriter) Header() http.Header         { return w.h }
func (w *srvBenchWriter) WriteHeader(status int)      { w.status = status }
func (w *srvBenchWriter) Write(b []byte) (int, error) { w.n += len(b); return len(b), nil }

// srvBenchSessions handshakes n sessions, each subscribed to /bench/<i>.
func srvBenchSessions(b *testing.B, srv *Server, n int) []string {
	b.Helper()
	ids := make([]string, n)
	for i := range ids {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, "/cometd", bytes.NewReader([]byte(srvHandshakeJSON)))
		req.Header.Set("Content-Type", "application/json")
		srv.ServeHTTP(rec, req)
		var hs []Message
		if err := json.Unmarshal(rec.Body.Bytes(), &hs); err != nil || len(hs) != 1 || hs[0].ClientID == "" {
			b.Fatalf("handshake: %s", rec.Body.Bytes())
		}
		ids[i] = hs[0].ClientID
		req = httptest.NewRequest(http.MethodPost, "/cometd", bytes.NewReader(
			fmt.Appendf(nil, `[{"channel":"/meta/subscribe","clientId":%q,"subscription":"/bench/%d"}]`, ids[i], i)))
		req.Header.Set("Content-Type", "application/json")
		rec = httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if !bytes.Contains(rec.Body.Bytes(), []byte(`"successful":true`)) {
			b.Fatalf("subscribe: %s", rec.Body.Bytes())
		}
	}
	return ids
}

var srvBenchData = json.RawMessage(`{"t":1790000000000000000,"p":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}`)

// BenchmarkPublish: one event to one of 1,000 sessions, each subscribed to its own
// channel; the event is taken off the queue again so queues stay empty.
func BenchmarkPublish(b *testing.B) {
	srv := NewServer(Options{Timeout: time.Minute})
	ids := srvBenchSessions(b, srv, 1000)
	sessions := make([]*serverSession, len(ids))
	channels := make([]string, len(ids))
	for i, id := range ids {
		sessions[i], channels[i] = srv.lookup(id), fmt.Sprintf("/bench/%d", i)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if n, err := srv.Publish(channels[i], srvBenchData); err != nil || n != 1 {
			b.Fatalf("Publish = %d, %v", n, err)
		}
		s := sessions[i]
		s.mu.Lock()
		s.takeReadyLocked(time.Time{})
		s.mu.Unlock()
		i = (i + 1) % len(ids)
	}
}

// BenchmarkConnectWithEvent: the request a long-polling client makes for every event
// when events are sparse: a /meta/connect that finds one event queued and is answered at
// once (decode, look-up, take, encode, write).
func BenchmarkConnectWithEvent(b *testing.B) {
	srv := NewServer(Options{Timeout: time.Minute})
	id := srvBenchSessions(b, srv, 1)[0]
	body := fmt.Appendf(nil, `[{"channel":"/meta/connect","clientId":%q,"connectionType":"long-polling","id":"7"}]`, id)
	req := httptest.NewRequest(http.MethodPost, "/cometd/connect", nil)
	req.Header.Set("Content-Type", "application/json;charset=UTF-8")
	req.ContentLength = int64(len(body))
	w := &srvBenchWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := srv.Publish("/bench/0", srvBenchData); err != nil {
			b.Fatal(err)
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		clear(w.h)
		w.n = 0
		srv.ServeHTTP(w, req)
		if w.n < len(srvBenchData) {
			b.Fatalf("reply of %d bytes", w.n)
		}
	}
}

// BenchmarkHeldConnectWokenByPublish: a /meta/connect held by the server until an event
// is published for its session (the held connect's wait, wake-up and reply).
func BenchmarkHeldConnectWokenByPublish(b *testing.B) {
	srv := NewServer(Options{Timeout: time.Minute})
	id := srvBenchSessions(b, srv, 1)[0]
	sess := srv.lookup(id)
	body := fmt.Appendf(nil, `[{"channel":"/meta/connect","clientId":%q,"connectionType":"long-polling"}]`, id)
	req := httptest.NewRequest(http.MethodPost, "/cometd/connect", nil)
	req.Header.Set("Content-Type", "application/json")
	req.ContentLength = int64(len(body))
	w := &srvBenchWriter{h: http.Header{}}
	held := func() bool {
		sess.mu.Lock()
		defer sess.mu.Unlock()
		return sess.poll != nil
	}
	b.ReportAllocs()
	for b.Loop() {
		req.Body = io.NopCloser(bytes.NewReader(body))
		clear(w.h)
		w.n = 0
		done := make(chan struct{})
		go func() {
			defer close(done)
			srv.ServeHTTP(w, req)
		}()
		for !held() {
			runtime.Gosched()
		}
		if _, err := srv.Publish("/bench/0", srvBenchData); err != nil {
			b.Fatal(err)
		}
		<-done
		if w.n < len(srvBenchData) {
			b.Fatalf("reply of %d bytes", w.n)
		}
	}
}

// BenchmarkSubscribeBatch: one request of N /meta/subscribe messages, each to its own
// channel, on one session, with an AuthorizeSubscribe hook (as the mock has). Growth from
// N=1k to 10k should be near linear: see the ns/subscribe metric.
func BenchmarkSubscribeBatch(b *testing.B) {
	for _, n := range []int{1000, 4000, 10000} {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			allow := func(*SessionInfo, string) error { return nil }
			var body []byte
			for b.Loop() {
				b.StopTimer()
				srv := NewServer(Options{Timeout: time.Minute, AuthorizeSubscribe: allow, MaxBodyBytes: 8 << 20})
				id := srvBenchSessions(b, srv, 1)[0]
				body = append(body[:0], '[')
				for i := range n {
					if i > 0 {
						body = append(body, ',')
					}
					body = fmt.Appendf(body, `{"channel":"/meta/subscribe","clientId":%q,"subscription":"/x/%d","id":"%d"}`, id, i, i)
				}
				body = append(body, ']')
				req := httptest.NewRequest(http.MethodPost, "/cometd", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				w := &srvBenchWriter{h: http.Header{}}
				b.StartTimer()
				srv.ServeHTTP(w, req)
				b.StopTimer()
				if si, _ := srv.Session(id); w.status != 0 || len(si.Subscriptions) != n+1 {
					b.Fatalf("HTTP %d, %d subscriptions, want %d", w.status, len(si.Subscriptions), n+1)
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/subscribe")
		})
	}
}
