package bayeux

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Errors returned by the client. Match them with errors.Is.
var (
	// ErrNoSession: the client has no clientId; call Handshake (or Run) first.
	ErrNoSession = errors.New("bayeux: no session (not handshaken)")
	// ErrReconnectNone: the server advised reconnect "none" (or a negative interval), so Run stopped.
	ErrReconnectNone = errors.New("bayeux: server advised reconnect none")
	// ErrNoTransport: the handshake reply shares no connection type with the client (long-polling).
	ErrNoTransport = errors.New("bayeux: server does not offer long-polling")
	// ErrNoReply: the server answered, but without a reply to a message that needs one.
	ErrNoReply = errors.New("bayeux: no reply to message")
	// ErrRunning: Run was called while another Run of the same client is active.
	ErrRunning = errors.New("bayeux: Run is already active")
	// ErrBadErrorString: an error field that does not follow CODE:ARGS:MESSAGE.
	ErrBadErrorString = errors.New("bayeux: malformed error string")
	// ErrBadReply: a reply body the client cannot use (not JSON messages, or a message without channel).
	ErrBadReply = errors.New("bayeux: malformed reply")
)

// Error is an unsuccessful Bayeux reply: the parsed error field ("CODE:ARGS:MESSAGE"), the
// channel of the reply and its advice. Match on Code, never on Message: servers word their
// errors differently (faye "401:id:Unknown client", CometD 3 "402::Unknown client").
type Error struct {
	Code    int      // the three-digit code; 0 when the error field did not follow the grammar
	Args    []string // the comma-separated arguments; nil when there are none
	Message string   // the text after the second colon (the whole field when Code is 0)
	Channel string   // the channel of the failed reply, e.g. /meta/connect
	Advice  *Advice  // the reply's advice, if it had one
}

// Error formats the error as "bayeux: CHANNEL: CODE:ARGS:MESSAGE".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("bayeux: ")
	if e.Channel != "" {
		b.WriteString(e.Channel)
		b.WriteString(": ")
	}
	b.WriteString(e.String())
	if e.Advice != nil && e.Advice.Reconnect != "" {
		b.WriteString(" (reconnect ")
		b.WriteString(e.Advice.Reconnect)
		b.WriteString(")")
	}
	return b.String()
}

// String gives the error field back in wire form: "CODE:ARGS:MESSAGE", or the bare message
// when there is no code.
func (e *Error) String() string {
	if e.Code == 0 && e.Args == nil {
		return e.Message
	}
	return fmt.Sprintf("%03d:%s:%s", e.Code, strings.Join(e.Args, ","), e.Message)
}

// ParseError parses a Bayeux error field "CODE:ARGS:MESSAGE": CODE is three digits, ARGS a
// comma-separated list that may be empty ("401::No client ID"), MESSAGE the rest (colons
// in it are kept). Input that does not follow the grammar (or has code 000) gives an
// error wrapping ErrBadErrorString. ParseError(s) followed by String gives s back.
func ParseError(s string) (*Error, error) {
	code, rest, ok := strings.Cut(s, ":")
	if !ok || len(code) != 3 {
		return nil, fmt.Errorf("%w: %q: no three-digit code", ErrBadErrorString, s)
	}
	n := 0
	for i := 0; i < len(code); i++ {
		if code[i] < '0' || code[i] > '9' {
			return nil, fmt.Errorf("%w: %q: code is not three digits", ErrBadErrorString, s)
		}
		n = n*10 + int(code[i]-'0')
	}
	if n == 0 {
		// 0 stands for "no code" in Error.Code.
		return nil, fmt.Errorf("%w: %q: code 000", ErrBadErrorString, s)
	}
	args, msg, ok := strings.Cut(rest, ":")
	if !ok {
		return nil, fmt.Errorf("%w: %q: missing the second colon", ErrBadErrorString, s)
	}
	e := &Error{Code: n, Message: msg}
	if args != "" {
		e.Args = strings.Split(args, ",")
	}
	return e, nil
}

// clientReplyError turns an unsuccessful reply into an *Error; a field that does not parse
// keeps its text in Message with Code 0.
func clientReplyError(m *Message) *Error {
	e, err := ParseError(m.Error)
	if err != nil {
		e = &Error{Message: m.Error}
		if m.Error == "" {
			e.Message = "unsuccessful reply without error field"
		}
	}
	e.Channel = m.Channel
	e.Advice = m.Advice
	return e
}

// ErrorCode returns the Bayeux error code carried by err (an *Error anywhere in its
// chain), or 0 if there is none.
func ErrorCode(err error) int {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Code
	}
	return 0
}

// StatusError is an HTTP reply whose status is not 200. CometD answers bad JSON with 400
// and a replaced (duplicate) connect with 500.
type StatusError struct {
	Status int
	URL    string
	Body   string // the start of the body, for diagnostics
}

func (e *StatusError) Error() string {
	msg := "bayeux: POST " + e.URL + ": HTTP " + strconv.Itoa(e.Status)
	if e.Body != "" {
		msg += ": " + e.Body
	}
	return msg
}
