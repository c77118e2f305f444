package bayeux

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Meta channels of the protocol.
const (
	MetaHandshake   = "/meta/handshake"
	MetaConnect     = "/meta/connect"
	MetaSubscribe   = "/meta/subscribe"
	MetaUnsubscribe = "/meta/unsubscribe"
	MetaDisconnect  = "/meta/disconnect"
)

// Reconnect advice values.
const (
	ReconnectRetry     = "retry"
	ReconnectHandshake = "handshake"
	ReconnectNone      = "none"
)

// ConnectionTypeLongPolling is the only transport this package speaks.
const ConnectionTypeLongPolling = "long-polling"

// Version is the protocol version sent and accepted.
const Version = "1.0"

// Direction tells which way a message went, seen from the wire: the server's journal
// (WireEvent) and the client's recorder use the same values.
type Direction int

// Directions of a message.
const (
	ToServer   Direction = 1 // sent by a client, received by the server
	FromServer Direction = 2 // a reply or a delivered event
)

// String gives the arrow used in transcripts.
func (d Direction) String() string {
	switch d {
	case ToServer:
		return "→"
	case FromServer:
		return "←"
	}
	return "?"
}

// MarshalText names the direction in JSON journals.
func (d Direction) MarshalText() ([]byte, error) {
	switch d {
	case ToServer:
		return []byte("toServer"), nil
	case FromServer:
		return []byte("fromServer"), nil
	}
	return nil, fmt.Errorf("bayeux: unknown direction %d", int(d))
}

// Message is one Bayeux message. Fields absent on the wire stay zero and are omitted when
// encoded. Fields Bayeux does not define are dropped: none of them has a meaning here.
//
// ID is a string in Bayeux, but some clients send a JSON number: it is accepted, ID holds
// its text as written (e.g. "7"), and the message remembers the form, so a reply that
// copies it with CopyID encodes it back as the same number.
type Message struct {
	Channel                  string          `json:"channel"`
	ID                       string          `json:"id,omitempty"`
	ClientID                 string          `json:"clientId,omitempty"`
	Data                     json.RawMessage `json:"data,omitempty"`
	Ext                      json.RawMessage `json:"ext,omitempty"`
	Advice                   *Advice         `json:"advice,omitempty"`
	Successful               *bool           `json:"successful,omitempty"`
	Error                    string          `json:"error,omitempty"`
	Subscription             Subscription    `json:"subscription,omitzero"`
	Version                  string          `json:"version,omitempty"`
	MinimumVersion           string          `json:"minimumVersion,omitempty"`
	SupportedConnectionTypes []string        `json:"supportedConnectionTypes,omitempty"`
	ConnectionType           string          `json:"connectionType,omitempty"`
	Timestamp                string          `json:"timestamp,omitempty"`

	idNumber bool // ID was a JSON number on the wire and is encoded as one
}

// msgPlain is Message without its JSON methods, for encoding/json to do the work.
type msgPlain Message

// CopyID sets m's id to from's, in the same form (string or number).
func (m *Message) CopyID(from *Message) { m.ID, m.idNumber = from.ID, from.idNumber }

// MarshalJSON encodes the message as encoding/json would encode its fields, except that
// an ID read from a JSON number is written as that number.
func (m Message) MarshalJSON() ([]byte, error) { return appendMessage(nil, &m), nil }

// UnmarshalJSON decodes a message, accepting id as a string or a number (see Message).
func (m *Message) UnmarshalJSON(b []byte) error {
	m.idNumber = false
	err := json.Unmarshal(b, (*msgPlain)(m))
	if te, ok := errors.AsType[*json.UnmarshalTypeError](err); !ok || te.Field != "id" {
		return err
	}
	// The id is not a string. Decode again with the id kept raw: the first pass stopped
	// reporting at its first type error, and another field may be wrong too.
	w := struct {
		*msgPlain
		ID json.RawMessage `json:"id"`
	}{msgPlain: (*msgPlain)(m)}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	if len(w.ID) == 0 {
		return err
	}
	switch c := w.ID[0]; {
	case c == '-' || c >= '0' && c <= '9':
		m.ID, m.idNumber = string(w.ID), true
		return nil
	case c == '"':
		return json.Unmarshal(w.ID, &m.ID) // a later duplicate key won
	}
	return fmt.Errorf("bayeux: message id %.20s: want a string or a number", w.ID)
}

// IsSuccessful reports whether the message carries successful:true.
func (m *Message) IsSuccessful() bool { return m.Successful != nil && *m.Successful }

// Advice is the advice field of a message. Timeout and Interval are in milliseconds;
// pointers tell "absent" from zero (advice.timeout:0 asks for an immediate reply).
type Advice struct {
	Reconnect       string `json:"reconnect,omitempty"`
	Timeout         *int64 `json:"timeout,omitempty"`
	Interval        *int64 `json:"interval,omitempty"`
	MaxInterval     *int64 `json:"maxInterval,omitempty"`
	MultipleClients bool   `json:"multiple-clients,omitempty"`
}

// Subscription is the subscription field: one channel or pattern, or several. It encodes
// back in the form it was read (a string for one, an array for several), so replies echo
// what the client asked.
type Subscription struct {
	Channels []string
	array    bool
}

// NewSubscription makes a subscription field; one channel encodes as a string.
func NewSubscription(channels ...string) Subscription {
	return Subscription{Channels: channels, array: len(channels) != 1}
}

// IsZero lets encoding/json omit an empty subscription.
func (s Subscription) IsZero() bool { return len(s.Channels) == 0 && !s.array }

// MarshalJSON encodes one channel as a string and several as an array.
func (s Subscription) MarshalJSON() ([]byte, error) {
	if !s.array && len(s.Channels) == 1 {
		return json.Marshal(s.Channels[0])
	}
	if s.Channels == nil {
		return []byte("[]"), nil
	}
	return json.Marshal(s.Channels)
}

// UnmarshalJSON accepts a string or an array of strings.
func (s *Subscription) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '[' {
		var cs []string
		if err := json.Unmarshal(b, &cs); err != nil {
			return fmt.Errorf("subscription: %w", err)
		}
		*s = Subscription{Channels: cs, array: true}
		return nil
	}
	var c string
	if err := json.Unmarshal(b, &c); err != nil {
		return fmt.Errorf("subscription: %w", err)
	}
	*s = Subscription{Channels: []string{c}}
	return nil
}

// ErrBadJSON is returned by DecodeMessages for input that is not a message or an array of
// messages.
var ErrBadJSON = errors.New("bayeux: malformed message JSON")

// DecodeMessages reads a request body: a JSON array of messages or, leniently, one bare
// message object.
func DecodeMessages(b []byte) ([]Message, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil, fmt.Errorf("%w: empty body", ErrBadJSON)
	}
	if b[0] == '{' {
		var m Message
		if err := json.Unmarshal(b, (*msgPlain)(&m)); err != nil {
			// Message.UnmarshalJSON knows numeric ids; it is not the first try because
			// a method on the element type costs a second scan of every message.
			if err := json.Unmarshal(b, &m); err != nil {
				return nil, fmt.Errorf("%w: %w", ErrBadJSON, err)
			}
		}
		return []Message{m}, nil
	}
	var ms []Message
	var plain []msgPlain
	if err := json.Unmarshal(b, &plain); err == nil && plain != nil {
		ms = make([]Message, len(plain))
		for i := range plain {
			ms[i] = Message(plain[i])
		}
	} else if err := json.Unmarshal(b, &ms); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadJSON, err)
	}
	if ms == nil {
		return nil, fmt.Errorf("%w: not an array of messages", ErrBadJSON)
	}
	return ms, nil
}

// Channel name rules (Bayeux 1.0 §2.2; CometD's validateMessageFields).

// ValidChannel reports whether name is a well-formed channel name or pattern: "/" then
// segments of [A-Za-z0-9-_!~()$@.], where only the last segment may be "*" or "**".
func ValidChannel(name string) bool {
	if len(name) < 2 || name[0] != '/' {
		return false
	}
	// Segment by segment without splitting: every message and publish comes through here.
	for rest := name[1:]; ; {
		seg, more, found := strings.Cut(rest, "/")
		switch {
		case seg == "":
			return false
		case seg == "*" || seg == "**":
			if found {
				return false
			}
		default:
			for j := 0; j < len(seg); j++ {
				if !validChannelByte(seg[j]) {
					return false
				}
			}
		}
		if !found {
			return true
		}
		rest = more
	}
}

func validChannelByte(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("-_!~()$@.", c) >= 0
}

// IsWildcard reports whether a channel name is a pattern ("/a/*" or "/a/**").
func IsWildcard(name string) bool {
	return strings.HasSuffix(name, "/*") || strings.HasSuffix(name, "/**")
}

// IsMeta reports whether name is a /meta/ channel.
func IsMeta(name string) bool { return name == "/meta" || strings.HasPrefix(name, "/meta/") }

// IsService reports whether name is a /service/ channel.
func IsService(name string) bool {
	return name == "/service" || strings.HasPrefix(name, "/service/")
}

// Match reports whether channel (a plain name) is matched by pattern: a plain name matches
// itself, "/a/*" matches exactly one more segment, "/a/**" one or more.
func Match(pattern, channel string) bool {
	switch {
	case strings.HasSuffix(pattern, "/**"):
		prefix := pattern[:len(pattern)-2] // keeps the trailing "/"
		return len(channel) > len(prefix) && strings.HasPrefix(channel, prefix)
	case strings.HasSuffix(pattern, "/*"):
		prefix := pattern[:len(pattern)-1]
		if len(channel) <= len(prefix) || !strings.HasPrefix(channel, prefix) {
			return false
		}
		return !strings.Contains(channel[len(prefix):], "/")
	default:
		return pattern == channel
	}
}
