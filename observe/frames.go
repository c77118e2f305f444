package observe

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/url"

	"github.com/workbinkit/workbinkit/bayeux"
)

// Frame is one Bayeux message of a long-polling body: its exact bytes (what the contract
// validates) and its decoded fields (what the observation reads).
type Frame struct {
	Raw json.RawMessage
	Msg bayeux.Message
	// Err says why the message could not be decoded as a Bayeux message (Msg is then
	// zero apart from what could be read).
	Err error
}

// maxFrames bounds the messages of one body: a batch is a handful, a delivery a few
// hundred at most.
const maxFrames = 10000

// ErrNotBayeux: a body that is neither a JSON array of messages, nor one message, nor a
// form with message= parameters.
var ErrNotBayeux = errors.New("not a Bayeux message body")

// SplitFrames splits a long-polling body into its messages. Bayeux allows a JSON array of
// messages, one bare message object, and (for requests) application/x-www-form-urlencoded
// with one or more message= parameters, each an array or a message. A message that is not
// an object with a string channel is still returned, with Err set, so that the caller can
// name it.
func SplitFrames(contentType string, body []byte) ([]Frame, error) {
	if mt, _, err := mime.ParseMediaType(contentType); err == nil && mt == "application/x-www-form-urlencoded" {
		q, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, fmt.Errorf("%w: form: %w", ErrNotBayeux, err)
		}
		var out []Frame
		for _, m := range q["message"] {
			fs, err := splitJSON([]byte(m))
			if err != nil {
				return nil, err
			}
			out = append(out, fs...)
			if len(out) > maxFrames {
				return nil, fmt.Errorf("%w: more than %d messages", ErrNotBayeux, maxFrames)
			}
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("%w: a form without message= parameters", ErrNotBayeux)
		}
		return out, nil
	}
	return splitJSON(body)
}

func splitJSON(body []byte) ([]Frame, error) {
	b := bytes.TrimSpace(body)
	if len(b) == 0 {
		return nil, fmt.Errorf("%w: empty body", ErrNotBayeux)
	}
	var raws []json.RawMessage
	switch b[0] {
	case '[':
		if err := json.Unmarshal(b, &raws); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrNotBayeux, err)
		}
		if len(raws) > maxFrames {
			return nil, fmt.Errorf("%w: more than %d messages", ErrNotBayeux, maxFrames)
		}
	case '{':
		if !json.Valid(b) {
			return nil, fmt.Errorf("%w: invalid JSON", ErrNotBayeux)
		}
		raws = []json.RawMessage{b}
	default:
		return nil, fmt.Errorf("%w: want a JSON array of messages", ErrNotBayeux)
	}
	out := make([]Frame, len(raws))
	for i, raw := range raws {
		out[i] = decodeFrame(raw)
	}
	return out, nil
}

func decodeFrame(raw json.RawMessage) Frame {
	f := Frame{Raw: raw}
	if len(raw) == 0 || raw[0] != '{' {
		f.Err = errors.New("a message must be a JSON object")
		return f
	}
	if err := json.Unmarshal(raw, &f.Msg); err != nil {
		f.Err = err
		return f
	}
	if f.Msg.Channel == "" {
		f.Err = errors.New("a message needs a channel")
	}
	return f
}
