package spec

import (
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// The contract is as strict as the evidence. What captures or the docs confirm is shape (JSON
// Schema keywords both validators read) and fails in every mode. Values the contract only
// knows of — capability names, states, notificationTypes, the members of an open object —
// are annotations the two validators ignore:
//
//	"x-known": ["Accept", "Reject", …]  next to "type": "string": the values known
//	"x-extra-members": "warn"             on an object schema: members beyond "properties"
//	"x-known-source": "…"                 beside either: where the known values come from
//
// A value outside them is a warning (Rule RuleKnown or RuleExtraMember), an error under
// Strict. The annotations are compiled once per schema file into a knownNode tree; the
// warning pass walks that tree next to the value and compiles nothing.
const (
	// KeywordKnown lists the known values of a string schema.
	KeywordKnown = "x-known"
	// KeywordKnownSource says where the known values or members come from.
	KeywordKnownSource = "x-known-source"
	// KeywordExtraMembers ("warn") opens an object schema: members it does not declare are
	// warnings, not errors.
	KeywordExtraMembers = "x-extra-members"

	// RuleKnown: a value outside the x-known values (a warning; an error under Strict).
	RuleKnown = KeywordKnown
	// RuleExtraMember: a member beyond the documented ones of an x-extra-members object (a
	// warning; an error under Strict).
	RuleExtraMember = KeywordExtraMembers
)

// Option changes how a validator counts warnings.
type Option func(*options)

type options struct {
	strict   bool
	warnings *[]Issue
}

// Strict makes every warning an error: the value must stay within what the contract knows.
// The mock holds itself to this level.
func Strict() Option { return setStrict }

func setStrict(o *options) { o.strict = true }

// CollectWarnings appends every warning of the validation to *dst, whether the value passed
// or broke the shape (then ValidationError.Warnings holds the same ones). Under Strict there
// are no warnings: they are issues of the error.
func CollectWarnings(dst *[]Issue) Option {
	return func(o *options) { o.warnings = dst }
}

func makeOptions(opts []Option) options {
	var o options
	for _, f := range opts {
		f(&o)
	}
	return o
}

// outcome is a validation's issues (shape faults) and warnings (values beyond the known ones)
// before the options decide what becomes an error.
type outcome struct {
	issues, warnings []Issue
}

func fault(issues ...Issue) outcome { return outcome{issues: issues} }

// prefixed puts prefix in front of every pointer and sets Where when given.
func (r outcome) prefixed(prefix, where string) outcome {
	fix := func(in []Issue) []Issue {
		if len(in) == 0 {
			return in
		}
		out := make([]Issue, len(in))
		for i, is := range in {
			is.Pointer = prefix + is.Pointer
			if where != "" {
				is.Where = where
			}
			out[i] = is
		}
		return out
	}
	return outcome{issues: fix(r.issues), warnings: fix(r.warnings)}
}

func (o options) finish(r outcome) error {
	if o.strict {
		return invalid(append(r.issues, r.warnings...))
	}
	if o.warnings != nil {
		*o.warnings = append(*o.warnings, r.warnings...)
	}
	if len(r.issues) == 0 {
		return nil
	}
	return &ValidationError{Issues: r.issues, Warnings: r.warnings}
}

// knownNode is the compiled x-known / x-extra-members annotations of one schema: only what
// the warning pass needs.
type knownNode struct {
	values []string // x-known, sorted; nil: every value
	source string
	// props holds every declared member (a nil node: nothing to check below it).
	props      map[string]*knownNode
	extra      bool // x-extra-members: undeclared members are warnings
	items      *knownNode
	additional *knownNode
	checks     bool // something below (or here) can warn
}

// knownBuilder compiles schema documents (decoded JSON, as the schema files are) into
// knownNodes, one per file, memoised.
type knownBuilder struct {
	docs  map[string]any
	files map[string]*knownNode
}

func (b *knownBuilder) file(name string) *knownNode {
	if n, ok := b.files[name]; ok {
		return n
	}
	b.files[name] = nil // a $ref cycle ends here
	n := b.schema(b.docs[name], name)
	b.files[name] = n
	return n
}

// schema compiles one schema object of file; nil when nothing below it can warn and it
// declares no members.
func (b *knownBuilder) schema(v any, file string) *knownNode {
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	if ref, ok := m["$ref"].(string); ok {
		target, frag, _ := strings.Cut(ref, "#")
		if target == "" {
			target = file
		}
		if frag == "" {
			return b.file(target)
		}
		sub, err := resolvePointer(b.docs[target], frag)
		if err != nil {
			return nil
		}
		return b.schema(sub, target)
	}
	n := &knownNode{}
	if vals, ok := m[KeywordKnown].([]any); ok {
		for _, x := range vals {
			if s, ok := x.(string); ok {
				n.values = append(n.values, s)
			}
		}
		slices.Sort(n.values)
	}
	n.source, _ = m[KeywordKnownSource].(string)
	n.extra = m[KeywordExtraMembers] == "warn"
	if props, ok := m["properties"].(map[string]any); ok {
		n.props = make(map[string]*knownNode, len(props))
		for k, p := range props {
			n.props[k] = b.schema(p, file)
		}
	}
	n.items = b.schema(m["items"], file)
	if ap, ok := m["additionalProperties"].(map[string]any); ok {
		n.additional = b.schema(ap, file)
	}
	for _, kw := range []string{"allOf", "anyOf", "oneOf"} {
		list, _ := m[kw].([]any)
		for _, br := range list {
			n = mergeKnown(n, b.schema(br, file))
		}
	}
	return n.seal()
}

// mergeKnown joins the annotations of combinator branches: the known values and declared
// members of either branch are known. The shape pass already said which branch matched.
func mergeKnown(a, b *knownNode) *knownNode {
	if b == nil {
		return a
	}
	if a == nil {
		return b
	}
	n := &knownNode{
		source: a.source, extra: a.extra || b.extra,
		items: mergeKnown(a.items, b.items), additional: mergeKnown(a.additional, b.additional),
	}
	if n.source == "" {
		n.source = b.source
	}
	if a.values != nil && b.values != nil {
		n.values = slices.Compact(slices.Sorted(slices.Values(append(slices.Clone(a.values), b.values...))))
	} else if a.values != nil {
		n.values = a.values
	} else {
		n.values = b.values
	}
	if a.props != nil || b.props != nil {
		n.props = make(map[string]*knownNode, len(a.props)+len(b.props))
		for k, p := range a.props {
			n.props[k] = p
		}
		for k, p := range b.props {
			n.props[k] = mergeKnown(n.props[k], p)
		}
	}
	return n.seal()
}

// seal computes checks and drops a node that neither checks nor declares anything.
func (n *knownNode) seal() *knownNode {
	n.checks = n.values != nil || n.extra ||
		(n.items != nil && n.items.checks) || (n.additional != nil && n.additional.checks)
	for _, p := range n.props {
		if p != nil && p.checks {
			n.checks = true
		}
	}
	if !n.checks && n.props == nil {
		return nil
	}
	return n
}

// warnings walks v (a decoded JSON value the shape pass has seen) along n and returns a
// warning for every value outside the known ones and every undeclared member of an
// x-extra-members object.
func (n *knownNode) warnings(where string, v any) []Issue {
	if n == nil || !n.checks {
		return nil
	}
	w := &knownWalk{where: where, path: make([]string, 0, 8)}
	w.walk(n, v)
	return w.out
}

type knownWalk struct {
	where string
	path  []string
	out   []Issue
}

func (w *knownWalk) walk(n *knownNode, v any) {
	if n == nil || !n.checks {
		return
	}
	switch x := v.(type) {
	case string:
		if n.values != nil {
			if _, found := slices.BinarySearch(n.values, x); !found {
				w.warn(RuleKnown, x, fmt.Sprintf("%q is not among the values the contract knows (%s)%s", x, strings.Join(n.values, ", "), n.from()))
			}
		}
	case map[string]any:
		for k, e := range x {
			p, declared := n.props[k]
			switch {
			case declared:
			case n.additional != nil:
				p, declared = n.additional, true
			case n.extra:
				w.path = append(w.path, k)
				w.warn(RuleExtraMember, k, fmt.Sprintf("member %q is beyond the documented ones%s", k, n.from()))
				w.path = w.path[:len(w.path)-1]
			}
			if declared && p != nil && p.checks {
				w.path = append(w.path, k)
				w.walk(p, e)
				w.path = w.path[:len(w.path)-1]
			}
		}
	case []any:
		if n.items == nil || !n.items.checks {
			return
		}
		for i, e := range x {
			w.path = append(w.path, strconv.Itoa(i))
			w.walk(n.items, e)
			w.path = w.path[:len(w.path)-1]
		}
	}
}

func (w *knownWalk) warn(rule string, value any, msg string) {
	w.out = append(w.out, Issue{Where: w.where, Pointer: Pointer(w.path...), Rule: rule, Message: msg, Value: value})
}

func (n *knownNode) from() string {
	if n.source == "" {
		return ""
	}
	return " (source: " + n.source + ")"
}

// sortIssues orders warnings by pointer (maps are walked in random order).
func sortIssues(in []Issue) {
	slices.SortFunc(in, func(a, b Issue) int {
		if c := strings.Compare(a.Pointer, b.Pointer); c != 0 {
			return c
		}
		return strings.Compare(a.Rule, b.Rule)
	})
}

// kinKnown compiles the body schema of an openapi.yaml request or response: schema files
// come from the SchemaSet's compiled nodes (by the *openapi3.Schema kin-openapi loaded for
// the file); the combinators written inline in openapi.yaml are merged like mergeKnown does.
// x-known annotations are read from the schema files only.
func kinKnown(ref *openapi3.SchemaRef, files map[string]string, set *SchemaSet) *knownNode {
	if ref == nil || ref.Value == nil {
		return nil
	}
	// kin-openapi may load a file more than once, so the file is found by the $ref's text:
	// "#/components/schemas/Name" (files maps it) or the file's name.
	if f, ok := files[ref.Ref]; ok {
		return set.known[f]
	}
	if f, _, _ := strings.Cut(path.Base(ref.Ref), "#"); set.Has(f) {
		return set.known[f]
	}
	s := ref.Value
	var n *knownNode
	for _, list := range [][]*openapi3.SchemaRef{s.AllOf, s.AnyOf, s.OneOf} {
		for _, br := range list {
			n = mergeKnown(n, kinKnown(br, files, set))
		}
	}
	if s.Items != nil {
		n = mergeKnown(n, (&knownNode{items: kinKnown(s.Items, files, set)}).seal())
	}
	if len(s.Properties) > 0 {
		p := &knownNode{props: map[string]*knownNode{}}
		for k, r := range s.Properties {
			p.props[k] = kinKnown(r, files, set)
		}
		n = mergeKnown(n, p.seal())
	}
	return n
}
