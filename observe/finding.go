package observe

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/workbinkit/workbinkit/conformance"
	"github.com/workbinkit/workbinkit/spec"
)

// Levels of a finding.
const (
	// LevelError breaks the contract.
	LevelError = "error"
	// LevelWarning is a value beyond the ones the contract knows (an error under Strict).
	LevelWarning = "warning"
)

// Finding is one rule the observed traffic broke (or, as a warning, stretched).
type Finding struct {
	// Seq is the exchange that showed it.
	Seq   int64            `json:"seq"`
	Time  time.Time        `json:"time"`
	Level string           `json:"level"`
	Rule  conformance.Rule `json:"rule"`
	// Where names what was judged: "POST /api/v2/workbins/{workbinId} response",
	// "CometD /v2/me/workitems WorkitemStateChangeMessage"…
	Where   string `json:"where"`
	Pointer string `json:"pointer,omitempty"`
	Message string `json:"message"`
	// Excerpt is the faulty value (or the start of the document), masked and cut short.
	Excerpt string `json:"excerpt,omitempty"`
	// Party is the user (or HTTP session) whose traffic it was.
	Party string `json:"party,omitempty"`
}

// Line renders a finding as one line: level, rule, where, pointer, message, excerpt.
func (f Finding) Line() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s [%s] #%d %s", f.Level, f.Rule, f.Seq, f.Where)
	if f.Party != "" {
		fmt.Fprintf(&b, " (%s)", f.Party)
	}
	if f.Pointer != "" {
		b.WriteString(" at " + f.Pointer)
	}
	b.WriteString(": ")
	b.WriteString(oneLine(f.Message))
	if f.Excerpt != "" {
		b.WriteString(" | ")
		b.WriteString(oneLine(f.Excerpt))
	}
	return b.String()
}

// violation is a Finding as the conformance report lists it.
func (f Finding) violation() conformance.Violation {
	msg := f.Message
	if f.Party != "" {
		msg += " (" + f.Party + ")"
	}
	if f.Excerpt != "" {
		msg += "; value: " + f.Excerpt
	}
	return conformance.Violation{Rule: f.Rule, Where: fmt.Sprintf("#%d %s", f.Seq, f.Where), Pointer: f.Pointer, Message: msg}
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// maxExcerpt bounds an excerpt.
const maxExcerpt = 160

// excerpt returns the value at pointer in a JSON document (the document when the pointer
// is empty or does not resolve), masked and cut to maxExcerpt.
func excerpt(m *conformance.Masker, doc []byte, pointer string) string {
	if len(doc) == 0 {
		return ""
	}
	text := string(doc)
	if pointer != "" {
		var v any
		if json.Unmarshal(doc, &v) == nil {
			if x, ok := resolve(v, pointer); ok {
				if b, err := json.Marshal(x); err == nil {
					text = string(b)
				}
			}
		}
	}
	text = m.String(oneLine(text))
	if len(text) > maxExcerpt {
		cut := maxExcerpt
		for cut > 0 && !isRuneStart(text[cut]) {
			cut--
		}
		text = text[:cut] + "…"
	}
	return text
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// resolve finds the value at an RFC 6901 pointer.
func resolve(v any, pointer string) (any, bool) {
	toks, err := spec.SplitPointer(pointer)
	if err != nil {
		return nil, false
	}
	for _, t := range toks {
		switch x := v.(type) {
		case map[string]any:
			next, ok := x[t]
			if !ok {
				return nil, false
			}
			v = next
		case []any:
			i, err := strconv.Atoi(t)
			if err != nil || i < 0 || i >= len(x) {
				return nil, false
			}
			v = x[i]
		default:
			return nil, false
		}
	}
	return v, true
}
