package spec

import (
	"errors"
	"strings"
	"testing"
)

const pulledWorkitem = `{"messageType":"WorkitemStateChangeMessage","notificationType":"StatusChange","referenceId":17,
 "workitem":{"id":"02F0ASAK8EAFA00W","state":"Processing","capabilities":["Transfer","AttachUserData","UpdateUserData","DeleteUserData","SetInFocus","Complete"],
 "userData":{"IsHeld":0,"RRequestedSkills":null,"PegAG?:2>1":1,"SubmittedAt":"2014-04-17T04:03:21Z"}}}`

func TestValidateNotification(t *testing.T) {
	c := loadT(t)
	tests := []struct {
		name, channel, data string
		rule, pointer       string
	}{
		{"pulled workitem", ChannelWorkitems, pulledWorkitem, "", ""},
		{"item removed", ChannelWorkbins, `{"messageType":"WorkbinStateChangeMessage","action":"ItemRemoved","id":"w","agentGroup":"g","chatStateResourceV2":{"id":"c","capabilities":[],"participants":[]}}`, "", ""},
		{"subscribed", ChannelWorkbins, `{"messageType":"WorkbinSubscriptionStateChangeMessage","id":"w","stateResource":"Subscribed","referenceId":14}`, "", ""},
		{"stats", ChannelWorkbins, `{"messageType":"WorkbinStatsMessage","referenceId":1,"workbinStats":{"w":{"Count":1,"Owner":"o","Type":"Agent"}}}`, "", ""},
		{"unknown channel", "/v2/me/calls", pulledWorkitem, RuleChannel, ""},
		{"wildcard is not a channel", "/v2/me/*", pulledWorkitem, RuleChannel, ""},
		{"wrong channel", ChannelChats, pulledWorkitem, RuleChannel, "/messageType"},
		{"workbin message on workitems", ChannelWorkitems, `{"messageType":"WorkbinStatsMessage","workbinStats":{}}`, RuleChannel, "/messageType"},
		{"missing messageType", ChannelWorkitems, `{"notificationType":"StatusChange","workitem":{"id":"x"}}`, RuleRequired, "/messageType"},
		{"messageType not a string", ChannelWorkitems, `{"messageType":7}`, RuleType, "/messageType"},
		{"unknown messageType", ChannelWorkitems, `{"messageType":"WorkitemChanged"}`, RuleEnum, "/messageType"},
		{"MessageLogUpdated without messages", ChannelChats, `{"messageType":"MessageLogUpdated","notificationType":"NewMessages","chatPath":"/chats/c1"}`, RuleRequired, "/messages"},
		{"MessageLogUpdated of the peer", ChannelChats, `{"messageType":"MessageLogUpdated","notificationType":"NewMessages","chatPath":"/chats/c1","messages":[{"index":1,"type":"ParticipantJoined","from":{"nickname":"a","type":"Agent","participantId":"p1","visibility":"ALL"},"text":"","visibility":"ALL","timestamp":"2026-12-04T18:00:00.000Z","timestampSeconds":1796407200}]}`, "", ""},
		{"MessageLogUpdated on another channel", ChannelWorkitems, `{"messageType":"MessageLogUpdated","notificationType":"NewMessages","messages":[]}`, RuleChannel, "/messageType"},
		{"payload not an object", ChannelWorkitems, `[1,2]`, RuleType, ""},
		{"not JSON", ChannelWorkitems, `{"messageType":`, RuleSyntax, ""},
		{"trailing data", ChannelWorkitems, pulledWorkitem + ` {}`, RuleSyntax, ""},
		// Values beyond the known ones are errors here because the known-level rules run
		// under Strict (see below); evidence_test.go covers the default level.
		{"capability of another media", ChannelWorkitems, strings.Replace(pulledWorkitem, `"SetInFocus"`, `"SendMessage"`, 1), RuleKnown, "/workitem/capabilities/4"},
		{"a member beyond the documented ones", ChannelWorkitems, strings.Replace(pulledWorkitem, `{`, `{"phoneNumber":"7001",`, 1), RuleExtraMember, "/phoneNumber"},
		{"a capability that is no string", ChannelWorkitems, strings.Replace(pulledWorkitem, `"SetInFocus"`, `4`, 1), RuleType, "/workitem/capabilities/4"},
		{"a boolean userData value", ChannelWorkitems, strings.Replace(pulledWorkitem, `"IsHeld":0`, `"IsHeld":true`, 1), RuleAnyOf, "/workitem/userData/IsHeld"},
		{"missing state", ChannelWorkitems, strings.Replace(pulledWorkitem, `"state":"Processing",`, ``, 1), RuleRequired, "/workitem/state"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var opts []Option
			if tc.rule == RuleKnown || tc.rule == RuleExtraMember {
				opts = append(opts, Strict())
				if err := c.ValidateNotification(tc.channel, []byte(tc.data)); err != nil {
					t.Fatalf("a value beyond the known ones is an error in default mode: %v", err)
				}
			}
			err := c.ValidateNotification(tc.channel, []byte(tc.data), opts...)
			if tc.rule == "" {
				if err != nil {
					t.Fatalf("valid notification rejected: %v", err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) || !ve.Has(tc.rule, tc.pointer) {
				t.Fatalf("want %s at %q, got %v", tc.rule, tc.pointer, err)
			}
		})
	}
}

func TestValidateMessage(t *testing.T) {
	c := loadT(t)
	wrap := func(channel, data string) string { return `{"channel":"` + channel + `","data":` + data + `}` }
	tests := []struct {
		name, msg     string
		rule, pointer string
	}{
		{"pulled workitem", wrap(ChannelWorkitems, pulledWorkitem), "", ""},
		{"with Bayeux fields", `{"channel":"/v2/me/workitems","id":"7","clientId":"abc","ext":{},"data":` + pulledWorkitem + `}`, "", ""},
		{"payload fault under /data", wrap(ChannelWorkitems, strings.Replace(pulledWorkitem, `"Processing"`, `7`, 1)), RuleType, "/data/workitem/state"},
		{"messageType on the wrong channel", wrap(ChannelEmails, pulledWorkitem), RuleChannel, "/data/messageType"},
		{"unknown channel", wrap("/v2/me/calls", pulledWorkitem), RuleEnum, "/channel"},
		{"no data", `{"channel":"/v2/me/workitems"}`, RuleRequired, "/data"},
		{"unwrapped payload (doc-page style)", pulledWorkitem, RuleRequired, "/channel"},
		{"meta field", `{"channel":"/v2/me/workitems","successful":true,"data":` + pulledWorkitem + `}`, RuleAdditionalProperties, "/successful"},
		{"an array of messages", `[` + wrap(ChannelWorkitems, pulledWorkitem) + `]`, RuleType, ""},
		{"not JSON", `{"channel"`, RuleSyntax, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := c.ValidateMessage([]byte(tc.msg))
			if tc.rule == "" {
				if err != nil {
					t.Fatalf("valid message rejected: %v", err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) || !ve.Has(tc.rule, tc.pointer) {
				t.Fatalf("want %s at %q, got %v", tc.rule, tc.pointer, err)
			}
		})
	}
}

func TestValidateDocument(t *testing.T) {
	c := loadT(t)
	if err := c.ValidateDocument("workitem.json", []byte(`{"id":"x","state":"InWorkbin","capabilities":[]}`)); err != nil {
		t.Fatal(err)
	}
	if err := c.ValidateDocument("nosuch.json", []byte(`{}`)); !errors.Is(err, ErrUnknownSchema) || IssuesOf(err) != nil {
		t.Errorf("unknown schema: %v", err)
	}
	if err := c.ValidateValue("ok-reference.json", map[string]any{"statusCode": 0.0, "referenceId": 3.0}); err != nil {
		t.Errorf("float64 numbers (encoding/json without UseNumber): %v", err)
	}
	if err := c.ValidateValue("ok-reference.json", map[string]any{"statusCode": 0.0, "referenceId": 3.5}); !c.schemas.Has("ok-reference.json") || err == nil {
		t.Error("a fractional referenceId passed")
	}
	extra, err := c.ExtraFields("add.json", []byte(`{"operationName":"AddChat","id":"x","uri":"u","saveLAR":false,"zeta":1,"alpha":2}`))
	if err != nil || strings.Join(extra, ",") != "alpha,zeta" {
		t.Errorf("ExtraFields = %v, %v", extra, err)
	}
	if extra, err := c.ExtraFields("pull.json", []byte(`{"operationName":"PullChat","id":"x","nickname":"n"}`)); err != nil || extra != nil {
		t.Errorf("ExtraFields of a clean body = %v, %v", extra, err)
	}
}

func TestPointer(t *testing.T) {
	for _, tokens := range [][]string{nil, {""}, {"a"}, {"a/b", "~x", "0"}, {"~1", "/~0/"}} {
		p := Pointer(tokens...)
		back, err := SplitPointer(p)
		if err != nil || strings.Join(back, "\x00") != strings.Join(tokens, "\x00") {
			t.Errorf("Pointer(%q) = %q, back %q, %v", tokens, p, back, err)
		}
	}
	if got := Pointer("a/b", "c~d"); got != "/a~1b/c~0d" {
		t.Errorf("Pointer = %q", got)
	}
	for _, bad := range []string{"a", "/~", "/~2"} {
		if _, err := SplitPointer(bad); err == nil {
			t.Errorf("SplitPointer(%q) accepted", bad)
		}
	}
}

func TestValidateValueTakesAnyGoValue(t *testing.T) {
	c := loadT(t)
	caps, _ := Capabilities(MediaWorkitem, StateProcessing)
	ok := map[string]any{"id": "W1", "state": StateProcessing, "capabilities": caps, "userData": map[string]int{"n": 1}}
	if err := c.ValidateValue("workitem.json", ok); err != nil {
		t.Errorf("Go-typed workitem: %v", err)
	}
	bad := map[string]any{"id": "W1", "state": StateProcessing, "capabilities": []int{1}}
	if err := c.ValidateValue("workitem.json", bad); err == nil {
		t.Error("a capability that is no string accepted")
	}
	unknown := map[string]any{"id": "W1", "state": StateProcessing, "capabilities": []string{"Fly"}}
	if err := c.ValidateValue("workitem.json", unknown, Strict()); err == nil {
		t.Error("an unknown capability in a []string accepted under Strict")
	}
	if err := c.ValidateValue("workitem.json", map[string]any{"f": func() {}}); err == nil {
		t.Error("a func value accepted")
	}
}
