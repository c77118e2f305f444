package state

import (
	"cmp"
	"slices"
)

// Overview is a bounded summary of the whole state, for the mock's dashboard: every user and
// workbin, with at most a given number of interactions each (the first by id) and how many
// there are. Unlike Snapshot it costs one pass over the interactions under the lock, so the
// dashboard can follow a store of many thousand interactions while it is pulled from.
type Overview struct {
	Users    []UserOverview    `json:"users"`
	Workbins []WorkbinOverview `json:"workbins"`
}

// UserOverview is a user without password and resource, the interactions he owns and the
// workbins he is subscribed to.
type UserOverview struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Roles       []string `json:"roles"`
	Features    []string `json:"features"`
	Place       string   `json:"place"`
	AgentGroups []string `json:"agentGroups"`
	PlaceGroups []string `json:"placeGroups"`
	// Owned are the first interactions he owns, by id; OwnedCount how many he owns.
	Owned      []Interaction `json:"owned"`
	OwnedCount int           `json:"ownedCount"`
	// Subscriptions are the ids of the workbins he is subscribed to, sorted.
	Subscriptions []string `json:"subscriptions"`
}

// WorkbinOverview is a workbin without its resource, the first interactions in it, by id,
// how many it holds, and its subscribers.
type WorkbinOverview struct {
	ID          string        `json:"id"`
	Name        string        `json:"name"`
	Type        string        `json:"type"`
	Owner       string        `json:"owner"`
	Items       []Interaction `json:"items"`
	Count       int           `json:"count"`
	Subscribers []string      `json:"subscribers"`
}

// Overview summarises the state with at most limit interactions per workbin and per user
// (limit < 0: none). One pass over the interactions under the read lock keeps, per workbin
// and per user, only the limit smallest ids seen so far (a bounded max-heap), so that its
// cost and garbage grow with the number of workbins and users times limit, not with the
// number of interactions: a dashboard may call it several times a second while the store
// is pulled from.
func (s *Store) Overview(limit int) Overview {
	limit = max(limit, 0)
	s.mu.RLock()
	w := s.w
	users := make([]User, 0, len(w.users))
	for _, u := range w.users {
		users = append(users, u)
	}
	workbins := make([]Workbin, 0, len(w.workbins))
	for _, wb := range w.workbins {
		workbins = append(workbins, wb)
	}
	// The interactions kept are values the world replaces, never changes, so they can be
	// sorted and copied after the lock is let go.
	inWorkbin := map[string]*firstByID{}
	owned := map[string]*firstByID{}
	for _, x := range w.items {
		var into map[string]*firstByID
		var key string
		switch {
		case x.Workbin != "":
			into, key = inWorkbin, x.Workbin
		case x.Owner != "":
			into, key = owned, x.Owner
		default:
			continue
		}
		f := into[key]
		if f == nil {
			f = &firstByID{limit: limit}
			into[key] = f
		}
		f.add(x)
	}
	subsOf := map[string][]string{}
	subscribers := map[string][]string{}
	for wb, us := range w.subs {
		for u := range us {
			subsOf[u] = append(subsOf[u], wb)
			subscribers[wb] = append(subscribers[wb], u)
		}
	}
	s.mu.RUnlock()

	first := func(f *firstByID) ([]Interaction, int) {
		if f == nil {
			return []Interaction{}, 0
		}
		xs := f.heap
		slices.SortFunc(xs, func(a, b Interaction) int { return cmp.Compare(a.ID, b.ID) })
		out := make([]Interaction, len(xs))
		for i, x := range xs {
			out[i] = x.clone()
		}
		return out, f.count
	}
	sorted := func(l []string) []string {
		if l == nil {
			return []string{}
		}
		slices.Sort(l)
		return l
	}

	ov := Overview{Users: make([]UserOverview, 0, len(users)), Workbins: make([]WorkbinOverview, 0, len(workbins))}
	slices.SortFunc(users, func(a, b User) int { return cmp.Compare(a.Name, b.Name) })
	for _, u := range users {
		u = u.clone()
		items, n := first(owned[u.Name])
		ov.Users = append(ov.Users, UserOverview{
			ID: u.ID, Name: u.Name, Roles: u.Roles, Features: u.Features, Place: u.Place,
			AgentGroups: u.AgentGroups, PlaceGroups: u.PlaceGroups,
			Owned: items, OwnedCount: n,
			Subscriptions: sorted(subsOf[u.Name]),
		})
	}
	slices.SortFunc(workbins, func(a, b Workbin) int { return cmp.Compare(a.ID, b.ID) })
	for _, wb := range workbins {
		items, n := first(inWorkbin[wb.ID])
		ov.Workbins = append(ov.Workbins, WorkbinOverview{
			ID: wb.ID, Name: wb.Name, Type: wb.Type, Owner: wb.Owner,
			Items: items, Count: n,
			Subscribers: sorted(subscribers[wb.ID]),
		})
	}
	return ov
}

// firstByID keeps the limit interactions with the smallest ids among those added, as a
// max-heap by id (the largest kept on top, the first to go), and counts them all.
type firstByID struct {
	limit int
	count int
	heap  []Interaction
}

func (f *firstByID) add(x Interaction) {
	f.count++
	switch {
	case f.limit == 0:
	case len(f.heap) < f.limit:
		f.heap = append(f.heap, x)
		for i := len(f.heap) - 1; i > 0; { // up
			p := (i - 1) / 2
			if f.heap[p].ID >= f.heap[i].ID {
				break
			}
			f.heap[p], f.heap[i] = f.heap[i], f.heap[p]
			i = p
		}
	case x.ID < f.heap[0].ID:
		f.heap[0] = x
		for i, n := 0, len(f.heap); ; { // down
			c := 2*i + 1
			if c >= n {
				break
			}
			if c+1 < n && f.heap[c+1].ID > f.heap[c].ID {
				c++
			}
			if f.heap[i].ID >= f.heap[c].ID {
				break
			}
			f.heap[i], f.heap[c] = f.heap[c], f.heap[i]
			i = c
		}
	}
}
