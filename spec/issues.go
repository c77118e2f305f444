package spec

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Rule names shared by both validators (the JSON Schema keyword that failed, or one of the
// few non-keyword rules below). Issues from kin-openapi and from gojsonschema use the same
// names for the same fault.
const (
	RuleRequired             = "required"
	RuleType                 = "type"
	RuleEnum                 = "enum"
	RulePattern              = "pattern"
	RuleAdditionalProperties = "additionalProperties"
	RuleOneOf                = "oneOf"
	RuleAnyOf                = "anyOf"
	RuleNot                  = "not"
	RuleDiscriminator        = "discriminator"
	RuleMinLength            = "minLength"
	RuleMaxLength            = "maxLength"
	RuleMinimum              = "minimum"
	RuleMaximum              = "maximum"
	RuleMinItems             = "minItems"
	RuleMaxItems             = "maxItems"
	RuleUniqueItems          = "uniqueItems"
	RuleMinProperties        = "minProperties"
	RuleMaxProperties        = "maxProperties"

	// RuleSyntax: the document is not well-formed JSON.
	RuleSyntax = "syntax"
	// RuleChannel: a notification on an unknown channel, or a messageType that this channel
	// does not carry.
	RuleChannel = "channel"
	// RuleMutuallyExclusive: query parameters that must not be given together (x-workbinkit-mutually-exclusive).
	RuleMutuallyExclusive = "mutuallyExclusive"
	// RuleStatus: an HTTP status the operation does not document.
	RuleStatus = "status"
	// RuleContentType: a body whose Content-Type the operation does not document.
	RuleContentType = "contentType"
	// RuleSchema: a fault of the contract itself (a broken schema or spec file).
	RuleSchema = "schema"
)

// Issue is one fault found by a validator.
type Issue struct {
	// Where says what was validated: "request body", "query parameter fields",
	// "response body", "response header WWW-Authenticate", "notification", a schema file…
	Where string `json:"where"`
	// Pointer is the RFC 6901 JSON pointer (escaped) of the faulty value inside Where; ""
	// is the whole value. For a missing or unexpected member it points at the member.
	Pointer string `json:"pointer"`
	// Rule is the failing keyword (required, enum, type, pattern, additionalProperties,
	// oneOf, discriminator, maxLength…) or one of the Rule constants that are not keywords.
	Rule string `json:"rule"`
	// Message is a short human explanation. It never contains whole schemas.
	Message string `json:"message"`
	// Value is, for a warning (RuleKnown, RuleExtraMember), the value or member name beyond
	// the ones the contract knows; nil otherwise.
	Value any `json:"value,omitempty"`
}

func (i Issue) String() string {
	var b strings.Builder
	b.WriteString(i.Where)
	if i.Pointer != "" {
		b.WriteString(" at ")
		b.WriteString(i.Pointer)
	}
	b.WriteString(": ")
	b.WriteString(i.Message)
	b.WriteString(" [")
	b.WriteString(i.Rule)
	b.WriteString("]")
	return b.String()
}

// ValidationError is what every validator of this package returns when a value breaks the
// contract. Use errors.As to get it.
type ValidationError struct {
	// Issues break the contract: shape faults in every mode, and under Strict also the values
	// beyond the known ones.
	Issues []Issue
	// Warnings are the values beyond the known ones found next to Issues in default mode
	// (under Strict they are among Issues). A value with warnings only is no error: use
	// CollectWarnings to get them.
	Warnings []Issue
}

// maxIssuesInMessage bounds Error(): the whole list is in Issues.
const maxIssuesInMessage = 3

func (e *ValidationError) Error() string {
	switch len(e.Issues) {
	case 0:
		return "spec: invalid"
	case 1:
		return "spec: " + e.Issues[0].String()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "spec: %d issues: ", len(e.Issues))
	for i, is := range e.Issues {
		if i == maxIssuesInMessage {
			fmt.Fprintf(&b, "; and %d more", len(e.Issues)-i)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(is.String())
	}
	return b.String()
}

// Has reports whether some issue has this rule and pointer; tests and the mock use it to
// tell why a value was rejected.
func (e *ValidationError) Has(rule, pointer string) bool {
	for _, is := range e.Issues {
		if is.Rule == rule && is.Pointer == pointer {
			return true
		}
	}
	return false
}

// IssuesOf returns the issues of err if it is (or wraps) a *ValidationError, else nil.
func IssuesOf(err error) []Issue {
	var ve *ValidationError
	if errors.As(err, &ve) {
		return ve.Issues
	}
	return nil
}

func invalid(issues []Issue) error {
	if len(issues) == 0 {
		return nil
	}
	return &ValidationError{Issues: issues}
}

// FileError is a fault of the contract files themselves, found while loading or linting:
// which file, where in it (RFC 6901 pointer, "" for the whole file), and what.
type FileError struct {
	File    string
	Pointer string
	Err     error
}

func (e *FileError) Error() string {
	if e.Pointer == "" {
		return fmt.Sprintf("spec: %s: %v", e.File, e.Err)
	}
	return fmt.Sprintf("spec: %s#%s: %v", e.File, e.Pointer, e.Err)
}

func (e *FileError) Unwrap() error { return e.Err }

// Pointer joins unescaped reference tokens into an RFC 6901 JSON pointer.
func Pointer(tokens ...string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(escapeToken(t))
	}
	return b.String()
}

var tokenEscaper = strings.NewReplacer("~", "~0", "/", "~1")

func escapeToken(t string) string {
	if !strings.ContainsAny(t, "~/") {
		return t
	}
	return tokenEscaper.Replace(t)
}

// SplitPointer splits an RFC 6901 pointer into unescaped reference tokens.
func SplitPointer(p string) ([]string, error) {
	if p == "" {
		return nil, nil
	}
	if p[0] != '/' {
		return nil, fmt.Errorf("JSON pointer %q does not start with /", p)
	}
	parts := strings.Split(p[1:], "/")
	for i, s := range parts {
		if strings.Contains(s, "~") {
			var b strings.Builder
			for j := 0; j < len(s); j++ {
				if s[j] != '~' {
					b.WriteByte(s[j])
					continue
				}
				if j+1 == len(s) || (s[j+1] != '0' && s[j+1] != '1') {
					return nil, fmt.Errorf("JSON pointer %q has a bad ~ escape", p)
				}
				if s[j+1] == '0' {
					b.WriteByte('~')
				} else {
					b.WriteByte('/')
				}
				j++
			}
			parts[i] = b.String()
		}
	}
	return parts, nil
}

// prefixIssues puts pointer prefix in front of every issue's pointer and sets Where when
// given; ValidateMessage uses it to report payload faults under /data.
func prefixIssues(err error, prefix, where string) error {
	var ve *ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	r := outcome{issues: ve.Issues, warnings: ve.Warnings}.prefixed(prefix, where)
	return &ValidationError{Issues: r.issues, Warnings: r.warnings}
}

// unquoteProperty extracts the property name kin-openapi writes with %q in messages such as
// `property "x" is unsupported`.
func unquoteProperty(reason string) (string, bool) {
	start := strings.IndexByte(reason, '"')
	if start < 0 {
		return "", false
	}
	for end := start + 1; end < len(reason); end++ {
		if reason[end] == '\\' {
			end++
			continue
		}
		if reason[end] == '"' {
			s, err := strconv.Unquote(reason[start : end+1])
			return s, err == nil
		}
	}
	return "", false
}
