package spec_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/workbinkit/workbinkit/spec"
)

// Payloads captured on real GWS servers or copied from the Genesys docs (testdata/evidence,
// each naming its source in reference/real-gws) must pass in default mode and in strict mode:
// the contract is as strict as the evidence, no stricter. Variants of each check the two
// levels: a wrong type or a missing required member fails in every mode; a value or member
// beyond the known ones is a warning naming it and its pointer, an error under Strict.

type evidenceFile struct {
	Source   string          `json:"source"`
	Channel  string          `json:"channel"` // a notification payload, or
	Schema   string          `json:"schema"`  // a document of this schema file
	Resource string          `json:"resource"`
	Document json.RawMessage `json:"document"`
}

func loadEvidence(t *testing.T) map[string]evidenceFile {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "evidence", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no evidence files: %v", err)
	}
	out := map[string]evidenceFile{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var e evidenceFile
		if err := json.Unmarshal(data, &e); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if e.Source == "" || (e.Channel == "") == (e.Schema == "") || len(e.Document) == 0 {
			t.Fatalf("%s: needs source, document and one of channel, schema", f)
		}
		out[filepath.Base(f)] = e
	}
	return out
}

func (e evidenceFile) validate(c *spec.Contract, doc []byte, opts ...spec.Option) error {
	if e.Channel != "" {
		return c.ValidateNotification(e.Channel, doc, opts...)
	}
	return c.ValidateDocument(e.Schema, doc, opts...)
}

// mutate returns doc with the value at pointer replaced by value (added when the parent is an
// object without it), or removed when remove is set.
func mutate(t *testing.T, doc []byte, pointer string, value any, remove bool) []byte {
	t.Helper()
	var root any
	if err := json.Unmarshal(doc, &root); err != nil {
		t.Fatal(err)
	}
	tokens, err := spec.SplitPointer(pointer)
	if err != nil || len(tokens) == 0 {
		t.Fatalf("pointer %q: %v", pointer, err)
	}
	cur := root
	for _, tok := range tokens[:len(tokens)-1] {
		switch x := cur.(type) {
		case map[string]any:
			cur = x[tok]
		case []any:
			i, _ := strconv.Atoi(tok)
			cur = x[i]
		}
	}
	last := tokens[len(tokens)-1]
	switch x := cur.(type) {
	case map[string]any:
		if remove {
			delete(x, last)
		} else {
			x[last] = value
		}
	case []any:
		i, err := strconv.Atoi(last)
		if err != nil || i >= len(x) || remove {
			t.Fatalf("pointer %q: cannot change this array element", pointer)
		}
		x[i] = value
	default:
		t.Fatalf("pointer %q: no container", pointer)
	}
	out, err := json.Marshal(root)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestEvidencePasses(t *testing.T) {
	c := loadContract(t)
	for name, e := range loadEvidence(t) {
		t.Run(name, func(t *testing.T) {
			var warnings []spec.Issue
			if err := e.validate(c, e.Document, spec.CollectWarnings(&warnings)); err != nil {
				t.Fatalf("default mode rejects the evidence (source %s): %v", e.Source, err)
			}
			if len(warnings) > 0 {
				t.Errorf("the evidence gives warnings; the contract should know what it shows: %v", warnings)
			}
			if err := e.validate(c, e.Document, spec.Strict()); err != nil {
				t.Errorf("strict mode rejects the evidence: %v", err)
			}
		})
	}
}

func TestEvidenceLevels(t *testing.T) {
	c := loadContract(t)
	evidence := loadEvidence(t)
	type variant struct {
		name    string
		pointer string // relative to the resource for resource changes
		value   any
		remove  bool
		// rule is the shape fault (fails in every mode), or RuleKnown / RuleExtraMember (a
		// warning whose Value is warnValue), or "" (still no warning: the value is known).
		rule      string
		warnValue any
		onData    bool   // pointer is relative to the payload, not the resource
		only      string // for this evidence file only
	}
	variants := []variant{
		{name: "id of a wrong type", pointer: "/id", value: 42, rule: spec.RuleType},
		{name: "capability of a wrong type", pointer: "/capabilities/0", value: true, rule: spec.RuleType},
		{name: "id missing", pointer: "/id", remove: true, rule: spec.RuleRequired},
		{name: "unknown capability", pointer: "/capabilities/0", value: "Teleport", rule: spec.RuleKnown, warnValue: "Teleport"},
		{name: "unknown state", pointer: "/state", value: "Levitating", rule: spec.RuleKnown, warnValue: "Levitating"},
		{name: "member beyond the documented ones", pointer: "/hologram", value: map[string]any{}, rule: spec.RuleExtraMember, warnValue: "hologram"},
		{name: "uri and path are documented", pointer: "/path", value: "/interactions/x", rule: ""},
		{name: "data member of a neighbouring channel (wire fact 12)", pointer: "/phoneNumber", value: "7001", rule: spec.RuleExtraMember, warnValue: "phoneNumber", onData: true},
		{name: "metrics on data (wire fact 12)", pointer: "/metrics", value: map[string]any{}, rule: spec.RuleExtraMember, warnValue: "metrics", onData: true},
		{name: "unknown notificationType", pointer: "/notificationType", value: "StatusChanged", rule: spec.RuleKnown, warnValue: "StatusChanged", onData: true},
		{name: "notificationType of a wrong type", pointer: "/notificationType", value: 1, rule: spec.RuleType, onData: true},
	}
	// States seen on real servers and clients are known (wire facts 18, 19).
	seen := map[string][]string{
		"workitem-processing.json": {spec.StateRevoked, spec.StateCompleted, spec.StateInvited},
		"chat-invited.json":        {spec.StateRevoked, spec.StateJoinFailed, spec.StateAccepted, spec.StateCompleted},
		"chat-joinfailed.json":     {spec.StateRevoked, spec.StateInvited},
	}
	for name, states := range seen {
		for _, st := range states {
			variants = append(variants, variant{name: "state " + st + " is known", pointer: "/state", value: st, only: name})
		}
	}
	ran := 0
	for name, e := range evidence {
		for _, v := range variants {
			if v.onData && e.Channel == "" {
				continue
			}
			if v.only != "" && v.only != name {
				continue
			}
			ptr := v.pointer
			if !v.onData {
				ptr = e.Resource + v.pointer
			}
			t.Run(name+"/"+v.name, func(t *testing.T) {
				ran++
				doc := mutate(t, e.Document, ptr, v.value, v.remove)
				var warnings []spec.Issue
				err := e.validate(c, doc, spec.CollectWarnings(&warnings))
				strictErr := e.validate(c, doc, spec.Strict())
				switch v.rule {
				case "":
					if err != nil || strictErr != nil || len(warnings) > 0 {
						t.Fatalf("a known value is not clean: %v / %v / %v", err, strictErr, warnings)
					}
				case spec.RuleKnown, spec.RuleExtraMember:
					if err != nil {
						t.Fatalf("default mode fails on a value beyond the known ones: %v", err)
					}
					if len(warnings) != 1 || warnings[0].Rule != v.rule || warnings[0].Pointer != ptr || warnings[0].Value != v.warnValue {
						t.Fatalf("want one %s warning at %s naming %v, got %+v", v.rule, ptr, v.warnValue, warnings)
					}
					var ve *spec.ValidationError
					if !errors.As(strictErr, &ve) || !ve.Has(v.rule, ptr) {
						t.Fatalf("Strict: want %s at %s, got %v", v.rule, ptr, strictErr)
					}
				default:
					for mode, got := range map[string]error{"default": err, "strict": strictErr} {
						var ve *spec.ValidationError
						if !errors.As(got, &ve) || !ve.Has(v.rule, ptr) {
							t.Errorf("%s mode: want %s at %s, got %v", mode, v.rule, ptr, got)
						}
					}
				}
			})
		}
	}
	if ran < 40 {
		t.Errorf("only %d variants ran", ran)
	}
}

// A value beyond the known ones next to a shape fault: the error carries both, the warning
// apart from the issues in default mode and among them under Strict.
func TestWarningsTravelWithIssues(t *testing.T) {
	c := loadContract(t)
	e := loadEvidence(t)["workitem-processing.json"]
	doc := mutate(t, e.Document, "/workitem/capabilities/0", "Teleport", false)
	doc = mutate(t, doc, "/workitem/id", 42, false)
	var ve *spec.ValidationError
	if err := e.validate(c, doc); !errors.As(err, &ve) {
		t.Fatalf("want a *ValidationError, got %v", err)
	}
	if !ve.Has(spec.RuleType, "/workitem/id") || ve.Has(spec.RuleKnown, "/workitem/capabilities/0") {
		t.Errorf("issues %v: want the type fault only", ve.Issues)
	}
	if len(ve.Warnings) != 1 || ve.Warnings[0].Pointer != "/workitem/capabilities/0" {
		t.Errorf("warnings %v: want the unknown capability", ve.Warnings)
	}
	if err := e.validate(c, doc, spec.Strict()); !errors.As(err, &ve) || !ve.Has(spec.RuleKnown, "/workitem/capabilities/0") || len(ve.Warnings) != 0 {
		t.Errorf("Strict: %v", err)
	}
	// ValidateMessage puts the payload's warnings under /data.
	msg := []byte(`{"channel":"` + e.Channel + `","data":` + string(mutate(t, e.Document, "/workitem/capabilities/0", "Teleport", false)) + `}`)
	var warnings []spec.Issue
	if err := c.ValidateMessage(msg, spec.CollectWarnings(&warnings)); err != nil || len(warnings) != 1 || warnings[0].Pointer != "/data/workitem/capabilities/0" {
		t.Errorf("ValidateMessage: %v, warnings %v", err, warnings)
	}
	if err := c.ValidateMessage(msg, spec.Strict()); !errors.As(err, &ve) || !ve.Has(spec.RuleKnown, "/data/workitem/capabilities/0") {
		t.Errorf("ValidateMessage under Strict: %v", err)
	}
}

func loadContract(t *testing.T) *spec.Contract {
	t.Helper()
	c, err := spec.Load()
	if err != nil {
		t.Fatal(err)
	}
	return c
}
