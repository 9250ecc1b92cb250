package fakepeer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"unicode/utf16"
	"unicode/utf8"
)

// kind says what the stream splitter found in the client's byte stream.
type kind int

const (
	kindJSON    kind = iota // one complete JSON object or array
	kindSync                // a 0xFF byte (QGA resynchronisation)
	kindGarbage             // bytes that cannot start or continue a JSON value
	kindEOF                 // the client closed its side, or reading failed
)

// msg is one unit of input, in arrival order.
type msg struct {
	kind  kind
	raw   []byte
	files []*os.File
	err   error // kindEOF: the read error
}

// maxInput bounds one incoming JSON text, so that a runaway client cannot
// make the fake peer buffer without limit.
const maxInput = 64 << 20

// splitter cuts a byte stream into JSON texts the way QEMU's JSON
// streamer does: no line framing is needed (QEMU accepts requests without
// a newline), whitespace between values is ignored, a 0xFF byte resets
// the parser (throwing away a partial value) and stray bytes are errors.
type splitter struct {
	cur     []byte
	depth   int
	inStr   bool
	esc     bool
	garbage bool
	files   []*os.File // received, not yet attached to a message
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func (s *splitter) emit(out []msg, k kind) []msg {
	m := msg{kind: k, raw: s.cur}
	if k == kindJSON && len(s.files) > 0 {
		m.files, s.files = s.files, nil
	}
	s.cur, s.depth, s.inStr, s.esc, s.garbage = nil, 0, false, false, false
	return append(out, m)
}

// feed consumes b and appends the complete messages it finished to out.
func (s *splitter) feed(b []byte, out []msg) []msg {
	for _, c := range b {
		if c == 0xFF {
			// The byte resets the parser: a partial value before it is
			// dropped, which is its purpose, not an error.
			raw := append(s.cur, 0xFF)
			s.cur, s.depth, s.inStr, s.esc, s.garbage = nil, 0, false, false, false
			out = append(out, msg{kind: kindSync, raw: raw})
			continue
		}
		if s.garbage {
			if isSpace(c) || c == '{' || c == '[' {
				out = s.emit(out, kindGarbage)
			} else {
				s.cur = append(s.cur, c)
				continue
			}
		}
		if s.depth == 0 {
			switch {
			case isSpace(c):
			case c == '{' || c == '[':
				s.cur = append(s.cur, c)
				s.depth = 1
			default:
				s.cur = append(s.cur, c)
				s.garbage = true
			}
			continue
		}
		s.cur = append(s.cur, c)
		if len(s.cur) > maxInput {
			out = s.emit(out, kindGarbage)
			continue
		}
		if s.inStr {
			switch {
			case s.esc:
				s.esc = false
			case c == '\\':
				s.esc = true
			case c == '"':
				s.inStr = false
			}
			continue
		}
		switch c {
		case '"':
			s.inStr = true
		case '{', '[':
			s.depth++
		case '}', ']':
			s.depth--
			if s.depth == 0 {
				out = s.emit(out, kindJSON)
			}
		}
	}
	return out
}

// flush ends the stream: a partial value is reported as garbage.
func (s *splitter) flush(out []msg) []msg {
	if len(s.cur) > 0 {
		out = s.emit(out, kindGarbage)
	}
	return out
}

// parseRequest decodes one JSON text as a QMP/QGA request. On failure it
// returns the description QEMU would put in its GenericError reply.
func parseRequest(raw []byte) (Request, string) {
	req := Request{Raw: raw}
	if !json.Valid(raw) {
		return req, "JSON parse error, invalid JSON"
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(raw, &members); err != nil {
		return req, "QMP input must be a JSON object"
	}
	if id, ok := members["id"]; ok {
		req.ID = id
	}
	exec, hasExec := members["execute"]
	oob, hasOOB := members["exec-oob"]
	switch {
	case hasExec && hasOOB:
		return req, "QMP input member 'execute' and 'exec-oob' are mutually exclusive"
	case hasOOB:
		exec, req.OOB = oob, true
	case !hasExec:
		return req, "QMP input lacks member 'execute'"
	}
	if err := json.Unmarshal(exec, &req.Command); err != nil {
		if req.OOB {
			return req, "QMP input member 'exec-oob' must be a string"
		}
		return req, "QMP input member 'execute' must be a string"
	}
	if args, ok := members["arguments"]; ok {
		if t := bytes.TrimSpace(args); len(t) == 0 || t[0] != '{' {
			return req, "QMP input member 'arguments' must be an object"
		}
		req.Args = args
	}
	for name := range members {
		switch name {
		case "execute", "exec-oob", "arguments", "id":
		default:
			return req, fmt.Sprintf("QMP input member '%s' is unexpected", name)
		}
	}
	return req, ""
}

// qemuStyle reformats compact JSON the way QEMU prints it: a space after
// every ':' and ',' outside strings ({"return": {}, "id": 1}), and only
// ASCII: other characters in strings become \uXXXX escapes (surrogate
// pairs beyond the BMP), as QEMU's JSON writer does.
func qemuStyle(compact []byte) []byte {
	out := make([]byte, 0, len(compact)+len(compact)/8)
	inStr, esc := false, false
	for i := 0; i < len(compact); i++ {
		c := compact[i]
		if inStr && c >= utf8.RuneSelf {
			r, size := utf8.DecodeRune(compact[i:])
			i += size - 1
			if r1, r2 := utf16.EncodeRune(r); r1 != utf8.RuneError {
				out = fmt.Appendf(out, `\u%04x\u%04x`, r1, r2)
			} else {
				out = fmt.Appendf(out, `\u%04x`, r)
			}
			continue
		}
		out = append(out, c)
		if inStr {
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				inStr = false
			}
			continue
		}
		switch c {
		case '"':
			inStr = true
		case ':', ',':
			out = append(out, ' ')
		}
	}
	return out
}

// marshal encodes v as compact JSON; nil encodes as an empty object, which
// is what QEMU returns for commands without a return value.
func marshal(v any) ([]byte, error) {
	if v == nil {
		return []byte("{}"), nil
	}
	var enc bytes.Buffer
	e := json.NewEncoder(&enc)
	e.SetEscapeHTML(false)
	if err := e.Encode(v); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, enc.Bytes()); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
