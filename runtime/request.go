package runtime

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"

	"github.com/qapi-go/qapi/internal/qemujson"
)

// Requests. A request is encoded compactly into a reused buffer:
// {"execute":"query-status"}, with no spaces and no "arguments" member
// when the arguments are absent, null or {}; out-of-band requests are
// {"exec-oob":"cmd","arguments":{...},"id":N}.
//
// Every request is checked before it is sent to be one QEMU reads as
// exactly one request (qemujson.Validate: nesting, token count and size
// within the limits of QEMU's JSON streamer, strings QEMU's lexer and
// parser accept). QEMU answers a request it cannot read as one message
// with as many error replies as pieces it splits it into, none of them
// carrying an id; in-band replies are matched to requests by order, so
// such a request would hand every later caller someone else's reply.
// A refused request fails its own call with a *RequestError; nothing is
// written and the session goes on.

// reqBuf is a request buffer with its encoder for the arguments.
type reqBuf struct {
	b   bytes.Buffer
	enc *json.Encoder
}

func (r *reqBuf) init() {
	r.enc = json.NewEncoder(&r.b)
	r.enc.SetEscapeHTML(false)
}

// appendRequest appends the request for command to r.b: prefix (QGA's
// 0xFF) and the request's JSON text followed by "\n". On error r.b is
// left as it was and the error is a *RequestError.
func (r *reqBuf) appendRequest(prefix, command string, args any, oob bool, id uint64) error {
	wb := &r.b
	start := wb.Len()
	wb.WriteString(prefix)
	if oob {
		wb.WriteString(`{"exec-oob":`)
	} else {
		wb.WriteString(`{"execute":`)
	}
	if plainName(command) {
		wb.WriteByte('"')
		wb.WriteString(command)
		wb.WriteByte('"')
	} else {
		b, _ := json.Marshal(command)
		wb.Write(b)
	}
	if args != nil {
		mark := wb.Len()
		wb.WriteString(`,"arguments":`)
		astart := wb.Len()
		var err error
		switch a := args.(type) {
		case json.RawMessage:
			if len(a) == 0 {
				wb.WriteString("null")
			} else {
				err = json.Compact(wb, a)
			}
		default:
			if err = r.enc.Encode(args); err == nil {
				wb.Truncate(wb.Len() - 1) // Encode's newline
			}
		}
		if err != nil {
			wb.Truncate(start)
			return &RequestError{Command: command, Err: err}
		}
		v := wb.Bytes()[astart:]
		switch {
		case string(v) == "null" || string(v) == "{}":
			wb.Truncate(mark)
		case v[0] != '{':
			wb.Truncate(start)
			return &RequestError{Command: command, Err: errNotObject}
		}
	}
	if oob {
		wb.WriteString(`,"id":`)
		var nb [20]byte
		wb.Write(strconv.AppendUint(nb[:0], id, 10))
	}
	wb.WriteByte('}')
	if err := qemujson.Validate(wb.Bytes()[start+len(prefix):]); err != nil {
		wb.Truncate(start)
		return &RequestError{Command: command, Err: err}
	}
	wb.WriteByte('\n')
	return nil
}

var errNotObject = errors.New("arguments are not a JSON object")

func plainName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}
