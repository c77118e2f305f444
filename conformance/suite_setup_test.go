package conformance

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// setupBound bounds every wait of these tests.
const setupBound = 30 * time.Second

// stallingTarget accepts connections and never answers. Once want connections are open
// at the same time it closes them all: only logins that run at once get there.
type stallingTarget struct {
	url      string
	together chan struct{} // closed when want connections were open at once
}

func startStallingTarget(t *testing.T, want int) *stallingTarget {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	st := &stallingTarget{url: "http://" + ln.Addr().String(), together: make(chan struct{})}
	var (
		mu   sync.Mutex
		open []net.Conn
		once sync.Once
	)
	closeAll := func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range open {
			c.Close()
		}
		open = nil
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			open = append(open, c)
			n := len(open)
			mu.Unlock()
			if n >= want {
				once.Do(func() { close(st.together) })
				closeAll()
			}
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		closeAll()
	})
	return st
}

func setupSuite(t *testing.T, target, timeouts string) *Suite {
	t.Helper()
	o := testOptions(t) // every feature: four users log in
	o.Target = target
	if err := o.Timeouts.ApplyOverrides(timeouts); err != nil {
		t.Fatal(err)
	}
	s, err := NewSuite(*o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSetupLogsInAtOnce: the users log in concurrently, and the first that finds the
// target unreachable ends the set-up with one finding; the others do not wait their turn.
// The target answers nobody and drops the connections only once every login is open at
// the same time, so logins one after another would never get there (and the request
// timeout, an hour, would not end them).
func TestSetupLogsInAtOnce(t *testing.T) {
	s := setupSuite(t, "http://127.0.0.1:1", "request=1h") // to count the roles only
	roles := len(s.neededRoles())
	st := startStallingTarget(t, roles)
	s = setupSuite(t, st.url, "request=1h")
	ctx, cancel := context.WithTimeout(context.Background(), setupBound)
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		_, err := s.discover(ctx)
		errc <- err
	}()
	select {
	case <-st.together:
	case <-ctx.Done():
		t.Fatalf("the %d logins were never open at the same time: they run one after another", roles)
	}
	var err error
	select {
	case err = <-errc:
	case <-ctx.Done():
		t.Fatal("the set-up went on after the target dropped every login")
	}
	var ue *UnreachableError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "target unreachable: GET /api/v2/me") {
		t.Fatalf("set-up error %v, want one UnreachableError", err)
	}
	if ctx.Err() != nil {
		t.Fatal("the set-up ended only with the test's bound")
	}
}

// TestSetupDeadTarget: a refused connection and a target that never answers each end the
// set-up with one finding that names the cause and what to check.
func TestSetupDeadTarget(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + ln.Addr().String()
	ln.Close()
	hung := startStallingTarget(t, 1000) // never reached: it only stalls

	for _, c := range []struct {
		name, target, timeouts, want string
	}{
		{"refused", refused, "request=1h", "connection refused"},
		{"no answer", hung.url, "request=300ms", "no answer within 300ms (timeouts.request)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := setupSuite(t, c.target, c.timeouts)
			ctx, cancel := context.WithTimeout(context.Background(), setupBound)
			defer cancel()
			_, err := s.discover(ctx)
			var ue *UnreachableError
			if !errors.As(err, &ue) {
				t.Fatalf("error %v, want an UnreachableError", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, c.want) || !strings.Contains(msg, "is the server up, and is --target its base URL?") || strings.Count(msg, "target unreachable") != 1 {
				t.Errorf("finding: %s", msg)
			}
			if ctx.Err() != nil {
				t.Error("the set-up ended only with the test's bound")
			}
		})
	}
}
