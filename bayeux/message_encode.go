package bayeux

import (
	"strconv"
	"unicode/utf8"
)

// A Message encoder without reflection: the server writes every reply through it, and a
// reply or event costs a few appends instead of encoding/json's reflection, its Marshaler
// call and the compaction of that call's output. It writes what encoding/json writes for
// the struct (field order, omitempty rules, string escaping, HTML-safe).

// appendMessages appends msgs as a JSON array.
func appendMessages(b []byte, msgs []*Message) []byte {
	b = append(b, '[')
	for i, m := range msgs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendMessage(b, m)
	}
	return append(b, ']')
}

// appendMessage appends m as a JSON object. Data and Ext are copied as they are, so they
// must hold valid JSON: the decoder and the Server API only ever put valid JSON there
// (Message.MarshalJSON's output is checked by encoding/json anyway).
func appendMessage(b []byte, m *Message) []byte {
	b = append(b, `{"channel":`...)
	b = appendJSONString(b, m.Channel)
	if m.ID != "" {
		b = append(b, `,"id":`...)
		if m.idNumber && jsonNumber(m.ID) {
			b = append(b, m.ID...)
		} else {
			b = appendJSONString(b, m.ID)
		}
	}
	b = appendStringField(b, `,"clientId":`, m.ClientID)
	if len(m.Data) > 0 {
		b = append(b, `,"data":`...)
		b = append(b, m.Data...)
	}
	if len(m.Ext) > 0 {
		b = append(b, `,"ext":`...)
		b = append(b, m.Ext...)
	}
	if a := m.Advice; a != nil {
		b = append(b, `,"advice":{`...)
		n := len(b)
		b = appendStringField(b, `,"reconnect":`, a.Reconnect)
		b = appendIntField(b, `,"timeout":`, a.Timeout)
		b = appendIntField(b, `,"interval":`, a.Interval)
		b = appendIntField(b, `,"maxInterval":`, a.MaxInterval)
		if a.MultipleClients {
			b = append(b, `,"multiple-clients":true`...)
		}
		if len(b) > n { // drop the first field's comma
			b = append(b[:n], b[n+1:]...)
		}
		b = append(b, '}')
	}
	if m.Successful != nil {
		b = append(b, `,"successful":`...)
		b = strconv.AppendBool(b, *m.Successful)
	}
	b = appendStringField(b, `,"error":`, m.Error)
	if s := m.Subscription; !s.IsZero() {
		b = append(b, `,"subscription":`...)
		if !s.array && len(s.Channels) == 1 {
			b = appendJSONString(b, s.Channels[0])
		} else {
			b = appendJSONStrings(b, s.Channels)
		}
	}
	b = appendStringField(b, `,"version":`, m.Version)
	b = appendStringField(b, `,"minimumVersion":`, m.MinimumVersion)
	if len(m.SupportedConnectionTypes) > 0 {
		b = append(b, `,"supportedConnectionTypes":`...)
		b = appendJSONStrings(b, m.SupportedConnectionTypes)
	}
	b = appendStringField(b, `,"connectionType":`, m.ConnectionType)
	b = appendStringField(b, `,"timestamp":`, m.Timestamp)
	return append(b, '}')
}

func appendStringField(b []byte, key, v string) []byte {
	if v == "" {
		return b
	}
	return appendJSONString(append(b, key...), v)
}

func appendIntField(b []byte, key string, v *int64) []byte {
	if v == nil {
		return b
	}
	return strconv.AppendInt(append(b, key...), *v, 10)
}

func appendJSONStrings(b []byte, ss []string) []byte {
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, s)
	}
	return append(b, ']')
}

// appendJSONString appends s as a JSON string, escaped as encoding/json does: quotes,
// backslashes and control characters; <, > and & (HTML-safe); U+2028 and U+2029; and
// invalid UTF-8 as U+FFFD. It is written by hand, not shared, because bayeux imports nothing
// of workbinkit's and encodes on the hot path; the escapers of the mock
// (mockserver/jsonobj.go appendString) and of the fixtures (fixtures/pyrepr.go) leave <, >
// and & alone on purpose.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// jsonNumber reports whether s is a JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func jsonNumber(s string) bool {
	i := 0
	digits := func() bool {
		j := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i > j
	}
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case !digits():
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if !digits() {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if !digits() {
			return false
		}
	}
	return i == len(s)
}
