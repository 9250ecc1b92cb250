package parser

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
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

// lexer splits one schema file into tokens.
//
// It scans bytes, not code points: every token of the dialect is ASCII,
// so only white space and stray text can be multi-byte, and those are
// decoded where met. Token and comment texts are substrings of src (no
// copies). Columns, which the reference counts in code points, are
// computed from byte offsets only when an error needs one.
type lexer struct {
	src string // valid UTF-8, ends with '\n'

	// The location of the current line is made only when asked for
	// (lineInfo): most lines are never asked about, and a SourceInfo per
	// line was a large share of the front end's allocations.
	base  *SourceInfo   // the file's first line
	line  int           // current line number
	info  *SourceInfo   // location of the current line
	infoL int           // line info was made for
	slab  *[]SourceInfo // preallocated SourceInfos for lineInfo, nil: none

	tok     rune   // current token
	str     string // text of tokString, or of tokComment including its '#'s (other tokens: stale)
	pos     int    // byte offset in src of the current token
	cursor  int    // byte offset in src where lexing resumes
	linePos int    // byte offset in src of the current line's start
}

// newLexer prepares a lexer over text, which the caller has decoded and
// newline-normalised already. Like the reference, it makes sure the text
// ends with a newline.
func newLexer(text string, info *SourceInfo) *lexer {
	if !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	return &lexer{src: text, base: info, line: info.Line, info: info, infoL: info.Line}
}

// lineInfo returns the location of the current line. Every caller on the
// same line gets the same *SourceInfo, as in the reference (which makes
// one per line): a definition's SetDefn is seen by everything that
// shares its line.
func (lx *lexer) lineInfo() *SourceInfo {
	if lx.infoL != lx.line {
		// Made in batches shared by the include tree's lexers: one
		// allocation serves many lines. (A batch stays alive as long as
		// any of its SourceInfos, which is about as long as the schema.)
		var info *SourceInfo
		if lx.slab == nil {
			info = new(SourceInfo)
		} else {
			if len(*lx.slab) == 0 {
				*lx.slab = make([]SourceInfo, 64)
			}
			info = &(*lx.slab)[0]
			*lx.slab = (*lx.slab)[1:]
		}
		// Field by field: copying a whole SourceInfo costs a bulk
		// write barrier.
		b := lx.base
		info.File, info.Line, info.Parent, info.Pragma = b.File, lx.line, b.Parent, b.Pragma
		info.DefnMeta, info.DefnName = b.DefnMeta, b.DefnName
		lx.info = info
		lx.infoL = lx.line
	}
	return lx.info
}

// column computes the column the reference reports for byte offset pos
// on the current line: code points are counted, not bytes. The
// reference's tab rule, (col+7)%8+1, wraps columns back into 1..8
// instead of advancing to the next tab stop; it is kept as is so that
// messages match byte for byte.
func (lx *lexer) column(pos int) int {
	if pos > len(lx.src) {
		pos = len(lx.src)
	}
	col := 1
	for i := lx.linePos; i < pos; i++ {
		switch c := lx.src[i]; {
		case c == '\t':
			col = (col+7)%8 + 1
		case c&0xc0 != 0x80: // not a UTF-8 continuation byte
			col++
		}
	}
	return col
}

// runeOffset returns the byte offset n code points after byte offset
// from (at most len(src)).
func (lx *lexer) runeOffset(from, n int) int {
	for ; n > 0 && from < len(lx.src); n-- {
		_, size := utf8.DecodeRuneInString(lx.src[from:])
		from += size
	}
	return from
}

// errorAt is a lexical/syntax error positioned at byte offset pos on the
// current line.
func (lx *lexer) errorAt(pos int, format string, args ...any) *Error {
	return &Error{Info: lx.lineInfo(), Col: lx.column(pos), Msg: fmt.Sprintf(format, args...)}
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
		lx.tok = rune(ch)
		lx.pos = lx.cursor
		lx.cursor++

		switch ch {
		case ' ', '\t':
			// The common white space first, indentation in runs.
			for lx.src[lx.cursor] == ' ' {
				lx.cursor++
			}
		case '#':
			if lx.src[lx.cursor] == '#' {
				skipComment = false
			}
			lx.cursor = lx.indexNewline(lx.cursor)
			if !skipComment {
				lx.str = lx.src[lx.pos:lx.cursor]
				return nil
			}
		case '{', '}', ':', ',', '[', ']':
			return nil
		case '\'':
			return lx.lexString()
		case '\n':
			if lx.cursor == len(lx.src) {
				lx.tok = tokEOF
				return nil
			}
			lx.line++
			lx.linePos = lx.cursor
		default:
			switch {
			case strings.HasPrefix(lx.src[lx.pos:], "true"):
				lx.tok = tokTrue
				lx.cursor += 3
				return nil
			case strings.HasPrefix(lx.src[lx.pos:], "false"):
				lx.tok = tokFalse
				lx.cursor += 4
				return nil
			}
			r, size := rune(ch), 1
			if ch >= utf8.RuneSelf {
				r, size = utf8.DecodeRuneInString(lx.src[lx.pos:])
			}
			if !pyIsSpace(r) {
				return lx.errorf("stray '%s'", lx.src[lx.pos:lx.strayEnd(lx.pos)])
			}
			lx.cursor = lx.pos + size
		}
	}
}

// strayEnd returns the byte offset where the text quoted in a "stray"
// error starting at pos ends.
func (lx *lexer) strayEnd(pos int) int {
	for pos < len(lx.src) {
		r, size := utf8.DecodeRuneInString(lx.src[pos:])
		if isStrayStop(r) {
			break
		}
		pos += size
	}
	return pos
}

// lexString reads a single-quoted string whose opening quote is at pos.
// Only printable ASCII is allowed, and the only escape is \\. A string
// without escapes (nearly all) is a substring of src.
func (lx *lexer) lexString() error {
	start := lx.cursor
	var buf []byte // the text so far, once an escape has been met
	esc := false
	for {
		if !esc && buf == nil {
			// Skip the plain characters of an escape-free string.
			for c := lx.src[lx.cursor]; c >= 32 && c < 127 && c != '\\' && c != '\''; c = lx.src[lx.cursor] {
				lx.cursor++
			}
		}
		ch := lx.src[lx.cursor]
		lx.cursor++
		if ch == '\n' {
			return lx.errorf("missing terminating \"'\"")
		}
		if esc {
			if ch != '\\' {
				r, _ := utf8.DecodeRuneInString(lx.src[lx.cursor-1:])
				return lx.errorf("unknown escape \\%c", r)
			}
			esc = false
		} else if ch == '\\' {
			if buf == nil {
				buf = append(make([]byte, 0, 64), lx.src[start:lx.cursor-1]...)
			}
			esc = true
			continue
		} else if ch == '\'' {
			if buf == nil {
				lx.str = lx.src[start : lx.cursor-1]
			} else {
				lx.str = string(buf)
			}
			return nil
		}
		if ch < 32 || ch >= 127 {
			return lx.errorf("funny character in string")
		}
		if buf != nil {
			buf = append(buf, ch)
		}
	}
}

func (lx *lexer) indexNewline(from int) int {
	if i := strings.IndexByte(lx.src[from:], '\n'); i >= 0 {
		return from + i
	}
	return len(lx.src) - 1 // unreachable: src ends with '\n'
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
