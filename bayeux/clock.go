package bayeux

import (
	"sort"
	"sync"
	"time"
)

// Clock is the server's source of time: held connects, the session sweeper and delayed
// deliveries all go through it, so tests can drive expiry without waiting real seconds.
type Clock interface {
	Now() time.Time
	// AfterFunc calls f in its own goroutine once d has elapsed, unless stopped first.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a pending AfterFunc call.
type Timer interface {
	// Stop prevents the call if it has not started and reports whether it did so.
	Stop() bool
}

// RealClock is the wall clock (package time).
type RealClock struct{}

// Now returns time.Now().
func (RealClock) Now() time.Time { return time.Now() }

// AfterFunc wraps time.AfterFunc.
func (RealClock) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }

// FakeClock is a manual Clock for tests: time moves only when Advance is called, and the
// functions that fall due run synchronously inside Advance, in due order.
type FakeClock struct {
	mu     sync.Mutex
	now    time.Time
	seq    uint64
	timers map[uint64]*fakeTimer
}

// NewFakeClock returns a FakeClock that reads start.
func NewFakeClock(start time.Time) *FakeClock {
	return &FakeClock{now: start, timers: map[uint64]*fakeTimer{}}
}

type fakeTimer struct {
	c   *FakeClock
	id  uint64
	due time.Time
	f   func()
}

// Now returns the fake time.
func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// AfterFunc schedules f for Now()+d. A d <= 0 runs f at the next Advance (even Advance(0)).
func (c *FakeClock) AfterFunc(d time.Duration, f func()) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	t := &fakeTimer{c: c, id: c.seq, due: c.now.Add(d), f: f}
	c.timers[t.id] = t
	return t
}

// Stop cancels the timer if it has not fired.
func (t *fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	_, ok := t.c.timers[t.id]
	delete(t.c.timers, t.id)
	return ok
}

// Advance moves the clock forward by d and runs every function that falls due, in order of
// due time. Functions run without the clock's lock held, so they may use the clock.
func (c *FakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	until := c.now
	c.mu.Unlock()
	// Bounded: each round fires at least one timer or stops; timers re-armed by the fired
	// functions for a later time wait for the next Advance.
	for range 1 << 20 {
		c.mu.Lock()
		var due []*fakeTimer
		for _, t := range c.timers {
			if !t.due.After(until) {
				due = append(due, t)
			}
		}
		sort.Slice(due, func(i, j int) bool {
			if !due[i].due.Equal(due[j].due) {
				return due[i].due.Before(due[j].due)
			}
			return due[i].id < due[j].id
		})
		if len(due) == 0 {
			c.mu.Unlock()
			return
		}
		t := due[0]
		delete(c.timers, t.id)
		c.mu.Unlock()
		t.f()
	}
}

// Pending reports how many timers are scheduled (for tests that check nothing is left).
func (c *FakeClock) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}
