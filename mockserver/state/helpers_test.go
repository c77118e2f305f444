package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/workbinkit/workbinkit/fixtures"
	"github.com/workbinkit/workbinkit/spec"
)

// The built-in fixtures (fixtures/builtin), by name.
const (
	marat      = "MaratTest"
	agent2     = "agent2"
	supervisor = "supervisor1"
	voiceonly  = "voiceonly"

	maratID      = "8f14e45fceea167a5a36dedd4bea2543"
	agent2ID     = "c9f0f895fb98ab9159f51fd0297e236d"
	supervisorID = "45c48cce2e2d7fbdea1afc51c7c6ad26"

	testWB  = "3434543fafwe987"                      // Agent, MaratTest
	agent2W = "a15862be-2445-4735-aad2-69694a0f50ff" // Agent, agent2
	placeWB = "6f1c2a7e-0b3d-4e59-9a8c-1d2e3f405162" // Place, Place_MaratTest
	agWB    = "0b7e4c1d-5a9f-4e2b-8c3d-7f6a5b4c3d21" // AgentGroup, MyAgentGroup
	pgWB    = "9d8c7b6a-5f4e-4d3c-b2a1-0f9e8d7c6b5a" // PlaceGroup, MyPlaceGroup
	voiceWB = "e2f3a4b5-c6d7-4e8f-9a0b-1c2d3e4f5a6b" // Agent, voiceonly

	agentGroup = "MyAgentGroup"
	placeGroup = "MyPlaceGroup"

	wiTest    = "02F0ASAK8EAFA00W" // the seed sample, in testWB
	chatTest  = "0001BaBFVPR20036" // in testWB, customer John Smith
	chat2Test = "0001BaBFVPR20037" // in testWB, no customer name
	mailTest  = "00001aEMAIL00001" // in testWB
	wiPlace   = "02F0ASAK8EAFA20W"
	mailPlace = "00001aEMAIL00020"
	chatAG    = "0001BaBFVPR20035"
	wiAG      = "02F0ASAK8EAFA30W"
	wiPG      = "02F0ASAK8EAFA40W"
	mailPG    = "00001aEMAIL00040"
	wiAgent2  = "02F0ASAK8EAFA10W"
	chatAgent = "0001BaBFVPR20040" // in agent2's workbin
	mailAgent = "00001aEMAIL00010" // in agent2's workbin
	wiVoice   = "02F0ASAK8EAFA50W"
	wiOwned   = "02F0ASAK8EAFA90W" // owned by MaratTest
	chatOwned = "0001BaBFVPR20090" // owned by MaratTest
	mailOwned = "00001aEMAIL00090" // owned by MaratTest
	wiOwned2  = "02F0ASAK8EAFA91W" // owned by agent2
)

// builtinSet loads the embedded fixtures once: loading compiles the contract.
var builtinSet = sync.OnceValues(fixtures.Builtin)

// contract is the compiled contract, once.
var contract = sync.OnceValues(spec.Load)

func builtin(t testing.TB) *fixtures.Set {
	t.Helper()
	set, err := builtinSet()
	if err != nil {
		t.Fatal(err)
	}
	return set
}

var epoch = time.Date(2026, 3, 14, 15, 9, 26, 535_000_000, time.FixedZone("", 3*3600))

// newStore starts a store from the built-in fixtures with a fixed clock.
func newStore(t testing.TB) *Store {
	t.Helper()
	s, err := New(builtin(t), Options{Now: func() time.Time { return epoch }})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func me(id string) WorkbinRef        { return WorkbinRef{ID: id, Me: true} }
func plain(id string) WorkbinRef     { return WorkbinRef{ID: id} }
func meAG(id, g string) WorkbinRef   { return WorkbinRef{ID: id, Me: true, AgentGroup: g} }
func mePG(id, g string) WorkbinRef   { return WorkbinRef{ID: id, Me: true, PlaceGroup: g} }
func sup(user, id string) WorkbinRef { return WorkbinRef{ID: id, OnBehalfOf: user} }

// wantError checks a refusal: the statusCode, the kind, and the HTTP status D3 gives it.
func wantError(t *testing.T, err error, code spec.StatusCode, kind error) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T), want an *Error with statusCode %d", err, err, code)
	}
	if e.Code != code || !errors.Is(err, kind) {
		t.Fatalf("got %v (kind %v), want statusCode %d kind %v", err, e.Kind, code, kind)
	}
	if CodeOf(err) != code {
		t.Fatalf("CodeOf = %d", CodeOf(err))
	}
	if _, ok := code.HTTPStatus(); !ok {
		t.Fatalf("statusCode %d has no HTTP status in D3", code)
	}
	if e.Message == "" {
		t.Fatal("empty statusMessage")
	}
}

// refused runs a command that must be refused and checks it changed nothing.
func refused(t *testing.T, s *Store, code spec.StatusCode, kind error, cmd func() ([]Event, error)) {
	t.Helper()
	before := s.Snapshot()
	events, err := cmd()
	wantError(t, err, code, kind)
	if events != nil {
		t.Errorf("a refused command returned events %v", events)
	}
	if after := s.Snapshot(); !reflect.DeepEqual(before, after) {
		t.Errorf("a refused command changed the state:\n%s", diffSnapshots(before, after))
	}
	checkInvariant(t, s)
}

func diffSnapshots(a, b Snapshot) string {
	ja, _ := json.MarshalIndent(a, "", " ")
	jb, _ := json.MarshalIndent(b, "", " ")
	la, lb := splitLines(ja), splitLines(jb)
	for i := range min(len(la), len(lb)) {
		if la[i] != lb[i] {
			return fmt.Sprintf("line %d: %s\n   vs: %s", i+1, la[i], lb[i])
		}
	}
	return fmt.Sprintf("%d vs %d lines", len(la), len(lb))
}

func splitLines(b []byte) []string {
	var out []string
	start := 0
	for i, c := range b {
		if c == '\n' {
			out = append(out, string(b[start:i]))
			start = i + 1
		}
	}
	return append(out, string(b[start:]))
}

// checkInvariant checks D11 and the state rules on a snapshot, independently of the code
// under test: unique ids, each interaction in exactly one existing workbin or owned by exactly
// one existing user, its state and capabilities fitting where it is, and its resource saying
// the same.
func checkInvariant(t testing.TB, s *Store) {
	t.Helper()
	if err := invariant(s.Snapshot()); err != nil {
		t.Fatal(err)
	}
}

func invariant(snap Snapshot) error {
	users, workbins, ids := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, u := range snap.Users {
		users[u.Name] = true
	}
	for _, w := range snap.Workbins {
		workbins[w.ID] = true
	}
	for _, x := range snap.Interactions {
		if ids[x.ID] {
			return fmt.Errorf("interaction %s twice", x.ID)
		}
		ids[x.ID] = true
		var r struct {
			ID           string            `json:"id"`
			State        string            `json:"state"`
			Capabilities []string          `json:"capabilities"`
			Participants []json.RawMessage `json:"participants"`
		}
		if err := json.Unmarshal(x.Resource, &r); err != nil {
			return fmt.Errorf("interaction %s: resource: %v", x.ID, err)
		}
		if r.ID != x.ID || r.State != x.State || !slices.Equal(r.Capabilities, x.Capabilities) {
			return fmt.Errorf("interaction %s: record (%s %v) and resource (%s %s %v) disagree", x.ID, x.State, x.Capabilities, r.ID, r.State, r.Capabilities)
		}
		if c, err := canonical(x.Resource); err != nil || string(c) != string(x.Resource) {
			return fmt.Errorf("interaction %s: resource not canonical: %s", x.ID, x.Resource)
		}
		switch {
		case x.Workbin != "" && x.Owner != "":
			return fmt.Errorf("interaction %s is in workbin %s and owned by %s", x.ID, x.Workbin, x.Owner)
		case x.Workbin != "":
			if !workbins[x.Workbin] {
				return fmt.Errorf("interaction %s is in unknown workbin %s", x.ID, x.Workbin)
			}
			if x.State != spec.StateInWorkbin || len(x.Capabilities) != 0 || r.Capabilities == nil {
				return fmt.Errorf("interaction %s in a workbin is %s with %v", x.ID, x.State, x.Capabilities)
			}
			if x.Media == spec.MediaChat && (r.Participants == nil || len(r.Participants) != 0) {
				return fmt.Errorf("chat %s in a workbin has participants %v", x.ID, r.Participants)
			}
		case x.Owner != "":
			if !users[x.Owner] {
				return fmt.Errorf("interaction %s is owned by unknown user %s", x.ID, x.Owner)
			}
			if p := spec.CheckPlacement(x.Media, false, x.State, true, x.Capabilities, true); p != nil {
				return fmt.Errorf("owned interaction %s is %s with %v: %v", x.ID, x.State, x.Capabilities, p)
			}
		default:
			return fmt.Errorf("interaction %s is nowhere", x.ID)
		}
	}
	for _, sub := range snap.Subscriptions {
		if !users[sub.User] || !workbins[sub.Workbin] {
			return fmt.Errorf("subscription %+v names an unknown user or workbin", sub)
		}
	}
	return nil
}

// resourceOf decodes an interaction's resource.
func resourceOf(t testing.TB, x Interaction) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(x.Resource, &m); err != nil {
		t.Fatalf("interaction %s: %v", x.ID, err)
	}
	return m
}

// goldenBase is the scheme and host of the uris in the golden messages
// (fixtures/builtin/notifications).
const goldenBase = "http://localhost:8090"

// locatedOf is the resource as it goes out (Located) with the goldens' host.
func locatedOf(t testing.TB, x Interaction) map[string]any {
	t.Helper()
	res, err := x.Located(goldenBase)
	if err != nil {
		t.Fatal(err)
	}
	x.Resource = res
	return resourceOf(t, x)
}

func mustInteraction(t testing.TB, s *Store, id string) Interaction {
	t.Helper()
	x, ok := s.Interaction(id)
	if !ok {
		t.Fatalf("interaction %s not found", id)
	}
	return x
}

// must(t)(s.Pull(…)) fails the test on an error and returns the events.
func must(t testing.TB) func([]Event, error) []Event {
	return func(events []Event, err error) []Event {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return events
	}
}

func equalSnapshots(a, b Snapshot) bool { return reflect.DeepEqual(a, b) }
