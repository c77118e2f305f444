package spec

import "testing"

func TestWorkbinMemberOwns(t *testing.T) {
	m := WorkbinMember{Name: "ann", Place: "p1", AgentGroups: []string{"ag"}, PlaceGroups: []string{"pg"}}
	tests := []struct {
		typ, owner string
		want       bool
	}{
		{WorkbinAgent, "ann", true}, {WorkbinAgent, "bob", false},
		{WorkbinPlace, "p1", true}, {WorkbinPlace, "ann", false},
		{WorkbinAgentGroup, "ag", true}, {WorkbinAgentGroup, "pg", false},
		{WorkbinPlaceGroup, "pg", true}, {WorkbinPlaceGroup, "ag", false},
		{"Queue", "ann", false},
	}
	for _, tc := range tests {
		if got := m.Owns(tc.typ, tc.owner); got != tc.want {
			t.Errorf("Owns(%s, %s) = %v, want %v", tc.typ, tc.owner, got, tc.want)
		}
	}
	// A user without a place owns no Place workbin, not even one with an empty owner.
	if (WorkbinMember{Name: "ann"}).Owns(WorkbinPlace, "") {
		t.Error("a member without a place owns the Place workbin of \"\"")
	}
}

func TestCheckPlacement(t *testing.T) {
	processing, _ := Capabilities(MediaWorkitem, StateProcessing)
	reversed := make([]string, len(processing))
	for i, c := range processing {
		reversed[len(processing)-1-i] = c
	}
	tests := []struct {
		name      string
		inWorkbin bool
		state     string
		hasState  bool
		caps      []string
		hasCaps   bool
		member    string // "-": no fault
	}{
		{"in a workbin", true, StateInWorkbin, true, []string{}, true, "-"},
		{"in a workbin, no state given", true, "", false, nil, false, "-"},
		{"in a workbin, pulled state", true, StateProcessing, true, nil, false, FieldState},
		{"in a workbin with capabilities", true, StateInWorkbin, true, []string{CapComplete}, true, FieldCapabilities},
		{"owned", false, StateProcessing, true, processing, true, "-"},
		{"owned, capabilities in another order", false, StateProcessing, true, reversed, true, "-"},
		{"owned, capabilities not given", false, StateProcessing, true, nil, false, "-"},
		{"owned without state", false, "", false, nil, false, ""},
		{"owned but InWorkbin", false, StateInWorkbin, true, nil, false, FieldState},
		{"owned in another media's state", false, StateChatting, true, nil, false, FieldState},
		{"owned with the wrong capabilities", false, StateProcessing, true, []string{CapAccept}, true, FieldCapabilities},
	}
	for _, tc := range tests {
		p := CheckPlacement(MediaWorkitem, tc.inWorkbin, tc.state, tc.hasState, tc.caps, tc.hasCaps)
		switch {
		case tc.member == "-" && p != nil:
			t.Errorf("%s: unexpected fault %v", tc.name, p)
		case tc.member != "-" && p == nil:
			t.Errorf("%s: no fault", tc.name)
		case p != nil && (p.Member != tc.member || p.Reason == ""):
			t.Errorf("%s: fault at %q (%v), want at %q", tc.name, p.Member, p, tc.member)
		}
	}
	// A chat's Accepted state has undocumented capabilities: any list passes.
	if p := CheckPlacement(MediaChat, false, StateAccepted, true, []string{CapAccept}, true); p != nil {
		t.Errorf("chat Accepted: %v", p)
	}
}
