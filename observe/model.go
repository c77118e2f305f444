package observe

import (
	"time"

	"github.com/workbinkit/workbinkit/spec"
)

// model is where the traffic showed interactions to be, and who subscribed to which
// workbin: only what was seen, never a guess. A fact the observation cannot confirm
// (something changed out of its sight) is dropped rather than kept stale.
type model struct {
	items    map[string]*item
	workbins map[string]*workbin
	// stats are WorkbinStatsMessage counts waiting for a later read to be judged.
	stats []pendingStats
}

// item is an interaction as far as the traffic showed it.
type item struct {
	id    string
	media spec.Media
	// workbin holds it, since placedAt (when the observation showed it there); "" when
	// the observation does not know it in a workbin.
	workbin  string
	placedAt time.Time
	// addedAt: an Add into workbin was accepted then (a read must list it after).
	addedAt time.Time
	// owned: an accepted pull gave it to owner (and nothing put it back since).
	owned         bool
	owner         party
	pullStart     time.Time
	pullEnd       time.Time
	pullRef       int64
	pullSeq       int64
	pulledFrom    string
	viaSupervisor bool
	// shared: a Transfer, Invite or Consult gave it to another user too (D17).
	shared bool
	// refusedAt: a request about it was refused then (D11: it must change nothing).
	refusedAt  time.Time
	refusedSeq int64
	refusedOp  string
	// userData is the last userData seen (nil: none seen).
	userData map[string]any
	// contentReported: a read listing it after its pull was reported (once is enough).
	contentReported bool
	used            time.Time
}

// workbin is a workbin as far as the traffic showed it.
type workbin struct {
	id string
	// items are the interactions the model places in it.
	items map[string]struct{}
	subs  []party
	// snap: a read listing all of its content: count interactions at snapAt, and clean
	// while nothing observed changed it since.
	snapKnown bool
	snapCount int
	snapAt    time.Time
	snapClean bool
	used      time.Time
}

type pendingStats struct {
	workbin string
	count   int
	before  int
	at      time.Time
	seq     int64
	where   string
	pointer string
	party   string
}

func newModel() *model {
	return &model{items: map[string]*item{}, workbins: map[string]*workbin{}}
}

func (m *model) item(id string, at time.Time) *item {
	it := m.items[id]
	if it == nil {
		evict(m.items, maxInteractions, func(i *item) time.Time { return i.used })
		it = &item{id: id}
		m.items[id] = it
	}
	it.used = at
	return it
}

func (m *model) workbin(id string, at time.Time) *workbin {
	w := m.workbins[id]
	if w == nil {
		evict(m.workbins, maxWorkbins, func(w *workbin) time.Time { return w.used })
		w = &workbin{id: id, items: map[string]struct{}{}}
		m.workbins[id] = w
	}
	w.used = at
	return w
}

// changed marks a workbin's last full read as no longer its content.
func (m *model) changed(workbinID string) {
	if w := m.workbins[workbinID]; w != nil {
		w.snapClean = false
	}
}

// placed records that the observation showed an interaction in a workbin.
func (m *model) placed(id, workbinID string, media spec.Media, at time.Time) *item {
	it := m.item(id, at)
	if it.workbin != workbinID {
		m.leave(it)
	}
	it.workbin, it.placedAt, it.owned = workbinID, at, false
	if media != "" {
		it.media = media
	}
	w := m.workbin(workbinID, at)
	if len(w.items) < maxInteractions {
		w.items[id] = struct{}{}
	}
	return it
}

// leave takes an interaction out of the workbin the model placed it in.
func (m *model) leave(it *item) {
	if w := m.workbins[it.workbin]; w != nil {
		delete(w.items, it.id)
	}
	it.workbin = ""
}

// subscribe adds or removes a subscriber of a workbin.
func (m *model) subscribe(workbinID string, p party, yes bool, at time.Time) {
	w := m.workbin(workbinID, at)
	for i, s := range w.subs {
		if s.same(p) {
			if !yes {
				w.subs = append(w.subs[:i], w.subs[i+1:]...)
			}
			return
		}
	}
	if yes && len(w.subs) < 1000 {
		w.subs = append(w.subs, p)
	}
}

// reset forgets everything: the server's state was replaced out of the traffic's sight.
func (m *model) reset() {
	clear(m.items)
	clear(m.workbins)
	m.stats = nil
}
