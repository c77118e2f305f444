package mockserver

import (
	"fmt"
	"strings"

	"github.com/workbinkit/workbinkit/spec"
)

// requestFault maps the issues of a rejected request to the D3 statusCode and a
// statusMessage naming the field and the rule:
//
//   - malformed JSON, wrong Content-Type: 10
//   - a required member or parameter missing, both group parameters (W3), neither id nor
//     uri of an Add: 1
//   - an unknown operationName, or one the URL does not take: 2
//   - anything else (wrong type, operationName's too; pattern, length, enum): 10
//
// With several issues the first of the most telling kind wins, in the order above.
func requestFault(issues []spec.Issue) (spec.StatusCode, string) {
	best, rank := issues[0], 99
	for _, is := range issues {
		if r := issueRank(is); r < rank {
			best, rank = is, r
		}
	}
	field := issueField(best)
	switch rank {
	case 0:
		return spec.StatusInvalidInput, fmt.Sprintf("Invalid %s: %s (%s)", field, best.Message, best.Rule)
	case 1:
		if best.Rule == spec.RuleAnyOf {
			return spec.StatusMissingParameter, fmt.Sprintf("Required parameter %s or %s is missing (%s)", spec.FieldID, spec.FieldURI, best.Rule)
		}
		if best.Rule == spec.RuleMutuallyExclusive {
			return spec.StatusMissingParameter, fmt.Sprintf("Parameters %s: %s (%s)", field, best.Message, best.Rule)
		}
		return spec.StatusMissingParameter, fmt.Sprintf("Required parameter %s is missing: %s (%s)", field, best.Message, best.Rule)
	case 2:
		return spec.StatusInvalidParameter, fmt.Sprintf("Parameter %s is not valid here: %s (%s)", field, best.Message, best.Rule)
	}
	return spec.StatusInvalidInput, fmt.Sprintf("Invalid parameter %s: %s (%s)", field, best.Message, best.Rule)
}

func issueRank(is spec.Issue) int {
	switch {
	case is.Rule == spec.RuleSyntax || is.Rule == spec.RuleContentType:
		return 0
	case is.Rule == spec.RuleRequired || is.Rule == spec.RuleMutuallyExclusive ||
		(is.Rule == spec.RuleAnyOf && is.Pointer == "" && strings.HasPrefix(is.Where, "request body")):
		return 1
	case is.Pointer == spec.Pointer(spec.FieldOperationName) && (is.Rule == spec.RuleDiscriminator || is.Rule == spec.RuleEnum):
		return 2 // a name the contract lacks, or one this URL does not take; a wrong type is 10
	}
	return 3
}

// issueField names what an issue is about: the body member, or the parameter.
func issueField(is spec.Issue) string {
	if is.Pointer != "" {
		if tokens, err := spec.SplitPointer(is.Pointer); err == nil {
			return strings.Join(tokens, ".")
		}
		return is.Pointer
	}
	for _, p := range []string{"query parameters ", "query parameter ", "path parameter ", "header parameter ", "cookie parameter "} {
		if name, ok := strings.CutPrefix(is.Where, p); ok {
			return name
		}
	}
	return is.Where
}
