package mockserver

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/workbinkit/workbinkit/bayeux"
	"github.com/workbinkit/workbinkit/mockserver/state"
	"github.com/workbinkit/workbinkit/spec"
)

// GET /_mock/events: what the dashboard shows, as server-sent events (text/event-stream).
// Each event's data is one line of JSON:
//
//	hello     once, first: the mock's instance id, media, statusCodes, deviation switches, rule titles
//	status    warnings, deviations on, self-check violations, pending HTTP faults, options (when they change)
//	state     users and workbins with their first interactions (state.Overview) (when the state changes)
//	sessions  CometD sessions and HTTP session counts per user (when they change)
//	journal   new journal entries: REST exchanges (a refusal explained) and the CometD events delivered
//
// The stream is woken by the journal and by changes of the state, and flushes at most every
// dashMinGap, and no sooner than dashCostFactor times as long as its last flush took, so that
// a mock under load spends a bounded effort on it (about 1/dashCostFactor of a core per open
// dashboard, whatever the size of the state): at most dashMaxBatch entries per flush (the
// newest; the others are counted as skipped). Nothing is rendered for the stream on the
// request path: a REST request only wakes it.

const (
	dashMinGap      = 200 * time.Millisecond
	dashCostFactor  = 20
	dashMaxGap      = 2 * time.Second // however slow a flush, the page hears at least this often
	dashHeartbeat   = 2 * time.Second // status and sessions are looked at this often when nothing wakes the stream
	dashKeepAlive   = 15 * time.Second
	dashMaxBatch    = 200
	dashItemLimit   = 50 // interactions per workbin in a state event (a laptop screen shows fewer)
	dashOwnedLimit  = 20 // interactions per user in a state event, without resource
	dashViolations  = 20 // the most recent violations in a status event
	dashWriteWithin = 10 * time.Second
)

// dashEntry is a journal entry as the stream sends it.
type dashEntry struct {
	JournalEntry
	// Refusal explains a refused REST request (nil: a success).
	Refusal *refusal `json:"refusal,omitempty"`
	// RuleTitle is the title of Refusal.Rule in docs/rules.md.
	RuleTitle string `json:"ruleTitle,omitempty"`
}

type dashJournal struct {
	Entries []dashEntry `json:"entries"`
	// Skipped is how many entries at most the stream did not send: they left the journal
	// before the stream could read them, or came faster than dashMaxBatch per flush.
	Skipped int `json:"skipped"`
}

type dashHello struct {
	Instance    string            `json:"instance"`
	Media       []spec.Media      `json:"media"`
	StatusCodes []dashStatusCode  `json:"statusCodes"`
	Deviations  []DeviationInfo   `json:"deviations"`
	Rules       map[string]string `json:"rules"`
	JournalSize int               `json:"journalSize"`
	Items       int               `json:"itemsShown"`
}

type dashStatusCode struct {
	Code    int    `json:"code"`
	Meaning string `json:"meaning"`
}

type dashStatus struct {
	Warnings   []string  `json:"warnings"`
	Deviations []string  `json:"deviations"`
	Violations dashViols `json:"violations"`
	Faults     []Fault   `json:"faults"`
	Options    Options   `json:"options"`
}

type dashViols struct {
	Count  uint64      `json:"count"`
	Recent []Violation `json:"recent"`
}

type dashSessions struct {
	CometD []dashCometD   `json:"cometd"`
	HTTP   map[string]int `json:"http"`
}

type dashCometD struct {
	User          string   `json:"user"`
	Subscriptions []string `json:"subscriptions"`
	ConnectHeld   bool     `json:"connectHeld"`
	Queued        int      `json:"queued"`
}

// dashItem is an interaction as the dashboard lists it: the members a person looks for,
// read from the resource, and the resource.
type dashItem struct {
	ID           string          `json:"id"`
	Media        spec.Media      `json:"media"`
	State        string          `json:"state"`
	Type         string          `json:"type,omitempty"`
	ReceivedDate string          `json:"receivedDate,omitempty"`
	UserData     json.RawMessage `json:"userData,omitempty"`
	Resource     json.RawMessage `json:"resource,omitempty"`
}

type dashWorkbin struct {
	state.WorkbinOverview
	Items []dashItem `json:"items"`
}

type dashUser struct {
	state.UserOverview
	Owned []dashItem `json:"owned"`
}

type dashState struct {
	Users    []dashUser    `json:"users"`
	Workbins []dashWorkbin `json:"workbins"`
}

// dashCursor is what a stream has sent so far.
type dashCursor struct {
	seq               uint64 // the last journal entry sent
	gen               uint64 // the state generation sent
	status, sessions  []byte
	sentState         bool
	lastFlush, lastIO time.Time
	cost              time.Duration // how long the last flush took
}

// gap is how long the stream waits after a flush before the next one.
func (c *dashCursor) gap() time.Duration {
	return min(max(dashMinGap, dashCostFactor*c.cost), dashMaxGap)
}

// adminEvents serves GET /_mock/events.
func (s *Server) adminEvents() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !acceptsEventStream(r) {
			adminError(w, http.StatusNotAcceptable, "GET /_mock/events is a text/event-stream: send Accept: text/event-stream")
			return
		}
		s.dash.setup()
		st := s.dash.join()
		defer s.dash.leave(st)

		h := w.Header()
		h.Set("Content-Type", "text/event-stream; charset=utf-8")
		h.Set("Cache-Control", "no-store")
		h.Set("X-Accel-Buffering", "no")
		w.WriteHeader(http.StatusOK)
		rc := http.NewResponseController(w)

		var cur dashCursor
		if !s.dashSend(w, rc, "hello", s.dashHello(), &cur) {
			return
		}
		// A new stream starts with the journal's last entries, not all of them.
		cur.seq = s.journal.lastSeq(dashMaxBatch)
		heartbeat := time.NewTicker(dashHeartbeat)
		defer heartbeat.Stop()
		for {
			if s.dash.closed.Load() || !s.dashFlush(w, rc, &cur) {
				return
			}
			select {
			case <-r.Context().Done():
				return
			case <-heartbeat.C:
			case <-st.wake:
				// At most one flush per gap: under load the stream sends batches.
				if wait := cur.gap() - time.Since(cur.lastFlush); wait > 0 {
					t := time.NewTimer(wait)
					select {
					case <-r.Context().Done():
						t.Stop()
						return
					case <-t.C:
					}
				}
			}
		}
	}
}

// acceptsEventStream: the client asks for text/event-stream (EventSource and the dashboard
// do); anything else would wait on a stream that never ends.
func acceptsEventStream(r *http.Request) bool {
	for _, v := range r.Header.Values("Accept") {
		for _, part := range strings.Split(v, ",") {
			if mt, _, err := mime.ParseMediaType(strings.TrimSpace(part)); err == nil && mt == "text/event-stream" {
				return true
			}
		}
	}
	return false
}

// dashFlush sends what changed since the cursor; false when the stream is gone.
func (s *Server) dashFlush(w http.ResponseWriter, rc *http.ResponseController, cur *dashCursor) bool {
	cur.lastFlush = time.Now()
	defer func() { cur.cost = time.Since(cur.lastFlush) }()
	if status, err := json.Marshal(s.dashStatus()); err == nil && !bytes.Equal(status, cur.status) {
		if !s.dashWrite(w, rc, "status", status, cur) {
			return false
		}
		cur.status = status
	}
	if gen := s.dash.stateGen.Load(); gen != cur.gen || !cur.sentState {
		if !s.dashSend(w, rc, "state", s.dashState(), cur) {
			return false
		}
		cur.gen, cur.sentState = gen, true
	}
	if sess, err := json.Marshal(s.dashSessions()); err == nil && !bytes.Equal(sess, cur.sessions) {
		if !s.dashWrite(w, rc, "sessions", sess, cur) {
			return false
		}
		cur.sessions = sess
	}
	recs, last, skipped := s.journal.after(cur.seq, dashMaxBatch, dashShown)
	if len(recs) > 0 || skipped > 0 {
		batch := dashJournal{Entries: make([]dashEntry, len(recs)), Skipped: skipped}
		for i, rec := range recs {
			batch.Entries[i] = s.dashEntry(rec)
		}
		if !s.dashSend(w, rc, "journal", batch, cur) {
			return false
		}
	}
	cur.seq = last
	if time.Since(cur.lastIO) > dashKeepAlive {
		if !s.dashWrite(w, rc, "", nil, cur) {
			return false
		}
	}
	return true
}

func (s *Server) dashSend(w http.ResponseWriter, rc *http.ResponseController, event string, v any, cur *dashCursor) bool {
	data, err := json.Marshal(v)
	if err != nil {
		s.log.Error("mock: dashboard event", "event", event, "err", err)
		return true // a bug of this file; the stream goes on
	}
	return s.dashWrite(w, rc, event, data, cur)
}

// dashWrite writes one event (event "" is a comment, to keep the connection alive) and
// flushes it, within dashWriteWithin: a dashboard that stopped reading is let go.
func (s *Server) dashWrite(w http.ResponseWriter, rc *http.ResponseController, event string, data []byte, cur *dashCursor) bool {
	_ = rc.SetWriteDeadline(time.Now().Add(dashWriteWithin)) // not every writer has deadlines
	var err error
	if event == "" {
		_, err = fmt.Fprint(w, ": keep-alive\n\n")
	} else {
		// json.Marshal writes no raw newline, so the data is one "data:" line.
		_, err = fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, data)
	}
	if err == nil {
		err = rc.Flush()
	}
	cur.lastIO = time.Now()
	return err == nil
}

func (s *Server) dashHello() dashHello {
	codes := []dashStatusCode{}
	for _, c := range spec.StatusCodes() {
		codes = append(codes, dashStatusCode{int(c), c.Meaning()})
	}
	return dashHello{
		Instance: s.dash.instance, Media: spec.AllMedia(), StatusCodes: codes, Deviations: Deviations(),
		Rules: s.dash.rules, JournalSize: len(s.journal.ring), Items: dashItemLimit,
	}
}

func (s *Server) dashStatus() dashStatus {
	n, recent := s.viol.snapshot()
	recent = recent[max(0, len(recent)-dashViolations):]
	if recent == nil {
		recent = []Violation{}
	}
	on := []string{}
	for _, d := range s.ActiveDeviations() {
		on = append(on, string(d))
	}
	return dashStatus{
		Warnings: s.Warnings(), Deviations: on, Violations: dashViols{Count: n, Recent: recent},
		Faults: s.faults.list(), Options: s.Options(),
	}
}

func (s *Server) dashState() dashState {
	ov := s.store.Overview(dashItemLimit)
	out := dashState{Users: make([]dashUser, len(ov.Users)), Workbins: make([]dashWorkbin, len(ov.Workbins))}
	for i, u := range ov.Users {
		owned := make([]dashItem, min(len(u.Owned), dashOwnedLimit))
		for j := range owned {
			x := u.Owned[j]
			owned[j] = dashItem{ID: x.ID, Media: x.Media, State: x.State} // the Users view shows no more
		}
		out.Users[i] = dashUser{UserOverview: u, Owned: owned}
	}
	for i, wb := range ov.Workbins {
		out.Workbins[i] = dashWorkbin{WorkbinOverview: wb, Items: dashItemsOf(wb.Items)}
	}
	return out
}

// dashItemsOf reads the members the dashboard lists from each resource.
func dashItemsOf(xs []state.Interaction) []dashItem {
	out := make([]dashItem, len(xs))
	for i, x := range xs {
		it := dashItem{ID: x.ID, Media: x.Media, State: x.State, Resource: x.Resource}
		if m, ok := members(x.Resource); ok {
			if info, ok := spec.MediaOf(x.Media); ok {
				_ = json.Unmarshal(m[info.TypeField], &it.Type)
			}
			_ = json.Unmarshal(m[spec.FieldReceivedDate], &it.ReceivedDate)
			it.UserData = m[spec.FieldUserData]
		}
		out[i] = it
	}
	return out
}

func (s *Server) dashSessions() dashSessions {
	out := dashSessions{CometD: []dashCometD{}, HTTP: s.sessions.countByUser()}
	for _, si := range s.cometd.Sessions() {
		subs := slices.Clone(si.Subscriptions)
		slices.Sort(subs)
		if subs == nil {
			subs = []string{}
		}
		out.CometD = append(out.CometD, dashCometD{User: si.Principal, Subscriptions: subs, ConnectHeld: si.ConnectHeld, Queued: si.QueueLen})
	}
	slices.SortStableFunc(out.CometD, func(a, b dashCometD) int {
		return cmp.Or(cmp.Compare(a.User, b.User), strings.Compare(strings.Join(a.Subscriptions, ","), strings.Join(b.Subscriptions, ",")))
	})
	return out
}

// dashShown picks the journal records the dashboard shows: every REST exchange, and the
// CometD events the mock delivered (not the meta messages of the protocol).
func dashShown(r *journalRecord) bool {
	if r.wire == nil {
		return true
	}
	return r.wire.Direction == bayeux.FromServer && !strings.HasPrefix(r.wire.Message.Channel, "/meta/")
}

func (s *Server) dashEntry(r journalRecord) dashEntry {
	e := dashEntry{JournalEntry: r.entry()}
	e.SessionID = "" // the dashboard has no use for a Bayeux clientId
	if r.wire == nil {
		if ref, ok := explainRefusal(r.http.operation, r.http.status, r.http.respBody); ok {
			e.Refusal = &ref
			e.RuleTitle = s.dash.rules[ref.Rule]
		}
	}
	return e
}

// countByUser counts the live HTTP sessions of each user.
func (t *sessionTable) countByUser() map[string]int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := map[string]int{}
	for _, s := range t.m {
		out[s.user]++
	}
	return out
}

// lastSeq is the seq before the last n records (0 when the journal holds fewer).
func (j *journal) lastSeq(n int) uint64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.seq < uint64(n) {
		return 0
	}
	return j.seq - uint64(n)
}

// after returns the records after seq that keep accepts, oldest first, at most max of them
// (the newest); last is the journal's newest seq, and skipped counts the accepted records
// after seq that are not returned (gone from the ring, or beyond max). The records are
// copied under the lock and share their immutable contents with the journal.
func (j *journal) after(seq uint64, max int, keep func(*journalRecord) bool) (recs []journalRecord, last uint64, skipped int) {
	j.mu.Lock()
	last = j.seq
	if last <= seq {
		j.mu.Unlock()
		return nil, last, 0
	}
	n := len(j.ring)
	if !j.full {
		n = j.next
	}
	oldest := j.seq - uint64(n) + 1 // the seq of the oldest record in the ring
	if seq+1 < oldest {
		skipped = int(oldest - seq - 1)
	}
	// Walk back from the newest until seq or max records kept.
	for i := range n {
		idx := (j.next - 1 - i + len(j.ring)) % len(j.ring)
		r := &j.ring[idx]
		if r.seq <= seq {
			break
		}
		if !keep(r) {
			continue
		}
		if len(recs) == max {
			skipped++
			continue
		}
		recs = append(recs, *r)
	}
	j.mu.Unlock()
	slices.Reverse(recs)
	return recs, last, skipped
}
