package state

import (
	"errors"
	"fmt"
	"strings"

	"github.com/workbinkit/workbinkit/spec"
)

// Error is a refused command or query: the statusCode of the GWS error envelope and its
// statusMessage. Kind is one of the Err* sentinels below, so callers and tests can tell the
// reasons apart with errors.Is even where they share a statusCode.
type Error struct {
	Code    spec.StatusCode
	Message string
	Kind    error
}

func (e *Error) Error() string { return fmt.Sprintf("statusCode %d: %s", e.Code, e.Message) }

func (e *Error) Unwrap() error { return e.Kind }

// Kinds of refusal, with the statusCode each one carries. The decisions (S1…) are listed in
// doc.go.
var (
	ErrNotAuthenticated   = errors.New("not authenticated")                        // 20: the actor is no user
	ErrNoMultimedia       = errors.New("feature api-multimedia missing")           // 6 (D7)
	ErrMissingParameter   = errors.New("required parameter missing")               // 1
	ErrUnknownOperation   = errors.New("operation not valid here")                 // 2: not a pull/add name, or a media not modelled
	ErrMediaMismatch      = errors.New("operation is for another media")           // 2 (D2)
	ErrUnknownWorkbin     = errors.New("workbin not found")                        // 6
	ErrUnknownUser        = errors.New("user not found")                           // 6
	ErrUnknownInteraction = errors.New("interaction not found")                    // 6 (D11)
	ErrNotSupervisor      = errors.New("supervisor role required")                 // 5 (D10)
	ErrWorkbinForbidden   = errors.New("no access to this workbin")                // 5 (W7, S1)
	ErrGroupParameter     = errors.New("group parameter does not fit the workbin") // 2 (S1)
	ErrNotInWorkbin       = errors.New("interaction is not in this workbin")       // 2 (D11): in another workbin
	ErrAlreadyPulled      = errors.New("interaction is already pulled")            // 2 (D11): owned by a user
	ErrAlreadyInWorkbin   = errors.New("interaction is already in a workbin")      // 2 (S4)
	ErrNotOwner           = errors.New("interaction is owned by another user")     // 5 (S4)
	ErrCompleted          = errors.New("interaction is completed")                 // 2 (S4)
	ErrDuplicateID        = errors.New("id already taken")                         // 2 (S9)
	ErrInvalidInput       = errors.New("invalid input")                            // 10
	ErrInvalidSnapshot    = errors.New("invalid snapshot")                         // 10 (S11)
	ErrInternal           = errors.New("internal error")                           // 4
)

func fail(code spec.StatusCode, kind error, format string, args ...any) *Error {
	return &Error{Code: code, Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// CodeOf is the statusCode of an error: 0 for nil, the Code of an *Error (also wrapped), and
// 4 (internal error) for anything else.
func CodeOf(err error) spec.StatusCode {
	if err == nil {
		return spec.StatusOK
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return spec.StatusInternalError
}

// withArticle puts "a" or "an" before word by its first letter, for messages that name a
// media, a kind or a workbin type (an email, an Agent workbin, a chat).
func withArticle(word string) string {
	if word != "" && strings.ContainsRune("aeiouAEIOU", rune(word[0])) {
		return "an " + word
	}
	return "a " + word
}
