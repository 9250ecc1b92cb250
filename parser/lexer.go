package parser

import (
	"fmt"
	"unicode"
)

// Tokens of QAPI's JSON dialect. A token is identified by a rune as in
// the reference front end: the structural characters stand for
// themselves, tokString is a single-quoted string, tokTrue/tokFalse the
// two literals, tokComment a comment line (only returned while reading a
// doc comment block), tokEOF the end of the file.
const (
	tokEOF     rune = -1
	tokComment rune = '#'
	tokString  rune = '\''
	tokTrue    rune = 't'
	tokFalse   rune = 'f'
)

// lexer splits one schema file into tokens. It works on code points, not
// bytes, because every column the reference reports counts code points.
type lexer struct {
	src []rune
	// info is the location of the current line. A new SourceInfo is made
	// for every line, and every token on a line shares it.
	info *SourceInfo

	tok     rune   // current token
	str     string // text of tokString, or of tokComment including its '#'s
	pos     int    // index in src of the current token's first code point
	cursor  int    // index in src where lexing resumes
	linePos int    // index in src of the current line's first code point
}

// newLexer prepares a lexer over text, which the caller has decoded and
// newline-normalised already. Like the reference, it makes sure the text
// ends with a newline.
func newLexer(text string, info *SourceInfo) *lexer {
	src := []rune(text)
	if len(src) == 0 || src[len(src)-1] != '\n' {
		src = append(src, '\n')
	}
	return &lexer{src: src, info: info}
}

// column computes the column the reference reports for a position on the
// current line. The reference's tab rule, (col+7)%8+1, wraps columns
// back into 1..8 instead of advancing to the next tab stop; it is kept
// as is so that messages match byte for byte.
func (lx *lexer) column(pos int) int {
	if pos > len(lx.src) {
		pos = len(lx.src)
	}
	col := 1
	for i := lx.linePos; i < pos; i++ {
		if lx.src[i] == '\t' {
			col = (col+7)%8 + 1
		} else {
			col++
		}
	}
	return col
}

// errorAt is a lexical/syntax error positioned at pos on the current line.
func (lx *lexer) errorAt(pos int, format string, args ...any) *Error {
	return &Error{Info: lx.info, Col: lx.column(pos), Msg: fmt.Sprintf(format, args...)}
}

// errorf is a lexical/syntax error at the current token.
func (lx *lexer) errorf(format string, args ...any) *Error {
	return lx.errorAt(lx.pos, format, args...)
}

// accept reads the next token. Comments are skipped unless skipComment is
// false; a comment starting with "##" (a doc comment delimiter) is always
// returned.
func (lx *lexer) accept(skipComment bool) error {
	for {
		if lx.cursor >= len(lx.src) {
			// Only reachable when a caller insists after EOF.
			lx.tok = tokEOF
			lx.pos = len(lx.src) - 1
			return nil
		}
		ch := lx.src[lx.cursor]
		lx.tok = ch
		lx.pos = lx.cursor
		lx.cursor++
		lx.str = ""

		switch {
		case ch == '#':
			if lx.src[lx.cursor] == '#' {
				skipComment = false
			}
			lx.cursor = lx.indexNewline(lx.cursor)
			if !skipComment {
				lx.str = string(lx.src[lx.pos:lx.cursor])
				return nil
			}
		case ch == '{' || ch == '}' || ch == ':' || ch == ',' || ch == '[' || ch == ']':
			return nil
		case ch == '\'':
			return lx.lexString()
		case lx.hasPrefixAt(lx.pos, "true"):
			lx.tok = tokTrue
			lx.cursor += 3
			return nil
		case lx.hasPrefixAt(lx.pos, "false"):
			lx.tok = tokFalse
			lx.cursor += 4
			return nil
		case ch == '\n':
			if lx.cursor == len(lx.src) {
				lx.tok = tokEOF
				return nil
			}
			lx.info = lx.info.WithLine(lx.info.Line + 1)
			lx.linePos = lx.cursor
		case !pyIsSpace(ch):
			end := lx.pos
			for end < len(lx.src) && !isStrayStop(lx.src[end]) {
				end++
			}
			return lx.errorf("stray '%s'", string(lx.src[lx.pos:end]))
		}
	}
}

// lexString reads a single-quoted string whose opening quote is at pos.
// Only printable ASCII is allowed, and the only escape is \\.
func (lx *lexer) lexString() error {
	var buf []rune
	esc := false
	for {
		ch := lx.src[lx.cursor]
		lx.cursor++
		if ch == '\n' {
			return lx.errorf("missing terminating \"'\"")
		}
		if esc {
			if ch != '\\' {
				return lx.errorf("unknown escape \\%c", ch)
			}
			esc = false
		} else if ch == '\\' {
			esc = true
			continue
		} else if ch == '\'' {
			lx.str = string(buf)
			return nil
		}
		if ch < 32 || ch >= 127 {
			return lx.errorf("funny character in string")
		}
		buf = append(buf, ch)
	}
}

func (lx *lexer) indexNewline(from int) int {
	for i := from; i < len(lx.src); i++ {
		if lx.src[i] == '\n' {
			return i
		}
	}
	return len(lx.src) - 1 // unreachable: src ends with '\n'
}

func (lx *lexer) hasPrefixAt(pos int, s string) bool {
	for _, r := range s {
		if pos >= len(lx.src) || lx.src[pos] != r {
			return false
		}
		pos++
	}
	return true
}

// isStrayStop reports whether ch ends the text quoted in a "stray"
// error: a structural character, whitespace or a quote.
func isStrayStop(ch rune) bool {
	switch ch {
	case '[', ']', '{', '}', ':', ',', '\'':
		return true
	}
	return pyIsSpace(ch)
}

// pyIsSpace is Python's str.isspace for one code point (which is also
// what \s matches in a Python str pattern). It differs from
// unicode.IsSpace in counting the information separators U+001C..U+001F.
func pyIsSpace(ch rune) bool {
	if ch >= 0x1c && ch <= 0x1f {
		return true
	}
	return unicode.IsSpace(ch)
}
