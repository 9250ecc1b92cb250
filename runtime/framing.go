package runtime

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
)

// Framing. QMP and QGA messages are JSON objects, one per line; QEMU ends
// its lines with "\r\n", the agent with "\n". frameReader returns one
// line at a time without its terminator, never holding more than the
// maximum message size (plus one bufio chunk) of a line.

// readBufferSize is the bufio buffer of a connection. Replies to common
// commands fit; longer lines are assembled in a separate buffer that is
// released after use, so an idle connection holds only this much.
const readBufferSize = 4096

// keepLineBuffer is the largest assembly buffer kept between messages.
const keepLineBuffer = 64 << 10

type frameReader struct {
	r   *bufio.Reader
	max int
	buf []byte
	// A read interrupted by a deadline (a caller's context) leaves its
	// partial line in buf: partial says so, and tooLong that the line is
	// being skipped.
	partial, tooLong bool
}

func newFrameReader(r io.Reader, max int) *frameReader {
	return &frameReader{r: bufio.NewReaderSize(r, readBufferSize), max: max}
}

// errTooLong is returned by next for a line over the maximum.
var errTooLong = ErrMessageTooLarge

func (f *frameReader) start() {
	if !f.partial {
		if cap(f.buf) > keepLineBuffer {
			f.buf = nil
		}
		f.buf = f.buf[:0]
		f.tooLong = false
	}
}

// next returns the next line without its "\n" or "\r\n". The slice is
// valid until the next call. A line over the maximum returns errTooLong
// (with the line's start) once the reader has reached the part over the
// limit; the rest of the line is not read. EOF in the middle of a line
// returns io.ErrUnexpectedEOF. Any other read error (a deadline) leaves
// the partial line for the next call.
func (f *frameReader) next() ([]byte, error) {
	f.start()
	for {
		line, err := f.r.ReadSlice('\n')
		if err == nil && len(f.buf) == 0 {
			// the common case: the whole line was in the buffer
			f.partial = false
			line = trimEOL(line)
			if len(line) > f.max {
				return line, errTooLong
			}
			return line, nil
		}
		if len(f.buf)+len(line) > f.max+2 {
			f.partial = false
			head := f.buf
			if len(head) == 0 {
				head = line
			}
			return head, errTooLong
		}
		f.buf = append(f.buf, line...)
		switch err {
		case nil:
			f.partial = false
			b := trimEOL(f.buf)
			if len(b) > f.max {
				return b, errTooLong
			}
			return b, nil
		case bufio.ErrBufferFull:
			f.partial = true
		default:
			f.partial = len(f.buf) > 0
			if err == io.EOF && f.partial {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
	}
}

// nextAgent is next for the guest agent channel, where a 0xFF byte (the
// agent's synchronisation sentinel, never part of a JSON text) ends a
// line too: it returns the bytes before the next "\n" or 0xFF and that
// terminator. A line over the maximum is skipped, never buffered: the
// reader discards it up to its terminator and returns errTooLong with the
// line's start (term tells what ended it).
func (f *frameReader) nextAgent() (line []byte, term byte, err error) {
	f.start()
	for {
		if _, err := f.r.Peek(1); err != nil {
			f.partial = len(f.buf) > 0 || f.tooLong
			if err == io.EOF && f.partial {
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
		if !f.tooLong {
			if len(f.buf)+len(seg) > f.max+1 {
				f.tooLong = true
				if len(f.buf) == 0 {
					f.buf = append(f.buf, seg[:min(len(seg), 128)]...)
				}
			} else if i >= 0 && len(f.buf) == 0 {
				// the common case: the whole line is in the buffer
				f.r.Discard(i + 1)
				f.partial = false
				line = trimEOL(seg)
				if len(line) > f.max {
					return line, b[i], errTooLong
				}
				return line, b[i], nil
			} else {
				f.buf = append(f.buf, seg...)
			}
		}
		if i >= 0 {
			term = b[i]
			f.r.Discard(i + 1)
			f.partial = false
			if f.tooLong {
				return f.buf, term, errTooLong
			}
			line = trimEOL(f.buf)
			if len(line) > f.max {
				return line, term, errTooLong
			}
			return line, term, nil
		}
		f.r.Discard(len(b))
	}
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
func decodeMessage(msg []byte) (fields, error) {
	var f fields
	msg = trimSpace(msg)
	if len(msg) == 0 || msg[0] != '{' {
		return f, protoErr("message is not a JSON object", msg, nil)
	}
	if !json.Valid(msg) {
		return f, protoErr("malformed JSON", msg, nil)
	}
	// msg is a valid object: walk its members without re-validating.
	i := 1
	for {
		i = skipSpace(msg, i)
		if i >= len(msg) || msg[i] == '}' {
			return f, nil
		}
		if msg[i] == ',' {
			i = skipSpace(msg, i+1)
		}
		ks := i
		i = skipString(msg, i)
		key := msg[ks+1 : i-1]
		i = skipSpace(msg, i)
		i = skipSpace(msg, i+1) // ':'
		vs := i
		i = skipValue(msg, i)
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
	}
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
