package state

import (
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/workbinkit/workbinkit/spec"
)

func TestPlace(t *testing.T) {
	for _, wb := range []string{testWB, placeWB, agWB, pgWB} {
		for _, media := range spec.AllMedia() {
			t.Run(wb+"/"+string(media), func(t *testing.T) {
				s, err := New(builtin(t), Options{Now: func() time.Time { return epoch }, Contract: mustContract(t)})
				if err != nil {
					t.Fatal(err)
				}
				must(t)(s.Subscribe(Actor{marat}, []WorkbinRef{plain(wb)}))
				events := must(t)(s.Place(NewInteraction{Media: media, UserData: map[string]any{
					"Subject": "Hello", "IsHeld": 0, "Score": 1.5, "RRequestedSkills": nil, "Big": json.Number("12345678901234567890"),
				}}, wb))
				if len(events) != 1 {
					t.Fatalf("%d events", len(events))
				}
				e := events[0]
				if e.Kind != WorkbinItemAdded || e.Requester != "" || !slices.Equal(e.Recipients, []string{marat}) || e.Workbin.ID != wb {
					t.Errorf("event %+v", e)
				}
				x := mustInteraction(t, s, "WBK0000000000001")
				if string(x.Resource) != string(e.Interaction.Resource) {
					t.Errorf("stored %s, event %s", x.Resource, e.Interaction.Resource)
				}
				checkAdded(t, x, wb)
				info, _ := spec.MediaOf(media)
				res := resourceOf(t, x)
				if res[spec.FieldReceivedDate] != "2026-03-14 15:09:26.535+0300" || res[info.TypeField] != spec.InteractionInbound {
					t.Errorf("resource %s", x.Resource)
				}
				if !strings.Contains(string(x.Resource), `"Big":12345678901234567890`) || !strings.Contains(string(x.Resource), `"RRequestedSkills":null`) {
					t.Errorf("userData not kept as given: %s", x.Resource)
				}
				if err := mustContract(t).ValidateDocument(info.Schema, x.Resource); err != nil {
					t.Error(err)
				}
				checkInvariant(t, s)
				// It can be pulled like any other.
				must(t)(s.Pull(Actor{marat}, plain(wb), info.PullOperation, x.ID, ""))
				checkInvariant(t, s)
			})
		}
	}
}

func TestPlaceGivenIDTypeAndDate(t *testing.T) {
	s := newStore(t)
	when := time.Date(2016, 4, 8, 15, 5, 57, 0, time.FixedZone("", 3*3600))
	must(t)(s.Place(NewInteraction{ID: "MY-ID", Media: spec.MediaEmail, Type: spec.InteractionOutbound, ReceivedDate: when}, testWB))
	res := resourceOf(t, mustInteraction(t, s, "MY-ID"))
	if res["emailType"] != spec.InteractionOutbound || res[spec.FieldReceivedDate] != "2016-04-08 15:05:57.000+0300" {
		t.Errorf("resource %v", res)
	}
	if ud, ok := res[spec.FieldUserData].(map[string]any); !ok || len(ud) != 0 {
		t.Errorf("userData %v", res[spec.FieldUserData])
	}
}

func TestPlaceIDSource(t *testing.T) {
	// The source's ids already taken are skipped.
	ids := []string{wiTest, "", "FRESH"}
	s, err := New(builtin(t), Options{NewID: func() string {
		id := ids[0]
		ids = ids[1:]
		return id
	}})
	if err != nil {
		t.Fatal(err)
	}
	events := must(t)(s.Place(NewInteraction{Media: spec.MediaWorkitem}, testWB))
	if events[0].Interaction.ID != "FRESH" {
		t.Errorf("id %q", events[0].Interaction.ID)
	}
	// A source that never gives a free id is an internal error, not a hang.
	stuck, err := New(builtin(t), Options{NewID: func() string { return wiTest }})
	if err != nil {
		t.Fatal(err)
	}
	refused(t, stuck, 4, ErrInternal, func() ([]Event, error) {
		return stuck.Place(NewInteraction{Media: spec.MediaWorkitem}, testWB)
	})
}

func TestPlaceRefusals(t *testing.T) {
	cases := []struct {
		name string
		n    NewInteraction
		wb   string
		code spec.StatusCode
		kind error
	}{
		{"unknown workbin", NewInteraction{Media: spec.MediaWorkitem}, "nope", 6, ErrUnknownWorkbin},
		{"unknown media", NewInteraction{Media: "tweet"}, testWB, 10, ErrInvalidInput},
		{"no media", NewInteraction{}, testWB, 10, ErrInvalidInput},
		{"unknown type", NewInteraction{Media: spec.MediaChat, Type: "Sideways"}, testWB, 10, ErrInvalidInput},
		{"id too long (W5)", NewInteraction{ID: strings.Repeat("x", maxID+1), Media: spec.MediaChat}, testWB, 10, ErrInvalidInput},
		{"id taken by an interaction in a workbin", NewInteraction{ID: wiTest, Media: spec.MediaWorkitem}, testWB, 2, ErrDuplicateID},
		{"id taken by an owned interaction", NewInteraction{ID: chatOwned, Media: spec.MediaChat}, agWB, 2, ErrDuplicateID},
		{"boolean userData", NewInteraction{Media: spec.MediaEmail, UserData: map[string]any{"Flag": true}}, testWB, 10, ErrInvalidInput},
		{"object userData", NewInteraction{Media: spec.MediaEmail, UserData: map[string]any{"Obj": map[string]any{}}}, testWB, 10, ErrInvalidInput},
		{"list userData", NewInteraction{Media: spec.MediaEmail, UserData: map[string]any{"L": []any{"a"}}}, testWB, 10, ErrInvalidInput},
		{"NaN userData", NewInteraction{Media: spec.MediaEmail, UserData: map[string]any{"N": math.NaN()}}, testWB, 10, ErrInvalidInput},
		{"bad json.Number", NewInteraction{Media: spec.MediaEmail, UserData: map[string]any{"N": json.Number("12abc")}}, testWB, 10, ErrInvalidInput},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newStore(t)
			refused(t, s, c.code, c.kind, func() ([]Event, error) { return s.Place(c.n, c.wb) })
		})
	}
}

// TestPlaceContract: with Options.Contract, a resource its schema rejects is refused. The
// one schema rule Place's own checks leave open is the receivedDate pattern (D12): a year
// before 0 is written "-0005-…".
func TestPlaceContract(t *testing.T) {
	s, err := New(builtin(t), Options{Contract: mustContract(t)})
	if err != nil {
		t.Fatal(err)
	}
	refused(t, s, 10, ErrInvalidInput, func() ([]Event, error) {
		return s.Place(NewInteraction{Media: spec.MediaWorkitem, ReceivedDate: time.Date(-5, 1, 1, 0, 0, 0, 0, time.UTC)}, testWB)
	})
	// Without the contract the same interaction goes in: the check is the contract's.
	plainStore := newStore(t)
	must(t)(plainStore.Place(NewInteraction{Media: spec.MediaWorkitem, ReceivedDate: time.Date(-5, 1, 1, 0, 0, 0, 0, time.UTC)}, testWB))
}
