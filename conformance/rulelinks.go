// Rule links: every rule id a report prints points to its section of docs/rules.md.

package conformance

import (
	"fmt"
	"net/url"
	"path/filepath"
	"slices"

	"github.com/workbinkit/workbinkit/docs"
)

// ruleURL is the address of rule r's section in the rules document at base: each section
// of docs/rules.md carries the rule id as an explicit anchor.
func ruleURL(base string, r Rule) string {
	return base + "#" + url.PathEscape(string(r))
}

// linkRules sets where the report's rules live and each violation's ruleUrl. base is
// Reports.RulesURL; empty means the copy of rules.md that Write puts beside the report.
func (r *Report) linkRules(base string) {
	if base == "" {
		base = docs.RulesFile
	}
	r.Rules = base
	for _, list := range [][]SpecResult{r.SetupFailures, r.Specs} {
		for i := range list {
			for _, vs := range [][]Violation{list[i].Violations, list[i].Warnings} {
				for j := range vs {
					vs[j].RuleURL = ruleURL(base, vs[j].Rule)
				}
			}
		}
	}
	for i := range r.UnattributedMessages {
		f := &r.UnattributedMessages[i]
		f.RuleURL = ruleURL(base, f.Rule)
	}
}

// writeRulesBeside writes the embedded rules document next to each report written, when
// the links are relative to it (no Reports.RulesURL): the report directory is then
// self-contained, readable offline and wherever it is copied.
func (r *Report) writeRulesBeside(paths Reports) error {
	if r.Rules != docs.RulesFile {
		return nil
	}
	var dirs []string
	for _, p := range []string{paths.JSON, paths.Markdown} {
		if p != "" && !slices.Contains(dirs, filepath.Dir(p)) {
			dirs = append(dirs, filepath.Dir(p))
		}
	}
	for _, d := range dirs {
		if err := writeFile(filepath.Join(d, docs.RulesFile), []byte(docs.Rules())); err != nil {
			return fmt.Errorf("conformance: the rules beside the report: %w", err)
		}
	}
	return nil
}

// ruleLink renders a violation's rule id in Markdown, as a link when it has one.
func ruleLink(v Violation) string {
	if v.RuleURL == "" {
		return mdCode(string(v.Rule))
	}
	return fmt.Sprintf("[%s](%s)", mdCell(string(v.Rule)), v.RuleURL)
}
