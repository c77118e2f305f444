package spec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// decodeJSON decodes one JSON value, numbers as json.Number (so integers stay exact for
// gojsonschema), and rejects trailing data.
func decodeJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, syntaxError(data, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("invalid JSON: data after the top-level value at offset %d", dec.InputOffset())
	}
	return v, nil
}

// syntaxError says where a JSON syntax error is, as line:column.
func syntaxError(data []byte, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line, col := lineCol(data, se.Offset)
		return fmt.Errorf("invalid JSON at line %d column %d: %w", line, col, err)
	}
	if errors.Is(err, io.EOF) {
		return errors.New("invalid JSON: empty document")
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("invalid JSON: unexpected end of document")
	}
	return fmt.Errorf("invalid JSON: %w", err)
}

func lineCol(data []byte, offset int64) (line, col int) {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	line = 1 + bytes.Count(data[:offset], []byte("\n"))
	col = int(offset) - bytes.LastIndexByte(data[:offset], '\n')
	return line, col
}

// syntaxIssue is the issue for a document that is not JSON at all.
func syntaxIssue(where string, err error) error {
	return &ValidationError{Issues: []Issue{{Where: where, Rule: RuleSyntax, Message: err.Error()}}}
}

// resolvePointer returns the value at an RFC 6901 pointer inside a decoded JSON value.
func resolvePointer(doc any, ptr string) (any, error) {
	tokens, err := SplitPointer(ptr)
	if err != nil {
		return nil, err
	}
	cur := doc
	for _, t := range tokens {
		switch x := cur.(type) {
		case map[string]any:
			v, ok := x[t]
			if !ok {
				return nil, fmt.Errorf("no member %q", t)
			}
			cur = v
		case []any:
			var i int
			if _, err := fmt.Sscanf(t, "%d", &i); err != nil || i < 0 || i >= len(x) || fmt.Sprint(i) != t {
				return nil, fmt.Errorf("no element %q", t)
			}
			cur = x[i]
		default:
			return nil, fmt.Errorf("cannot descend into a scalar at %q", t)
		}
	}
	return cur, nil
}
