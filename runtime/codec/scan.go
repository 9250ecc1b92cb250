package codec

import (
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// maxDepth bounds the nesting of arrays and objects, so that hostile
// input cannot exhaust the stack.
const maxDepth = 10000

// jsonKind is the kind of a JSON value, told by its first byte.
type jsonKind uint8

const (
	jsonInvalid jsonKind = iota
	jsonNull
	jsonString
	jsonNumber
	jsonBool
	jsonObject
	jsonArray
)

var kindNames = [...]string{"invalid JSON", "null", "a string", "a number", "a boolean", "an object", "an array"}

func (k jsonKind) String() string { return kindNames[k] }

func kindOf(c byte) jsonKind {
	switch c {
	case 'n':
		return jsonNull
	case '"':
		return jsonString
	case 't', 'f':
		return jsonBool
	case '{':
		return jsonObject
	case '[':
		return jsonArray
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return jsonNumber
	}
	return jsonInvalid
}

// scanner reads JSON text; every method validates what it consumes.
type scanner struct {
	data  []byte
	off   int
	depth int
}

func (s *scanner) errorf(format string, args ...any) error {
	return &pathError{offset: s.off, msg: fmt.Sprintf(format, args...)}
}

func (s *scanner) skipSpace() {
	for s.off < len(s.data) {
		switch s.data[s.off] {
		case ' ', '\t', '\r', '\n':
			s.off++
		default:
			return
		}
	}
}

// peek returns the kind of the value at the offset (after space).
func (s *scanner) peek() jsonKind {
	s.skipSpace()
	if s.off >= len(s.data) {
		return jsonInvalid
	}
	return kindOf(s.data[s.off])
}

func (s *scanner) unexpected(what string) error {
	if s.off >= len(s.data) {
		return s.errorf("unexpected end of JSON input, looking for %s", what)
	}
	return s.errorf("invalid character %s looking for %s", quoteChar(s.data[s.off]), what)
}

func quoteChar(c byte) string {
	if c == '\'' {
		return `'\''`
	}
	if c == '"' {
		return `'"'`
	}
	q := strconv.Quote(string(rune(c)))
	if c >= utf8.RuneSelf {
		q = fmt.Sprintf(`"\x%02x"`, c)
	}
	return "'" + q[1:len(q)-1] + "'"
}

// consume expects byte c (after space).
func (s *scanner) consume(c byte, what string) error {
	s.skipSpace()
	if s.off < len(s.data) && s.data[s.off] == c {
		s.off++
		return nil
	}
	return s.unexpected(what)
}

// literal consumes lit ("null", "true", "false") at the offset.
func (s *scanner) literal(lit string) error {
	if len(s.data)-s.off >= len(lit) && string(s.data[s.off:s.off+len(lit)]) == lit {
		s.off += len(lit)
		return nil
	}
	for i := 0; i < len(lit); i++ {
		if s.off+i >= len(s.data) || s.data[s.off+i] != lit[i] {
			s.off += i
			return s.unexpected("literal " + lit)
		}
	}
	return nil // not reached
}

// number consumes a JSON number and returns its text.
func (s *scanner) number() ([]byte, error) {
	start := s.off
	d := s.data
	i := s.off
	if i < len(d) && d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case i < len(d) && d[i] >= '1' && d[i] <= '9':
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
	default:
		s.off = i
		return nil, s.unexpected("a digit")
	}
	if i < len(d) && d[i] == '.' {
		i++
		if i >= len(d) || d[i] < '0' || d[i] > '9' {
			s.off = i
			return nil, s.unexpected("a digit after the decimal point")
		}
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if i >= len(d) || d[i] < '0' || d[i] > '9' {
			s.off = i
			return nil, s.unexpected("a digit in the exponent")
		}
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
	}
	s.off = i
	return d[start:i], nil
}

// rawString consumes a string and returns its contents between the
// quotes, still escaped, and whether it has escapes or bytes that are
// not valid UTF-8 (then it needs unquote).
func (s *scanner) rawString() (raw []byte, plain bool, err error) {
	d := s.data
	if s.off >= len(d) || d[s.off] != '"' {
		return nil, false, s.unexpected("a string")
	}
	start := s.off + 1
	plain = true
	for i := start; i < len(d); {
		c := d[i]
		switch {
		case c == '"':
			s.off = i + 1
			return d[start:i], plain, nil
		case c == '\\':
			plain = false
			if i+1 >= len(d) {
				s.off = i + 1
				return nil, false, s.unexpected("an escaped character")
			}
			switch d[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				for j := i + 2; j < i+6; j++ {
					if j >= len(d) || !isHex(d[j]) {
						s.off = j
						return nil, false, s.unexpected("a hexadecimal digit in a \\u escape")
					}
				}
				i += 6
			default:
				s.off = i + 1
				return nil, false, s.errorf("invalid escape %s in string", quoteChar(d[i+1]))
			}
		case c < 0x20:
			s.off = i
			return nil, false, s.errorf("invalid control character %s in string", quoteChar(c))
		case c < utf8.RuneSelf:
			i++
		default:
			r, size := utf8.DecodeRune(d[i:])
			if r == utf8.RuneError && size == 1 {
				plain = false
			}
			i += size
		}
	}
	s.off = len(d)
	return nil, false, s.unexpected("the end of a string")
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// string consumes a string and returns its value; invalid UTF-8 becomes
// U+FFFD, as with encoding/json.
func (s *scanner) string() (string, error) {
	raw, plain, err := s.rawString()
	if err != nil {
		return "", err
	}
	if plain {
		return string(raw), nil
	}
	return string(unquote(raw)), nil
}

// unquote decodes the escapes of raw, which rawString validated.
func unquote(raw []byte) []byte {
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); {
		c := raw[i]
		switch {
		case c == '\\':
			switch raw[i+1] {
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				r := hex4(raw[i+2 : i+6])
				i += 6
				if utf16.IsSurrogate(r) {
					if i+6 <= len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
						if r2 := utf16.DecodeRune(r, hex4(raw[i+2:i+6])); r2 != utf8.RuneError {
							out = utf8.AppendRune(out, r2)
							i += 6
							continue
						}
					}
					r = utf8.RuneError
				}
				out = utf8.AppendRune(out, r)
				continue
			default: // '"', '\\', '/'
				out = append(out, raw[i+1])
			}
			i += 2
		case c < utf8.RuneSelf:
			out = append(out, c)
			i++
		default:
			r, size := utf8.DecodeRune(raw[i:])
			out = utf8.AppendRune(out, r) // RuneError for invalid bytes
			i += size
		}
	}
	return out
}

func hex4(b []byte) rune {
	var r rune
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		default:
			c = c - 'A' + 10
		}
		r = r<<4 | rune(c)
	}
	return r
}

// skip consumes one JSON value of any kind, validating it.
func (s *scanner) skip() error {
	s.skipSpace()
	if s.off >= len(s.data) {
		return s.unexpected("beginning of value")
	}
	switch s.data[s.off] {
	case '"':
		_, _, err := s.rawString()
		return err
	case 'n':
		return s.literal("null")
	case 't':
		return s.literal("true")
	case 'f':
		return s.literal("false")
	case '{':
		if err := s.enter(); err != nil {
			return err
		}
		s.off++
		s.skipSpace()
		if s.off < len(s.data) && s.data[s.off] == '}' {
			s.off++
			s.depth--
			return nil
		}
		for {
			s.skipSpace()
			if _, _, err := s.rawString(); err != nil {
				return err
			}
			if err := s.consume(':', "':' after object key"); err != nil {
				return err
			}
			if err := s.skip(); err != nil {
				return err
			}
			if end, err := s.next('}'); err != nil || end {
				s.depth--
				return err
			}
		}
	case '[':
		if err := s.enter(); err != nil {
			return err
		}
		s.off++
		s.skipSpace()
		if s.off < len(s.data) && s.data[s.off] == ']' {
			s.off++
			s.depth--
			return nil
		}
		for {
			if err := s.skip(); err != nil {
				return err
			}
			if end, err := s.next(']'); err != nil || end {
				s.depth--
				return err
			}
		}
	}
	if kindOf(s.data[s.off]) != jsonNumber {
		return s.unexpected("beginning of value")
	}
	_, err := s.number()
	return err
}

// enter counts one more level of nesting.
func (s *scanner) enter() error {
	s.depth++
	if s.depth > maxDepth {
		return s.errorf("nested deeper than %d levels", maxDepth)
	}
	return nil
}

// next consumes the ',' between elements (end false) or the closing
// byte (end true).
func (s *scanner) next(closing byte) (end bool, err error) {
	s.skipSpace()
	if s.off < len(s.data) {
		switch s.data[s.off] {
		case ',':
			s.off++
			return false, nil
		case closing:
			s.off++
			return true, nil
		}
	}
	if closing == '}' {
		return false, s.unexpected("',' or '}' after object member")
	}
	return false, s.unexpected("',' or ']' after array element")
}
