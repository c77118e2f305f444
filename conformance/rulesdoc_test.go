package conformance

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// rulesDoc is the rules document every report's rule id must resolve in.
const rulesDoc = "../docs/rules.md"

// sectionAnchor is a section heading of docs/rules.md: its explicit anchor is the rule id.
var sectionAnchor = regexp.MustCompile(`^#{2,6} <a id="([^"]+)"></a>`)

// atxHeading is a Markdown heading line ("#4 handles…" is not one: the space is required).
var atxHeading = regexp.MustCompile(`^#{1,6}( |$)`)

// ruleSection is one anchored section of the rules document.
type ruleSection struct {
	line int
	body string // the text up to the next heading
}

// parseRulesDoc returns the sections of doc by anchor, and a problem for each duplicate
// anchor.
func parseRulesDoc(doc []byte) (map[string]ruleSection, []string) {
	sections := map[string]ruleSection{}
	var problems []string
	var cur string
	var body strings.Builder
	flush := func() {
		if cur != "" {
			s := sections[cur]
			s.body = body.String()
			sections[cur] = s
		}
		body.Reset()
	}
	for n, line := range strings.Split(string(doc), "\n") {
		if atxHeading.MatchString(line) {
			flush()
			cur = ""
			if m := sectionAnchor.FindStringSubmatch(line); m != nil {
				if prev, dup := sections[m[1]]; dup {
					problems = append(problems, fmt.Sprintf("line %d: anchor %q already used on line %d", n+1, m[1], prev.line))
					continue
				}
				cur = m[1]
				sections[cur] = ruleSection{line: n + 1}
			}
			continue
		}
		body.WriteString(line)
		body.WriteByte('\n')
	}
	flush()
	return sections, problems
}

// ruleConstants lists the values of the Rule constants declared in rules.go, read from
// the source so that a new constant cannot be forgotten here.
func ruleConstants(t *testing.T) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "rules.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "Rule" {
				continue
			}
			for _, v := range vs.Values {
				lit, ok := v.(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					t.Fatalf("a Rule constant is not a string literal: %T", v)
				}
				s, err := strconv.Unquote(lit.Value)
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, s)
			}
		}
	}
	return out
}

// idsIn lists the submatches of re in file (decision ids the code declares).
func idsIn(t *testing.T, file string, re *regexp.Regexp) []string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range re.FindAllSubmatch(b, -1) {
		out = append(out, string(m[1]))
	}
	if len(out) == 0 {
		t.Fatalf("no id matching %s in %s", re, file)
	}
	return out
}

// TestRulesDocCoversEveryRule: every rule id a report can print, and every decision id the
// contract and the mock cite, has a section of docs/rules.md under its own anchor, and each
// section says what it requires, how sure we are and where it comes from.
func TestRulesDocCoversEveryRule(t *testing.T) {
	inSourceTree(t)
	doc, err := os.ReadFile(rulesDoc)
	if err != nil {
		t.Fatal(err)
	}
	sections, problems := parseRulesDoc(doc)
	for _, p := range problems {
		t.Errorf("%s: %s", rulesDoc, p)
	}

	rules := ruleConstants(t)
	if len(rules) < 20 {
		t.Fatalf("found %d Rule constants in rules.go; the parser missed some", len(rules))
	}
	want := map[string]string{}
	for _, r := range rules {
		want[r] = "conformance/rules.go"
	}
	for i := 1; i <= 12; i++ {
		want["D"+strconv.Itoa(i)] = "decisions D1–D12"
	}
	for _, id := range idsIn(t, "../spec/openapi.yaml", regexp.MustCompile(`(?m)^  - id: (W\d+)$`)) {
		want[id] = "spec/openapi.yaml x-workbinkit-decisions"
	}
	for _, id := range idsIn(t, "../spec/asyncapi.yaml", regexp.MustCompile(`(?m)^  - id: (N\d+)$`)) {
		want[id] = "spec/asyncapi.yaml x-workbinkit-decisions"
	}
	for _, id := range idsIn(t, "../mockserver/state/doc.go", regexp.MustCompile(`(?m)^//\t(S\d+) `)) {
		want[id] = "mockserver/state/doc.go"
	}

	for id, from := range want {
		s, ok := sections[id]
		if !ok {
			t.Errorf("%s: no section with anchor %q for the id of %s", rulesDoc, id, from)
			continue
		}
		for _, part := range []string{"**Requires.**", "**Certainty.**", "**Source.**"} {
			if !strings.Contains(s.body, part) {
				t.Errorf("%s:%d: section %q lacks %s", rulesDoc, s.line, id, part)
			}
		}
	}
	// Every Rule value must also be usable as a link target as reports print it.
	for _, r := range rules {
		if !strings.Contains(string(doc), `<a id="`+r+`"></a>`) {
			t.Errorf("rule %q has no explicit anchor", r)
		}
	}
	// Internal links resolve.
	for _, m := range regexp.MustCompile(`\]\(#([^)]+)\)`).FindAllSubmatch(doc, -1) {
		if _, ok := sections[string(m[1])]; !ok {
			t.Errorf("%s links to #%s, which no section has", rulesDoc, m[1])
		}
	}
}

// TestRulesDocParser: the parser takes anchored headings only, ends a section at the next
// heading, and reports a duplicate anchor.
func TestRulesDocParser(t *testing.T) {
	doc := []byte("# Title\nintro <a id=\"x\"></a>\n## <a id=\"D1\"></a>D1 — a\n**Requires.** r\n#4 is prose\n### plain\nafter\n## <a id=\"S.subscription\"></a>S\nbody\n")
	got, problems := parseRulesDoc(doc)
	if len(got) != 2 || len(problems) != 0 {
		t.Fatalf("sections %v, problems %v; want D1 and S.subscription", got, problems)
	}
	if s := got["D1"]; s.line != 3 || !strings.Contains(s.body, "**Requires.** r") || !strings.Contains(s.body, "#4 is prose") || strings.Contains(s.body, "after") {
		t.Errorf("D1 = %+v", s)
	}
	if _, problems := parseRulesDoc([]byte("## <a id=\"a\"></a>a\n## <a id=\"a\"></a>again\n")); len(problems) != 1 {
		t.Errorf("a duplicate anchor gave problems %v, want one", problems)
	}
}
