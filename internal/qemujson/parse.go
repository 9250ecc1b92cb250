package qemujson

import (
	"unicode/utf8"
)

// parser is QEMU's json-parser.c over the tokens of one text, writing the
// value as standard JSON. The first error wins, as in QEMU (parse_error
// keeps the first), and its text is QEMU's.
type parser struct {
	toks []token
	text []byte
	pos  int
	err  string

	out       []byte
	keys      []byte // decoded keys of the objects being parsed
	members   []Member
	offs      []memberOffsets // of the top-level members
	topObject bool
	depth     int
}

type memberOffsets struct{ k0, k1, v0, v1 int }

func (p *parser) reset(toks []token, text []byte) {
	p.toks, p.text, p.pos, p.err = toks, text, 0, ""
	p.out, p.keys, p.members, p.offs = p.out[:0], p.keys[:0], p.members[:0], p.offs[:0]
	p.topObject, p.depth = false, 0
}

// release drops buffers a large text grew, keeping small ones.
func (p *parser) release() {
	if cap(p.out) > keepBuffer {
		p.out = nil
	}
	if cap(p.keys) > keepBuffer {
		p.keys = nil
	}
	if cap(p.members) > 256 {
		p.members, p.offs = nil, nil
	}
	p.toks, p.text = nil, nil
}

func (p *parser) fail(msg string) bool {
	if p.err == "" {
		p.err = msg
	}
	return false
}

func (p *parser) peek() (tokenType, bool) {
	if p.pos >= len(p.toks) {
		return 0, false
	}
	return p.toks[p.pos].typ, true
}

// pop returns the next token's type and text.
func (p *parser) pop() (tokenType, []byte, bool) {
	if p.pos >= len(p.toks) {
		return 0, nil, false
	}
	start := uint32(0)
	if p.pos > 0 {
		start = p.toks[p.pos-1].end
	}
	t := p.toks[p.pos]
	p.pos++
	return t.typ, p.text[start:t.end], true
}

func (p *parser) parseValue(top bool) bool {
	typ, ok := p.peek()
	if !ok {
		return p.fail("premature EOI")
	}
	switch typ {
	case tokLCurly:
		if top {
			p.topObject = true
		}
		return p.parseObject(top)
	case tokLSquare:
		return p.parseArray()
	case tokInteger, tokFloat:
		_, text, _ := p.pop()
		p.out = append(p.out, text...)
		return true
	case tokString:
		_, text, _ := p.pop()
		return p.parseString(text, false)
	case tokKeyword:
		_, text, _ := p.pop()
		switch string(text) {
		case "true", "false", "null":
			p.out = append(p.out, text...)
			return true
		}
		return p.fail("invalid keyword '" + string(text) + "'")
	}
	return p.fail("expecting value")
}

func (p *parser) parseObject(top bool) bool {
	p.pop() // '{'
	p.out = append(p.out, '{')
	p.depth++
	keysStart := len(p.keys)
	var spans [][2]int // this object's keys in p.keys
	var seen map[string]struct{}
	typ, ok := p.peek()
	if !ok {
		return p.fail("premature EOI")
	}
	if typ == tokRCurly {
		p.pop()
		p.out = append(p.out, '}')
		p.depth--
		return true
	}
	for n := 0; ; n++ {
		if n > 0 {
			p.out = append(p.out, ',')
		}
		// parse_pair
		if _, ok := p.peek(); !ok {
			return p.fail("premature EOI")
		}
		keyTyp, _ := p.peek()
		keyOut := len(p.out)
		if !p.parseValue(false) {
			return false
		}
		if keyTyp != tokString {
			return p.fail("key is not a string in object")
		}
		keyStart := len(p.keys)
		p.keys = appendDecoded(p.keys, p.out[keyOut:])
		key := p.keys[keyStart:]
		typ, _, ok := p.pop()
		if !ok {
			return p.fail("premature EOI")
		}
		if typ != tokColon {
			return p.fail("missing : in object pair")
		}
		p.out = append(p.out, ':')
		valOut := len(p.out)
		if !p.parseValue(false) {
			return p.fail("Missing value in dict")
		}
		// Duplicate check: linear while the object is small, a map after.
		// Keys of nested objects were dropped from p.keys when those
		// ended, so this key is still at keyStart.
		key = p.keys[keyStart : keyStart+len(key)]
		dup := false
		if seen == nil && len(spans) < 16 {
			for _, sp := range spans {
				if string(p.keys[sp[0]:sp[1]]) == string(key) {
					dup = true
					break
				}
			}
		} else {
			if seen == nil {
				seen = make(map[string]struct{}, 2*len(spans))
				for _, sp := range spans {
					seen[string(p.keys[sp[0]:sp[1]])] = struct{}{}
				}
			}
			if _, dup = seen[string(key)]; !dup {
				seen[string(key)] = struct{}{}
			}
		}
		spans = append(spans, [2]int{keyStart, keyStart + len(key)})
		if dup {
			return p.fail("duplicate key")
		}
		if top {
			p.offs = append(p.offs, memberOffsets{keyStart, keyStart + len(key), valOut, len(p.out)})
		}
		typ, _, ok = p.pop()
		if !ok {
			return p.fail("premature EOI")
		}
		if typ == tokRCurly {
			break
		}
		if typ != tokComma {
			return p.fail("expected separator in dict")
		}
	}
	p.out = append(p.out, '}')
	p.depth--
	if !top {
		p.keys = p.keys[:keysStart]
	}
	if top {
		// out and keys may have been reallocated since a member was
		// recorded: make the slices from offsets now.
		for _, o := range p.offs {
			p.members = append(p.members, Member{Key: p.keys[o.k0:o.k1:o.k1], Value: p.out[o.v0:o.v1:o.v1]})
		}
	}
	return true
}

func (p *parser) parseArray() bool {
	p.pop() // '['
	p.out = append(p.out, '[')
	p.depth++
	typ, ok := p.peek()
	if !ok {
		return p.fail("premature EOI")
	}
	if typ == tokRSquare {
		p.pop()
		p.out = append(p.out, ']')
		p.depth--
		return true
	}
	for n := 0; ; n++ {
		if n > 0 {
			p.out = append(p.out, ',')
		}
		if !p.parseValue(false) {
			return p.fail("expecting value")
		}
		typ, _, ok := p.pop()
		if !ok {
			return p.fail("premature EOI")
		}
		if typ == tokRSquare {
			break
		}
		if typ != tokComma {
			return p.fail("expected separator in list")
		}
	}
	p.out = append(p.out, ']')
	p.depth--
	return true
}

// parseString is QEMU's parse_string: the token (with its quotes, single
// or double) is decoded with QEMU's escapes and modified UTF-8 and
// written as a standard JSON string.
func (p *parser) parseString(tok []byte, _ bool) bool {
	quote := tok[0]
	body := tok[1 : len(tok)-1]
	// Fast path: double-quoted printable ASCII without escapes is already
	// standard JSON.
	plain := quote == '"'
	for _, c := range body {
		if c == '\\' || c >= 0x80 {
			plain = false
			break
		}
	}
	if plain {
		p.out = append(p.out, tok...)
		return true
	}
	p.out = append(p.out, '"')
	for i := 0; i < len(body); {
		c := body[i]
		switch {
		case c == '\\':
			beg := i
			i++
			e := body[i] // the lexer guarantees a byte after '\'
			i++
			switch e {
			case '"':
				p.out = append(p.out, '\\', '"')
			case '\'':
				p.out = append(p.out, '\'')
			case '\\':
				p.out = append(p.out, '\\', '\\')
			case '/':
				p.out = append(p.out, '/')
			case 'b':
				p.out = append(p.out, '\\', 'b')
			case 'f':
				p.out = append(p.out, '\\', 'f')
			case 'n':
				p.out = append(p.out, '\\', 'n')
			case 'r':
				p.out = append(p.out, '\\', 'r')
			case 't':
				p.out = append(p.out, '\\', 't')
			case 'u':
				cp := qhex4(body, i)
				i += 4
				if cp >= 0xD800 && cp <= 0xDBFF && i+1 < len(body) && body[i] == '\\' && body[i+1] == 'u' {
					cp = 0x10000 + (cp&0x3FF)<<10
					if tr := qhex4(body, i+2); tr >= 0xDC00 && tr <= 0xDFFF {
						cp |= tr & 0x3FF
						i += 6
					} else {
						cp = -1
					}
				}
				if !ValidCodePoint(rune(cp)) {
					// QEMU prints the escape as far as it read it, up to
					// the end of the token's text.
					end := min(i, len(body)+1)
					shown := string(tok[1+beg : 1+end])
					return p.fail(shown + " is not a valid Unicode character")
				}
				p.out = appendRune(p.out, cp)
			default:
				return p.fail("invalid escape sequence in string")
			}
		case c < utf8.RuneSelf:
			if c == '"' {
				p.out = append(p.out, '\\', '"')
			} else {
				p.out = append(p.out, c)
			}
			i++
		default:
			cp, n := modUTF8Codepoint(body[i:])
			if cp < 0 {
				return p.fail("invalid UTF-8 sequence in string")
			}
			if cp == 0 {
				p.out = append(p.out, `\u0000`...)
			} else {
				p.out = append(p.out, body[i:i+n]...)
			}
			i += n
		}
	}
	p.out = append(p.out, '"')
	return true
}

// qhex4 is QEMU's cvt4hex on body[i:]; bytes past the end read as NUL.
func qhex4(body []byte, i int) int {
	cp := 0
	for k := 0; k < 4; k++ {
		var c byte
		if i+k < len(body) {
			c = body[i+k]
		}
		switch {
		case c >= '0' && c <= '9':
			cp = cp<<4 | int(c-'0')
		case c >= 'a' && c <= 'f':
			cp = cp<<4 | int(c-'a'+10)
		case c >= 'A' && c <= 'F':
			cp = cp<<4 | int(c-'A'+10)
		default:
			return -1
		}
	}
	return cp
}

// appendRune writes a valid code point into a standard JSON string.
func appendRune(out []byte, cp int) []byte {
	switch {
	case cp < 0x20:
		const hex = "0123456789abcdef"
		return append(out, '\\', 'u', '0', '0', hex[cp>>4], hex[cp&0xF])
	case cp == '"':
		return append(out, '\\', '"')
	case cp == '\\':
		return append(out, '\\', '\\')
	}
	return utf8.AppendRune(out, rune(cp))
}

// modUTF8Codepoint is QEMU's mod_utf8_codepoint: it decodes one sequence
// of modified UTF-8 (where U+0000 is "\xC0\x80") and returns the code
// point, or -1, and the bytes consumed.
func modUTF8Codepoint(s []byte) (int, int) {
	if len(s) == 0 || s[0] == 0 {
		return -1, 0
	}
	b := s[0]
	switch {
	case b < 0x80:
		return int(b), 1
	case b >= 0xFE, b&0x40 == 0:
		return -1, 1
	}
	n := 0
	mask := byte(0x80)
	for ; b&mask != 0; mask >>= 1 {
		n++
	}
	cp := int(b & (mask - 1))
	i := 1
	for ; i < n; i++ {
		if i >= len(s) || s[i]&0xC0 != 0x80 {
			return -1, i
		}
		cp = cp<<6 | int(s[i]&0x3F)
	}
	minCP := [...]int{0x80, 0x800, 0x10000, 0x200000, 0x4000000}
	if !ValidCodePoint(rune(cp)) || cp < minCP[n-2] && !(cp == 0 && n == 2) {
		return -1, i
	}
	return cp, i
}

// appendDecoded appends the decoded text of the standard JSON string enc.
func appendDecoded(dst, enc []byte) []byte {
	body := enc[1 : len(enc)-1]
	for i := 0; i < len(body); i++ {
		c := body[i]
		if c != '\\' {
			dst = append(dst, c)
			continue
		}
		i++
		switch body[i] {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			dst = append(dst, byte(qhex4(body, i+1)))
			i += 4
		default: // '"', '\\'
			dst = append(dst, body[i])
		}
	}
	return dst
}
