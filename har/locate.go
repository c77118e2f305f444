package har

import (
	"bufio"
	"errors"
	"io"
	"unicode/utf8"
)

// Locate fills in the line and column of a *FormatError in err by reading the document
// again from r up to the error's offset; the reader keeps only offsets while it streams.
// For a JSON syntax error it first finds the faulty byte, which needs r to be an
// io.ReadSeeker (an *os.File, a *strings.Reader…). Columns count characters (runes), from
// 1. err is returned as it was when it is no FormatError or r fails.
func Locate(err error, r io.Reader) error {
	var fe *FormatError
	if !errors.As(err, &fe) || fe.Line > 0 {
		return err
	}
	var rs io.Reader = r
	if fe.syntax {
		// The reader knows roughly where the decoder stopped; find the byte at fault. The
		// document is read twice: once to find it, once (below) to count lines.
		seeker, ok := r.(io.Seeker)
		if !ok {
			return err
		}
		if at := firstSyntaxError(r); at >= 0 {
			fe.Offset = at
		}
		if _, serr := seeker.Seek(0, io.SeekStart); serr != nil {
			return err
		}
	}
	br := bufio.NewReaderSize(rs, 64<<10)
	line, col := 1, 1
	var pending []byte // an incomplete UTF-8 sequence
	for off := int64(0); off < fe.Offset; off++ {
		b, rerr := br.ReadByte()
		if rerr != nil {
			fe.Offset = off // the document is shorter than the decoder thought
			break
		}
		if b == '\n' {
			line, col, pending = line+1, 1, pending[:0]
			continue
		}
		if b < utf8.RuneSelf {
			col++
			continue
		}
		pending = append(pending, b)
		if utf8.FullRune(pending) || len(pending) >= utf8.UTFMax {
			col++
			pending = pending[:0]
		}
	}
	fe.Line, fe.Column = line, col
	return err
}
