package qemujson

import "unicode/utf8"

// The writer formats JSON as QEMU's json-writer.c prints it (without
// pretty-printing): ": " after keys, ", " between members and elements,
// and strings in ASCII, with every character outside 0x20-0x7E written as
// an upper-case \uXXXX escape (surrogate pairs beyond the BMP) except the
// short escapes \" \\ \b \f \n \r \t. Bytes that are not (modified) UTF-8
// become \uFFFD, as in QEMU.

const upperHex = "0123456789ABCDEF"

// AppendString appends s as a QEMU JSON string.
func AppendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < 0x7F && c != '"' && c != '\\' {
			dst = append(dst, c)
			i++
			continue
		}
		cp, n := 0, 1
		if c < utf8.RuneSelf {
			cp = int(c)
		} else {
			cp, n = modUTF8CodepointString(s[i:])
			if cp < 0 {
				cp = 0xFFFD
			}
			if n == 0 {
				n = 1
			}
		}
		i += n
		dst = appendEscaped(dst, cp)
	}
	return append(dst, '"')
}

func modUTF8CodepointString(s string) (int, int) {
	var b [6]byte
	n := copy(b[:], s)
	return modUTF8Codepoint(b[:n])
}

func appendEscaped(dst []byte, cp int) []byte {
	switch cp {
	case '"':
		return append(dst, '\\', '"')
	case '\\':
		return append(dst, '\\', '\\')
	case '\b':
		return append(dst, '\\', 'b')
	case '\f':
		return append(dst, '\\', 'f')
	case '\n':
		return append(dst, '\\', 'n')
	case '\r':
		return append(dst, '\\', 'r')
	case '\t':
		return append(dst, '\\', 't')
	}
	if cp > 0xFFFF {
		cp -= 0x10000
		dst = appendU(dst, 0xD800+cp>>10)
		return appendU(dst, 0xDC00+cp&0x3FF)
	}
	if cp < 0x20 || cp >= 0x7F {
		return appendU(dst, cp)
	}
	return append(dst, byte(cp))
}

func appendU(dst []byte, v int) []byte {
	return append(dst, '\\', 'u', upperHex[v>>12&0xF], upperHex[v>>8&0xF], upperHex[v>>4&0xF], upperHex[v&0xF])
}

// AppendQEMUStyle appends the standard JSON text src (as encoding/json
// writes it, compact or not) in QEMU's format. src must be valid JSON.
func AppendQEMUStyle(dst, src []byte) []byte {
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch c {
		case ' ', '\t', '\r', '\n':
		case ':', ',':
			dst = append(dst, c, ' ')
		case '"':
			i = appendStringFrom(&dst, src, i)
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// appendStringFrom re-encodes the standard JSON string starting at
// src[i] and returns the index of its closing quote.
func appendStringFrom(dst *[]byte, src []byte, i int) int {
	d := append(*dst, '"')
	i++
	for i < len(src) {
		c := src[i]
		switch {
		case c == '"':
			*dst = append(d, '"')
			return i
		case c >= 0x20 && c < 0x7F && c != '\\':
			d = append(d, c)
			i++
		case c == '\\':
			e := src[i+1]
			i += 2
			switch e {
			case 'b':
				d = appendEscaped(d, '\b')
			case 'f':
				d = appendEscaped(d, '\f')
			case 'n':
				d = appendEscaped(d, '\n')
			case 'r':
				d = appendEscaped(d, '\r')
			case 't':
				d = appendEscaped(d, '\t')
			case 'u':
				cp := qhex4(src, i)
				i += 4
				if cp >= 0xD800 && cp <= 0xDBFF && i+1 < len(src) && src[i] == '\\' && src[i+1] == 'u' {
					if tr := qhex4(src, i+2); tr >= 0xDC00 && tr <= 0xDFFF {
						cp = 0x10000 + (cp&0x3FF)<<10 | tr&0x3FF
						i += 6
					}
				}
				if cp >= 0xD800 && cp <= 0xDFFF {
					cp = 0xFFFD
				}
				d = appendEscaped(d, cp)
			default: // '"', '\\', '/'
				d = appendEscaped(d, int(e))
			}
		default:
			r, n := utf8.DecodeRune(src[i:])
			i += n
			d = appendEscaped(d, int(r))
		}
	}
	*dst = d
	return i
}
