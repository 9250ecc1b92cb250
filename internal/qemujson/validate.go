package qemujson

import (
	"encoding/binary"
	"strconv"
	"unicode/utf8"
)

// Error says why QEMU would not read a JSON text as one valid message,
// and where.
type Error struct {
	// Offset is the index of the offending byte in the text.
	Offset int
	// Reason says what is wrong.
	Reason string
}

func (e *Error) Error() string {
	return "byte " + strconv.Itoa(e.Offset) + ": " + e.Reason
}

// Validate reports whether b, one JSON text, is a message QEMU's JSON
// streamer delimits as exactly one message and its parser accepts: it
// returns nil, or an *Error saying what is wrong and where.
//
// It checks the JSON grammar (RFC 8259: QEMU's extensions, single-quoted
// strings and \' escapes, are refused), the streamer's limits
// (MaxNesting, MaxTokenCount, MaxTokenSize) and every string: valid
// UTF-8 (which excludes the bytes 0xFE and 0xFF that the lexer rejects)
// and no code point QEMU refuses (ValidCodePoint), whether written as
// bytes or as \u escapes. It accepts a subset of what QEMU accepts: QEMU
// also reads the overlong "\xC0\x80" as U+0000, which Validate refuses.
// It does not allocate.
func Validate(b []byte) error {
	v := validator{b: b}
	return v.run()
}

// validator walks a text once, without recursion: open records, one bit
// per level, whether each open container is an object.
type validator struct {
	b      []byte
	i      int
	tokens int
	size   int // bytes of the tokens so far
	depth  int
	open   [MaxNesting/64 + 1]uint64
}

func (v *validator) fail(at int, reason string) error {
	return &Error{Offset: at, Reason: reason}
}

// token counts the token b[start:v.i] against the streamer's limits, in
// the streamer's order: size first, then count.
func (v *validator) token(start int) error {
	v.size += v.i - start
	if v.size+1 > MaxTokenSize {
		return v.fail(start, "over QEMU's limit of "+strconv.Itoa(MaxTokenSize-1)+" bytes of JSON tokens in one message")
	}
	if v.tokens++; v.tokens > MaxTokenCount {
		return v.fail(start, "over QEMU's limit of "+strconv.Itoa(MaxTokenCount)+" JSON tokens in one message")
	}
	return nil
}

func (v *validator) skipSpace() {
	for v.i < len(v.b) {
		switch v.b[v.i] {
		case ' ', '\t', '\n', '\r':
			v.i++
		default:
			return
		}
	}
}

func (v *validator) inObject() bool {
	d := v.depth - 1
	return v.open[d/64]&(1<<(d%64)) != 0
}

// punct consumes the one-byte token c at v.i, or fails with what.
func (v *validator) punct(c byte, what string) error {
	if v.i >= len(v.b) {
		return v.fail(v.i, "unexpected end of JSON, expecting "+what)
	}
	if v.b[v.i] != c {
		return v.fail(v.i, "unexpected "+quoteByte(v.b[v.i])+", expecting "+what)
	}
	v.i++
	return v.token(v.i - 1)
}

// key consumes an object member's key and its colon.
func (v *validator) key() error {
	v.skipSpace()
	if v.i >= len(v.b) || v.b[v.i] != '"' {
		if v.i >= len(v.b) {
			return v.fail(v.i, "unexpected end of JSON, expecting a string key")
		}
		return v.fail(v.i, "unexpected "+quoteByte(v.b[v.i])+", expecting a string key")
	}
	if err := v.str(); err != nil {
		return err
	}
	v.skipSpace()
	return v.punct(':', "':'")
}

func (v *validator) run() error {
	for {
		// A value is expected at v.i.
		v.skipSpace()
		if v.i >= len(v.b) {
			return v.fail(v.i, "unexpected end of JSON, expecting a value")
		}
		start := v.i
		switch c := v.b[v.i]; c {
		case '{', '[':
			v.i++
			if err := v.token(start); err != nil {
				return err
			}
			if v.depth++; v.depth > MaxNesting {
				return v.fail(start, "nested deeper than QEMU's limit of "+strconv.Itoa(MaxNesting)+" arrays and objects")
			}
			d := v.depth - 1
			v.open[d/64] &^= 1 << (d % 64)
			if c == '{' {
				v.open[d/64] |= 1 << (d % 64)
			}
			v.skipSpace()
			if v.i < len(v.b) && (c == '{' && v.b[v.i] == '}' || c == '[' && v.b[v.i] == ']') {
				v.i++
				if err := v.token(v.i - 1); err != nil {
					return err
				}
				v.depth--
				break
			}
			if c == '{' {
				if err := v.key(); err != nil {
					return err
				}
			}
			continue
		case '"':
			if err := v.str(); err != nil {
				return err
			}
		case 't', 'f', 'n':
			if err := v.keyword(); err != nil {
				return err
			}
		default:
			if err := v.number(); err != nil {
				return err
			}
		}
		// After a value: close containers, or go on to the next member
		// or element.
		for {
			v.skipSpace()
			if v.depth == 0 {
				if v.i < len(v.b) {
					return v.fail(v.i, "unexpected "+quoteByte(v.b[v.i])+" after the JSON value")
				}
				return nil
			}
			end, what := byte(']'), "',' or ']'"
			if v.inObject() {
				end, what = '}', "',' or '}'"
			}
			if v.i < len(v.b) && v.b[v.i] == end {
				v.i++
				if err := v.token(v.i - 1); err != nil {
					return err
				}
				v.depth--
				continue
			}
			if err := v.punct(',', what); err != nil {
				return err
			}
			if v.inObject() {
				if err := v.key(); err != nil {
					return err
				}
			}
			break
		}
	}
}

func (v *validator) keyword() error {
	start := v.i
	for v.i < len(v.b) && v.b[v.i] >= 'a' && v.b[v.i] <= 'z' {
		v.i++
	}
	switch string(v.b[start:v.i]) {
	case "true", "false", "null":
		return v.token(start)
	}
	return v.fail(start, "invalid literal "+strconv.Quote(string(v.b[start:v.i])))
}

func (v *validator) number() error {
	start := v.i
	b := v.b
	digits := func() bool {
		j := v.i
		for v.i < len(b) && b[v.i] >= '0' && b[v.i] <= '9' {
			v.i++
		}
		return v.i > j
	}
	bad := func() error {
		if v.i >= len(b) {
			return v.fail(v.i, "unexpected end of JSON in a number")
		}
		if v.i == start {
			return v.fail(v.i, "unexpected "+quoteByte(b[v.i])+", expecting a value")
		}
		return v.fail(v.i, "unexpected "+quoteByte(b[v.i])+" in a number")
	}
	if v.i < len(b) && b[v.i] == '-' {
		v.i++
	}
	if v.i < len(b) && b[v.i] == '0' {
		v.i++
	} else if v.i >= len(b) || b[v.i] < '1' || b[v.i] > '9' || !digits() {
		return bad()
	}
	if v.i < len(b) && b[v.i] == '.' {
		v.i++
		if !digits() {
			return bad()
		}
	}
	if v.i < len(b) && (b[v.i] == 'e' || b[v.i] == 'E') {
		v.i++
		if v.i < len(b) && (b[v.i] == '+' || b[v.i] == '-') {
			v.i++
		}
		if !digits() {
			return bad()
		}
	}
	return v.token(start)
}

// str consumes the string at v.i (v.b[v.i] == '"').
func (v *validator) str() error {
	start := v.i
	b := v.b
	i := v.i + 1
	for {
		// ASCII runs are the common case (names, base64 data): eight
		// bytes at a time while none is a control character, '"', '\\'
		// or a byte from 0x80 (exact SWAR tests: the high bit of a byte
		// of t is set when that byte is one of them).
		for len(b)-i >= 8 {
			x := binary.LittleEndian.Uint64(b[i:])
			q, e := x^(lo8*'"'), x^(lo8*'\\')
			if (x|(x-lo8*0x20)&^x|(q-lo8)&^q|(e-lo8)&^e)&hi8 != 0 {
				break
			}
			i += 8
		}
		for i < len(b) && b[i] >= 0x20 && b[i] < 0x80 && b[i] != '"' && b[i] != '\\' {
			i++
		}
		if i >= len(b) {
			return v.fail(start, "unterminated string")
		}
		switch c := b[i]; {
		case c == '"':
			v.i = i + 1
			return v.token(start)
		case c == '\\':
			n, err := v.escape(i)
			if err != nil {
				return err
			}
			i += n
		case c < 0x20:
			return v.fail(i, "control character "+quoteByte(c)+" in a string")
		default:
			r, n := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && n == 1 {
				if Resets(c) {
					return v.fail(i, "byte "+quoteByte(c)+" in a string: QEMU's lexer rejects it")
				}
				return v.fail(i, "invalid UTF-8 in a string")
			}
			if !ValidCodePoint(r) {
				return v.fail(i, "code point "+codePoint(r)+" in a string: QEMU rejects noncharacters")
			}
			i += n
		}
	}
}

// escape checks the escape sequence at b[i] == '\\' and returns its
// length.
func (v *validator) escape(i int) (int, error) {
	b := v.b
	if i+1 >= len(b) {
		return 0, v.fail(i, "unterminated string")
	}
	switch b[i+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return 2, nil
	case 'u':
	default:
		return 0, v.fail(i, "invalid escape "+strconv.Quote(string(b[i:i+2]))+" in a string")
	}
	cp := qhex4(b, i+2)
	if cp < 0 {
		return 0, v.fail(i, "invalid \\u escape in a string")
	}
	r := rune(cp)
	n := 6
	if r >= 0xD800 && r <= 0xDBFF {
		if t := rune(qhex4(b, i+8)); i+7 < len(b) && b[i+6] == '\\' && b[i+7] == 'u' && t >= 0xDC00 && t <= 0xDFFF {
			r = 0x10000 + (r-0xD800)<<10 + (t - 0xDC00)
			n = 12
		}
	}
	if !ValidCodePoint(r) {
		return 0, v.fail(i, strconv.Quote(string(b[i:i+n]))+" in a string: QEMU accepts no surrogate or noncharacter code point")
	}
	return n, nil
}

const (
	lo8 = 0x0101010101010101
	hi8 = 0x8080808080808080
)

func quoteByte(c byte) string {
	if c >= 0x20 && c < 0x7F {
		return strconv.QuoteRune(rune(c))
	}
	return "0x" + strconv.FormatUint(uint64(c)|0x100, 16)[1:]
}

func codePoint(r rune) string {
	s := strconv.FormatUint(uint64(r), 16)
	for len(s) < 4 {
		s = "0" + s
	}
	return "U+" + s
}
