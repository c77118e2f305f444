package bayeux

import (
	"context"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// settle collects garbage and returns the goroutine count and live heap.
func srvSettle() (goroutines int, heap uint64) {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return runtime.NumGoroutine(), ms.HeapAlloc
}

// TestNothingLeaksWhenClientsVanish: 200 clients handshake, subscribe, hold a connect and
// then vanish mid-poll with megabytes queued for them. After the sweep, sessions,
// goroutines, timers and heap are back to where they started.
func TestNothingLeaksWhenClientsVanish(t *testing.T) {
	const n = 200
	clock := NewFakeClock(time.Unix(0, 0))
	watch := newSrvWatchClock(clock)
	srv := NewServer(Options{Clock: watch, Timeout: time.Hour, MaxInterval: 10 * time.Second, SweepPeriod: time.Second})
	ts := httptest.NewServer(srv)
	defer ts.Close()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = n
	client := &http.Client{Transport: tr, Timeout: srvWaitLimit}
	defer tr.CloseIdleConnections()

	baseG, baseHeap := srvSettle()

	ids := make([]string, n)
	for i := range ids {
		ids[i] = srvHandshake(t, client, ts.URL)
		status, r := srvPost(t, client, ts.URL, `[{"channel":"/meta/subscribe","clientId":"`+ids[i]+`","subscription":"/leak/**"}]`)
		if status != http.StatusOK || r[0]["successful"] != true {
			t.Fatalf("subscribe: %d %v", status, r)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Go(func() {
			srvTryPost(ctx, client, ts.URL, "application/json", srvConnectJSON(id)) // ends with ctx
		})
	}
	allHeld := func(want bool) func() bool {
		return func() bool {
			for _, si := range srv.Sessions() {
				if si.ConnectHeld != want {
					return false
				}
			}
			return true
		}
	}
	watch.changes.waitOn(t, "every connect held", allHeld(true))
	peakG := runtime.NumGoroutine()
	cancel() // every client vanishes mid-poll
	wg.Wait()
	watch.changes.waitOn(t, "every held connect released", allHeld(false))

	// 200 sessions × 10 events × 4 KiB = 8 MiB queued for nobody.
	payload := strings.Repeat("x", 4096)
	for range 10 {
		for _, id := range ids {
			if err := srv.Deliver(id, "/leak/x", payload+id); err != nil {
				t.Fatal(err)
			}
		}
	}
	_, peakHeap := srvSettle()
	if peakHeap < baseHeap+6<<20 {
		t.Fatalf("heap %d → %d: the queued events are not where this test expects them", baseHeap, peakHeap)
	}

	clock.Advance(12 * time.Second) // > interval + maxInterval, several sweeps
	if n := srvIndexSize(srv); n != 0 {
		t.Errorf("subscription index still holds %d entries", n)
	}
	if left := len(srv.Sessions()); left != 0 {
		t.Fatalf("%d sessions left after the sweep", left)
	}
	if p := clock.Pending(); p != 0 {
		t.Errorf("%d timers left on the clock", p)
	}
	tr.CloseIdleConnections()
	var g int
	var heap uint64
	srvPollFor(t, "goroutines back to the baseline", func() bool {
		g, heap = srvSettle()
		return g <= baseG
	})
	if heap > baseHeap+2<<20 {
		t.Errorf("heap %d at baseline, %d at peak, %d after the sweep: over 2 MiB kept", baseHeap, peakHeap, heap)
	}
	t.Logf("goroutines %d → %d (held) → %d; heap %d KiB → %d KiB → %d KiB",
		baseG, peakG, g, baseHeap>>10, peakHeap>>10, heap>>10)
}

// TestRealClockSweeper: with the wall clock, an abandoned session goes within a bounded
// wait and the sweeper stops once no session is left.
func TestRealClockSweeper(t *testing.T) {
	h := newSrvHarness(t, Options{MaxInterval: 50 * time.Millisecond, SweepPeriod: 10 * time.Millisecond})
	id := h.handshake()
	h.post(srvConnect0JSON(id))
	srvPollFor(t, "the session to expire", func() bool { return len(h.srv.Sessions()) == 0 })
	h.srv.mu.Lock()
	armed := h.srv.sweeper != nil
	h.srv.mu.Unlock()
	if armed {
		t.Error("sweeper still armed with no session")
	}
	if r := h.post(srvConnect0JSON(id)); r[0]["error"] != "402::Unknown client" {
		t.Errorf("connect after expiry: %v", r)
	}
}
