package conformance

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/workbinkit/workbinkit/docs"
)

// mdLink is a Markdown link: its text and its address.
var mdLink = regexp.MustCompile(`\[([^\]]+)\]\(([^)\s]+)\)`)

// TestReportRuleLinksResolve renders a report that breaks every Rule constant of rules.go
// (one failing spec each, and a setup failure), writes it as a vendor would get it, and
// follows every rule link of the Markdown and every ruleUrl of the JSON: each must reach
// the rules.md written beside the reports and an anchor of it that is the rule id.
func TestReportRuleLinksResolve(t *testing.T) {
	inSourceTree(t)
	rules := ruleConstants(t)
	o := testOptions(t)
	var specs types.SpecReports
	for i, r := range rules {
		v := Violation{Rule: Rule(r), Where: "somewhere", Message: "broken"}
		specs = append(specs, specReport("pull-workitem.rule-"+string(rune('a'+i%26))+strings.Repeat("x", i/26), []Feature{FeaturePullWorkitem}, types.SpecStateFailed, "["+r+"] broken", v))
	}
	setup := specReport("", nil, types.SpecStateFailed, "[setup] cannot log in", Violation{Rule: RuleSetup, Message: "cannot log in"})
	setup.LeafNodeType = types.NodeTypeSynchronizedBeforeSuite
	specs = append(specs, setup)
	rep := reportOf(o, specs)

	dir := t.TempDir()
	paths := Reports{JSON: filepath.Join(dir, "json", "r.json"), Markdown: filepath.Join(dir, "r.md")}
	if err := rep.Write(paths); err != nil {
		t.Fatal(err)
	}
	// anchorsAt reads the rules document a relative link from a report in from points to.
	anchorsAt := func(from, link string) (map[string]ruleSection, string) {
		t.Helper()
		file, frag, ok := strings.Cut(link, "#")
		if !ok || file == "" || strings.Contains(file, "://") {
			t.Fatalf("link %q is not a relative link into a file with an anchor", link)
		}
		b, err := os.ReadFile(filepath.Join(filepath.Dir(from), file))
		if err != nil {
			t.Fatalf("link %q from %s: %v", link, from, err)
		}
		sections, _ := parseRulesDoc(b)
		return sections, frag
	}

	md, err := os.ReadFile(paths.Markdown)
	if err != nil {
		t.Fatal(err)
	}
	linked := map[string]bool{}
	for _, m := range mdLink.FindAllStringSubmatch(string(md), -1) {
		if !strings.Contains(m[2], "#") {
			continue // the Rules row links the document itself
		}
		sections, frag := anchorsAt(paths.Markdown, m[2])
		if _, ok := sections[frag]; !ok || frag != m[1] {
			t.Errorf("Markdown link [%s](%s): no section with that anchor, or the anchor is not the rule id", m[1], m[2])
		}
		linked[m[1]] = true
	}
	for _, r := range rules {
		if !linked[r] {
			t.Errorf("the Markdown report prints rule %q without a link", r)
		}
	}

	b, err := os.ReadFile(paths.JSON)
	if err != nil {
		t.Fatal(err)
	}
	var got Report
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.Rules != docs.RulesFile {
		t.Errorf("rules = %q, want %q", got.Rules, docs.RulesFile)
	}
	n := 0
	for _, list := range [][]SpecResult{got.SetupFailures, got.Specs} {
		for _, s := range list {
			for _, v := range s.Violations {
				n++
				sections, frag := anchorsAt(paths.JSON, v.RuleURL)
				if _, ok := sections[frag]; !ok || frag != string(v.Rule) {
					t.Errorf("%s: ruleUrl %q does not resolve to the section of %s", s.ID, v.RuleURL, v.Rule)
				}
			}
		}
	}
	if n != len(rules)+1 {
		t.Errorf("the JSON report has %d violations, want %d", n, len(rules)+1)
	}
}

// TestReportRulesURL: with --rules-url the links point there and no copy is written.
func TestReportRulesURL(t *testing.T) {
	o := testOptions(t)
	o.Reports.RulesURL = "https://example.test/workbinkit/docs/rules.md"
	v := Violation{Rule: RuleReferenceEcho, Message: "broken"}
	rep := reportOf(o, types.SpecReports{specReport("pull-workitem.a", []Feature{FeaturePullWorkitem}, types.SpecStateFailed, "x", v)})
	dir := t.TempDir()
	if err := rep.Write(Reports{Markdown: filepath.Join(dir, "r.md")}); err != nil {
		t.Fatal(err)
	}
	want := "[D4.referenceId-echo](https://example.test/workbinkit/docs/rules.md#D4.referenceId-echo)"
	if md := rep.Markdown(); !strings.Contains(md, want) {
		t.Errorf("markdown lacks %s:\n%s", want, md)
	}
	if _, err := os.Stat(filepath.Join(dir, docs.RulesFile)); !os.IsNotExist(err) {
		t.Errorf("rules.md was written beside the report although --rules-url is set (%v)", err)
	}
}

// TestWarningAndStreamRulesLinked: the rule ids of the Warnings section and of "Messages no
// spec caused" link to their sections too, in the Markdown and (ruleUrl) in the JSON.
func TestWarningAndStreamRulesLinked(t *testing.T) {
	r := &Report{
		Features: []FeatureResult{{Name: FeatureWorkbinSubscriptions, Warnings: 1}},
		Specs: []SpecResult{{ID: "workbin-subscriptions.subscribe-unsubscribe", Features: []Feature{FeatureWorkbinSubscriptions},
			Warnings: []Violation{{Rule: RuleReferenceEcho, Where: "CometD /v2/me/workbins", Message: "no referenceId"}}}},
		UnattributedMessages: []StreamFinding{{Level: "error", Rule: RuleContract, Where: "CometD /v2/me/workitems", Problem: "broken"}},
	}
	r.linkRules("")
	if got, want := r.Specs[0].Warnings[0].RuleURL, docs.RulesFile+"#"+string(RuleReferenceEcho); got != want {
		t.Errorf("warning ruleUrl = %q, want %q", got, want)
	}
	if got, want := r.UnattributedMessages[0].RuleURL, docs.RulesFile+"#"+string(RuleContract); got != want {
		t.Errorf("stream finding ruleUrl = %q, want %q", got, want)
	}
	md := r.Markdown()
	for _, rule := range []Rule{RuleReferenceEcho, RuleContract} {
		if link := "[" + string(rule) + "](" + docs.RulesFile + "#" + string(rule) + ")"; !strings.Contains(md, link) {
			t.Errorf("the Markdown report lacks the link %s:\n%s", link, md)
		}
	}
}
