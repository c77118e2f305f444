package har

import (
	"bufio"
	"io"
)

// firstSyntaxError scans a JSON document and returns the offset of the first byte that
// makes it invalid (the length of the input for a document cut short), or -1 when it is
// well-formed. encoding/json reports syntax errors relative to the value it was decoding,
// so Locate scans again with this to name the exact place. Memory is the nesting depth.
func firstSyntaxError(r io.Reader) int64 {
	br := bufio.NewReaderSize(r, 64<<10)
	s := syntaxScanner{}
	var off int64
	for {
		c, err := br.ReadByte()
		if err != nil {
			if s.complete() {
				return -1
			}
			return off
		}
		if !s.step(c) {
			return off
		}
		off++
	}
}

// syntaxScanner is a byte-at-a-time JSON syntax checker (RFC 8259) for one document.
type syntaxScanner struct {
	stack []byte // '{' or '['
	state scanState
	done  bool // the top-level value ended
	// within a scalar
	lit    string // the rest of a literal (true, false, null)
	hex    int    // hex digits left in a \u escape
	numSt  int    // number sub-state
	inNum  bool
	inStr  bool
	escape bool
}

type scanState int

const (
	wantValue      scanState = iota // a value (or, after '[', a ']')
	wantValueNoEnd                  // a value after ','
	wantKey                         // a key (or, after '{', a '}')
	wantKeyNoEnd                    // a key after ','
	wantColon
	wantCommaOrEnd
)

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func (s *syntaxScanner) complete() bool {
	if s.inNum && s.numberCanEnd() {
		s.inNum = false
		s.afterValue()
	}
	return s.done && !s.inStr && !s.inNum && s.lit == ""
}

func (s *syntaxScanner) afterValue() {
	if len(s.stack) == 0 {
		s.done = true
		return
	}
	s.state = wantCommaOrEnd
}

// step consumes one byte; false means the byte is a syntax error.
func (s *syntaxScanner) step(c byte) bool {
	switch {
	case s.inStr:
		return s.stepString(c)
	case s.lit != "":
		if c != s.lit[0] {
			return false
		}
		s.lit = s.lit[1:]
		if s.lit == "" {
			s.afterValue()
		}
		return true
	case s.inNum:
		if s.stepNumber(c) {
			return true
		}
		if !s.numberCanEnd() {
			return false
		}
		s.inNum = false
		s.afterValue()
		// the byte that ended the number is read as usual below
	}
	if isSpace(c) {
		return true
	}
	if s.done {
		return false
	}
	switch s.state {
	case wantValue, wantValueNoEnd:
		if c == ']' && s.state == wantValue && len(s.stack) > 0 && s.stack[len(s.stack)-1] == '[' {
			return s.close('[')
		}
		return s.startValue(c)
	case wantKey, wantKeyNoEnd:
		if c == '}' && s.state == wantKey {
			return s.close('{')
		}
		if c != '"' {
			return false
		}
		s.inStr = true
		return true
	case wantColon:
		if c != ':' {
			return false
		}
		s.state = wantValueNoEnd
		return true
	case wantCommaOrEnd:
		top := s.stack[len(s.stack)-1]
		switch {
		case c == ',' && top == '{':
			s.state = wantKeyNoEnd
		case c == ',' && top == '[':
			s.state = wantValueNoEnd
		case c == '}' && top == '{', c == ']' && top == '[':
			return s.close(top)
		default:
			return false
		}
		return true
	}
	return false
}

func (s *syntaxScanner) close(open byte) bool {
	if len(s.stack) == 0 || s.stack[len(s.stack)-1] != open {
		return false
	}
	s.stack = s.stack[:len(s.stack)-1]
	s.afterValue()
	return true
}

func (s *syntaxScanner) startValue(c byte) bool {
	switch c {
	case '{':
		s.stack = append(s.stack, '{')
		s.state = wantKey
	case '[':
		s.stack = append(s.stack, '[')
		s.state = wantValue
	case '"':
		s.inStr = true
	case 't':
		s.lit = "rue"
	case 'f':
		s.lit = "alse"
	case 'n':
		s.lit = "ull"
	default:
		if c == '-' || (c >= '0' && c <= '9') {
			s.inNum = true
			s.numSt = 0
			return s.stepNumber(c)
		}
		return false
	}
	return true
}

func (s *syntaxScanner) stepString(c byte) bool {
	switch {
	case s.hex > 0:
		if !isHex(c) {
			return false
		}
		s.hex--
		return true
	case s.escape:
		s.escape = false
		switch c {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		case 'u':
			s.hex = 4
		default:
			return false
		}
		return true
	case c == '\\':
		s.escape = true
		return true
	case c == '"':
		s.inStr = false
		if s.state == wantKey || s.state == wantKeyNoEnd {
			s.state = wantColon
		} else {
			s.afterValue()
		}
		return true
	case c < 0x20:
		return false
	}
	return true
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// Number sub-states: 0 start, 1 after '-', 2 after a leading 0, 3 in integer digits,
// 4 after '.', 5 in fraction digits, 6 after e/E, 7 after the exponent sign, 8 in
// exponent digits.
func (s *syntaxScanner) stepNumber(c byte) bool {
	digit := c >= '0' && c <= '9'
	switch s.numSt {
	case 0:
		switch {
		case c == '-':
			s.numSt = 1
		case c == '0':
			s.numSt = 2
		case digit:
			s.numSt = 3
		default:
			return false
		}
	case 1:
		switch {
		case c == '0':
			s.numSt = 2
		case digit:
			s.numSt = 3
		default:
			return false
		}
	case 2, 3:
		switch {
		case digit && s.numSt == 3:
		case c == '.':
			s.numSt = 4
		case c == 'e' || c == 'E':
			s.numSt = 6
		default:
			return false
		}
	case 4:
		if !digit {
			return false
		}
		s.numSt = 5
	case 5:
		switch {
		case digit:
		case c == 'e' || c == 'E':
			s.numSt = 6
		default:
			return false
		}
	case 6:
		switch {
		case c == '+' || c == '-':
			s.numSt = 7
		case digit:
			s.numSt = 8
		default:
			return false
		}
	case 7:
		if !digit {
			return false
		}
		s.numSt = 8
	case 8:
		if !digit {
			return false
		}
	}
	return true
}

func (s *syntaxScanner) numberCanEnd() bool {
	return s.numSt == 2 || s.numSt == 3 || s.numSt == 5 || s.numSt == 8
}
