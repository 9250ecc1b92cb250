package runtime

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"io"
	"slices"
)

// Framing. QMP and QGA messages are JSON objects, one per line; QEMU ends
// its lines with "\r\n", the agent with "\n". frameReader returns one
// line at a time without its terminator, never holding more than the
// maximum message size (plus one bufio chunk) of a line. Only the
// session's reader goroutine uses it, and nothing interrupts its reads
// but the end of the connection.

// readBufferSize is the bufio buffer of a connection. Replies to common
// commands fit; longer lines are assembled in a separate buffer that is
// released after use, so an idle connection holds only this much.
const readBufferSize = 4096

// keepLineBuffer is the largest assembly buffer kept between messages.
const keepLineBuffer = 64 << 10

// hintFrom is the line length from which the assembly buffer jumps to
// the size of the previous long line (hint) instead of doubling.
const hintFrom = 16 << 10

type frameReader struct {
	r   *bufio.Reader
	max int
	buf []byte
	// hint is the length of the last line longer than hintFrom, with
	// some room: a long line is usually followed by others of its size
	// (schema queries, file reads), so its buffer is allocated once at
	// that size instead of doubling (4+8+...+256 KiB for a 207 KB line).
	hint int
	// consumed counts the bytes read from the connection (nextAgent and
	// skipLine keep it: it bounds a resynchronisation).
	consumed int64
}

func newFrameReader(r io.Reader, max int) *frameReader {
	return &frameReader{r: bufio.NewReaderSize(r, readBufferSize), max: max}
}

// appendLine appends p to the line being assembled (len(f.buf)+len(p)
// is within the limit). The buffer doubles as it grows, up to the limit
// (append's growth of 1.25× for large slices allocated five times the
// size of a long line), or jumps to hint once past hintFrom.
func (f *frameReader) appendLine(p []byte) []byte {
	if cap(f.buf)-len(f.buf) < len(p) {
		n := max(len(p), min(len(f.buf), f.max+2-len(f.buf)), readBufferSize)
		if len(f.buf)+len(p) > hintFrom && f.hint > len(f.buf)+n {
			n = min(f.hint, f.max+2) - len(f.buf)
		}
		f.buf = slices.Grow(f.buf, n)
	}
	return append(f.buf, p...)
}

// take hands the assembly buffer over to the caller when msg (a line
// next or nextAgent just returned, or part of one) lies in it and the
// buffer is one start would drop anyway: the caller keeps the message
// without copying it. It returns nil otherwise (msg is in the bufio
// buffer, or the assembly buffer is kept for the next line).
func (f *frameReader) take(msg []byte) []byte {
	b := f.buf
	if cap(b) <= keepLineBuffer || cap(msg) == 0 || &b[:cap(b)][cap(b)-1] != &msg[:cap(msg)][cap(msg)-1] {
		return nil
	}
	f.setHint()
	f.buf = nil
	return b
}

// setHint records the length of the line in the assembly buffer, which
// is about to be dropped or handed over, with some room to spare.
func (f *frameReader) setHint() {
	if len(f.buf) > hintFrom {
		f.hint = len(f.buf) + len(f.buf)/16
	}
}

// errTooLong is returned by next for a line over the maximum.
var errTooLong = ErrMessageTooLarge

func (f *frameReader) start() {
	if cap(f.buf) > keepLineBuffer {
		f.setHint()
		f.buf = nil
	}
	f.buf = f.buf[:0]
}

// next returns the next line without its "\n" or "\r\n". The slice is
// valid until the next call. A line over the maximum returns errTooLong
// (with the line's start) as soon as the reader has reached the part
// over the limit; the rest of the line is not read. EOF in the middle of
// a line returns io.ErrUnexpectedEOF.
func (f *frameReader) next() ([]byte, error) {
	f.start()
	for {
		line, err := f.r.ReadSlice('\n')
		if err == nil && len(f.buf) == 0 {
			// the common case: the whole line was in the buffer
			line = trimEOL(line)
			if len(line) > f.max {
				return line, errTooLong
			}
			return line, nil
		}
		if len(f.buf)+len(line) > f.max+2 {
			head := f.buf
			if len(head) == 0 {
				head = line
			}
			return head, errTooLong
		}
		f.buf = f.appendLine(line)
		switch err {
		case nil:
			b := trimEOL(f.buf)
			if len(b) > f.max {
				return b, errTooLong
			}
			return b, nil
		case bufio.ErrBufferFull:
		default:
			if err == io.EOF && len(f.buf) > 0 {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
	}
}

// nextAgent is next for the guest agent channel, where a 0xFF byte (the
// agent's synchronisation sentinel, never part of a JSON text) ends a
// line too: it returns the bytes before the next "\n" or 0xFF and that
// terminator. A line over the maximum returns errTooLong with the line's
// start as soon as the reader has reached the part over the limit: the
// rest of it is left unread (skipLine discards it).
func (f *frameReader) nextAgent() (line []byte, term byte, err error) {
	f.start()
	for {
		if _, err := f.r.Peek(1); err != nil {
			if err == io.EOF && len(f.buf) > 0 {
				err = io.ErrUnexpectedEOF
			}
			return nil, 0, err
		}
		b, _ := f.r.Peek(f.r.Buffered())
		i := bytes.IndexByte(b, '\n')
		seg := b
		if i >= 0 {
			seg = b[:i]
		}
		if j := bytes.IndexByte(seg, 0xFF); j >= 0 {
			i, seg = j, seg[:j]
		}
		if len(f.buf)+len(seg) > f.max+1 {
			if len(f.buf) == 0 {
				f.buf = append(f.buf, seg[:min(len(seg), 128)]...)
			}
			return f.buf, 0, errTooLong
		}
		if i >= 0 && len(f.buf) == 0 {
			// the common case: the whole line is in the buffer
			f.discard(i + 1)
			line = trimEOL(seg)
			if len(line) > f.max {
				return line, b[i], errTooLong
			}
			return line, b[i], nil
		}
		f.buf = f.appendLine(seg)
		if i >= 0 {
			term = b[i]
			f.discard(i + 1)
			line = trimEOL(f.buf)
			if len(line) > f.max {
				return line, term, errTooLong
			}
			return line, term, nil
		}
		f.discard(len(b))
	}
}

func (f *frameReader) discard(n int) {
	f.r.Discard(n)
	f.consumed += int64(n)
}

// skipLine discards input up to and including the next "\n" or 0xFF,
// reading at most limit bytes; it returns that terminator, or 0 when it
// found none within limit.
func (f *frameReader) skipLine(limit int64) (byte, error) {
	f.buf = f.buf[:0]
	for n := int64(0); n < limit; {
		if _, err := f.r.Peek(1); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return 0, err
		}
		b, _ := f.r.Peek(f.r.Buffered())
		b = b[:min(int64(len(b)), limit-n)]
		i := bytes.IndexByte(b, '\n')
		if j := bytes.IndexByte(b, 0xFF); j >= 0 && (i < 0 || j < i) {
			i = j
		}
		if i >= 0 {
			term := b[i]
			f.discard(i + 1)
			return term, nil
		}
		f.discard(len(b))
		n += int64(len(b))
	}
	return 0, nil
}

func trimEOL(b []byte) []byte {
	n := len(b)
	if n > 0 && b[n-1] == '\n' {
		n--
		if n > 0 && b[n-1] == '\r' {
			n--
		}
	}
	return b[:n]
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func trimSpace(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// fields are the raw values of the top-level members of a message that
// the session looks at; a nil slice means the member is absent.
type fields struct {
	ret, err, event, id, qmp, data, timestamp []byte
}

// decodeMessage checks that msg is one valid JSON object and finds its
// top-level members. It never panics, whatever msg holds.
//
// It checks and walks msg in one pass (the grammar json.Valid accepts,
// nesting limit included): replies of several megabytes (guest file
// reads) were costing a json.Valid pass and a second walk.
func decodeMessage(msg []byte) (fields, error) {
	var f fields
	msg = trimSpace(msg)
	if len(msg) == 0 || msg[0] != '{' {
		return f, protoErr("message is not a JSON object", msg, nil)
	}
	malformed := func() (fields, error) { return fields{}, protoErr("malformed JSON", msg, nil) }
	i := skipSpace(msg, 1)
	if i < len(msg) && msg[i] == '}' {
		i++
	} else {
		for {
			if i >= len(msg) || msg[i] != '"' {
				return malformed()
			}
			ks := i
			i = validString(msg, i)
			if i < 0 {
				return malformed()
			}
			key := msg[ks+1 : i-1]
			i = skipSpace(msg, i)
			if i >= len(msg) || msg[i] != ':' {
				return malformed()
			}
			i = skipSpace(msg, i+1)
			vs := i
			i = validValue(msg, i, 1)
			if i < 0 {
				return malformed()
			}
			v := msg[vs:i]
			switch string(key) {
			case "return":
				f.ret = v
			case "error":
				f.err = v
			case "event":
				f.event = v
			case "id":
				f.id = v
			case "QMP":
				f.qmp = v
			case "data":
				f.data = v
			case "timestamp":
				f.timestamp = v
			}
			i = skipSpace(msg, i)
			if i < len(msg) && msg[i] == ',' {
				i = skipSpace(msg, i+1)
				continue
			}
			if i < len(msg) && msg[i] == '}' {
				i++
				break
			}
			return malformed()
		}
	}
	if i != len(msg) { // msg is trimmed: anything left is garbage
		return malformed()
	}
	return f, nil
}

// maxDepth is encoding/json's nesting limit, which json.Valid enforces.
const maxDepth = 10000

// validValue checks the JSON value at b[i] (no leading space), nested
// depth containers deep, and returns the index after it, or -1 when it
// is malformed.
func validValue(b []byte, i, depth int) int {
	if i >= len(b) {
		return -1
	}
	switch c := b[i]; c {
	case '"':
		return validString(b, i)
	case '{', '[':
		if depth++; depth > maxDepth {
			return -1
		}
		end := byte('}')
		if c == '[' {
			end = ']'
		}
		i = skipSpace(b, i+1)
		if i < len(b) && b[i] == end {
			return i + 1
		}
		for {
			if c == '{' {
				if i >= len(b) || b[i] != '"' {
					return -1
				}
				if i = validString(b, i); i < 0 {
					return -1
				}
				i = skipSpace(b, i)
				if i >= len(b) || b[i] != ':' {
					return -1
				}
				i = skipSpace(b, i+1)
			}
			if i = validValue(b, i, depth); i < 0 {
				return -1
			}
			i = skipSpace(b, i)
			if i >= len(b) {
				return -1
			}
			switch b[i] {
			case ',':
				i = skipSpace(b, i+1)
			case end:
				return i + 1
			default:
				return -1
			}
		}
	case 't':
		return literal(b, i, "true")
	case 'f':
		return literal(b, i, "false")
	case 'n':
		return literal(b, i, "null")
	}
	return validNumber(b, i)
}

func literal(b []byte, i int, lit string) int {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return -1
	}
	return i + len(lit)
}

// validString checks the string starting at b[i] == '"' and returns the
// index after it, or -1. Like encoding/json, it accepts any byte from
// 0x20 up (invalid UTF-8 included) and rejects control characters and
// unknown escapes.
func validString(b []byte, i int) int {
	for i++; i < len(b); {
		// The fast path: a run of plain characters (base64 payloads),
		// eight bytes at a time while none of them is a control
		// character, '"' or '\\' (exact SWAR tests: a word's high bit
		// set in t means such a byte is among its eight).
		for len(b)-i >= 8 {
			x := binary.LittleEndian.Uint64(b[i:])
			q, e := x^(lo8*'"'), x^(lo8*'\\')
			if ((x-lo8*0x20)&^x|(q-lo8)&^q|(e-lo8)&^e)&hi8 != 0 {
				break
			}
			i += 8
		}
		for i < len(b) && b[i] >= 0x20 && b[i] != '"' && b[i] != '\\' {
			i++
		}
		if i >= len(b) {
			return -1
		}
		switch b[i] {
		case '"':
			return i + 1
		case '\\':
			if i+1 >= len(b) {
				return -1
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if len(b)-i < 6 {
					return -1
				}
				for _, h := range b[i+2 : i+6] {
					if !(h >= '0' && h <= '9' || h >= 'a' && h <= 'f' || h >= 'A' && h <= 'F') {
						return -1
					}
				}
				i += 6
			default:
				return -1
			}
		default: // a control character
			return -1
		}
	}
	return -1
}

const (
	lo8 = 0x0101010101010101
	hi8 = 0x8080808080808080
)

// validNumber checks the number at b[i] and returns the index after it,
// or -1.
func validNumber(b []byte, i int) int {
	digits := func(i int) int {
		j := i
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
		}
		if j == i {
			return -1
		}
		return j
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	if i >= len(b) {
		return -1
	}
	if b[i] == '0' {
		i++
	} else if i = digits(i); i < 0 {
		return -1
	}
	if i < len(b) && b[i] == '.' {
		if i = digits(i + 1); i < 0 {
			return -1
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i = digits(i); i < 0 {
			return -1
		}
	}
	return i
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// skipString returns the index after the string starting at b[i] == '"'.
func skipString(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(b)
}

// skipValue returns the index after the (valid) value starting at b[i].
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return i
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				i = skipString(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return i
	}
	for i < len(b) {
		switch b[i] {
		case ',', '}', ']', ' ', '\t', '\r', '\n':
			return i
		}
		i++
	}
	return i
}

// unquote returns the contents of a JSON string value; escapes are
// decoded the slow way.
func unquote(v []byte) (string, bool) {
	if len(v) < 2 || v[0] != '"' {
		return "", false
	}
	if bytes.IndexByte(v, '\\') < 0 {
		return string(v[1 : len(v)-1]), true
	}
	var s string
	if json.Unmarshal(v, &s) != nil {
		return "", false
	}
	return s, true
}
