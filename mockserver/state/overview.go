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
// (limit < 0: none).
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
	// The interactions are gathered as they are stored: values the world replaces, never
	// changes, so they can be sorted and copied after the lock is let go.
	inWorkbin := map[string][]Interaction{}
	owned := map[string][]Interaction{}
	for _, x := range w.items {
		if x.Workbin != "" {
			inWorkbin[x.Workbin] = append(inWorkbin[x.Workbin], x)
		} else if x.Owner != "" {
			owned[x.Owner] = append(owned[x.Owner], x)
		}
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

	first := func(xs []Interaction) []Interaction {
		// A sort of the few thousand a workbin may hold is cheap enough (and it runs
		// without the lock); only the first limit are copied.
		slices.SortFunc(xs, func(a, b Interaction) int { return cmp.Compare(a.ID, b.ID) })
		xs = xs[:min(len(xs), limit)]
		out := make([]Interaction, len(xs))
		for i, x := range xs {
			out[i] = x.clone()
		}
		return out
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
		ov.Users = append(ov.Users, UserOverview{
			ID: u.ID, Name: u.Name, Roles: u.Roles, Features: u.Features, Place: u.Place,
			AgentGroups: u.AgentGroups, PlaceGroups: u.PlaceGroups,
			Owned: first(owned[u.Name]), OwnedCount: len(owned[u.Name]),
			Subscriptions: sorted(subsOf[u.Name]),
		})
	}
	slices.SortFunc(workbins, func(a, b Workbin) int { return cmp.Compare(a.ID, b.ID) })
	for _, wb := range workbins {
		ov.Workbins = append(ov.Workbins, WorkbinOverview{
			ID: wb.ID, Name: wb.Name, Type: wb.Type, Owner: wb.Owner,
			Items: first(inWorkbin[wb.ID]), Count: len(inWorkbin[wb.ID]),
			Subscribers: sorted(subscribers[wb.ID]),
		})
	}
	return ov
}
