package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"reflect"

	"github.com/qapi-go/qapi/internal/qemujson"
	"github.com/qapi-go/qapi/runtime"
	"github.com/qapi-go/qapi/runtime/codec"
)

// Request is one command a client sent. It is also the context a handler
// runs with: it carries the connection's context (cancelled when the
// connection ends or the server shuts down), so a Command's Run gets the
// same value as ctx and req, and a generated Server's method, which only
// gets a context, finds it with RequestFrom.
type Request struct {
	context.Context

	// Command is the command's name.
	Command string
	// ID is the request's "id" member as QEMU would echo it, nil when it
	// had none; the session echoes it by itself.
	ID json.RawMessage
	// OOB reports a request sent with "exec-oob".
	OOB bool
	// Args is the "arguments" member as standard JSON (QEMU's extensions,
	// such as single-quoted strings, are already translated), nil when
	// absent.
	Args json.RawMessage
	// Files are the file descriptors that arrived (SCM_RIGHTS, on unix
	// sockets) with the request, as QEMU's getfd and add-fd receive
	// them. Take them with TakeFiles; those left are closed after the
	// command returns.
	Files []*os.File
	// Conn is the session the request arrived on: handlers send events to
	// their client through it.
	Conn *Conn

	refused string // why a queued request was refused before naming a command
}

type requestKey struct{}

// Value makes a *Request find itself (RequestFrom) and otherwise defers
// to the connection's context.
func (r *Request) Value(key any) any {
	if key == (requestKey{}) {
		return r
	}
	return r.Context.Value(key)
}

// RequestFrom returns the request a handler's context belongs to, nil
// when ctx is not (derived from) one.
func RequestFrom(ctx context.Context) *Request {
	if r, ok := ctx.(*Request); ok {
		return r
	}
	r, _ := ctx.Value(requestKey{}).(*Request)
	return r
}

// TakeFiles returns the request's files and leaves none: the caller owns
// them (and closes them).
func (r *Request) TakeFiles() []*os.File {
	f := r.Files
	r.Files = nil
	return f
}

// Decode decodes the arguments into v (a pointer). A member of the wrong
// JSON type is the GenericError QEMU sends ("Invalid parameter type for
// 'x', expected: integer"); absent arguments decode as {}. (Missing and
// unknown members of a command with Command.CheckParams were refused
// before Run was called.)
func (r *Request) Decode(v any) error {
	if err := codec.Unmarshal(argsOrEmpty(r.Args), v); err != nil {
		return decodeError(err)
	}
	return nil
}

// checkParams checks the top-level members of the object args (nil when
// absent) against
// params, in QEMU's order: members in the order the visitor visits them
// (missing ones), then whatever is left over (unexpected ones).
func checkParams(params []Param, args []byte) error {
	var members map[string]json.RawMessage
	// Absent arguments (most queries) are {}: nothing to decode.
	if len(args) > 0 {
		if err := json.Unmarshal(args, &members); err != nil {
			return decodeError(err)
		}
	}
	for _, p := range params {
		if _, ok := members[p.Name]; !ok && !p.Optional {
			return Error(runtime.GenericError, "Parameter '"+p.Name+"' is missing")
		}
	}
	if len(members) > 0 {
		known := make(map[string]bool, len(params))
		for _, p := range params {
			known[p.Name] = true
		}
		// With several unexpected members QEMU names the first in the
		// order of a GLib hash table; this names the first in byte order.
		first := ""
		for k := range members {
			if !known[k] && (first == "" || k < first) {
				first = k
			}
		}
		if first != "" {
			return Error(runtime.GenericError, "Parameter '"+first+"' is unexpected")
		}
	}
	return nil
}

// decodeError turns a decoding error (runtime/codec's, or encoding/json's
// from checkParams) into QEMU's wording.
func decodeError(err error) error {
	var ce *codec.Error
	if errors.As(err, &ce) && ce.Want != nil {
		return invalidType(ce.Path, ce.Want)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return invalidType(te.Field, te.Type)
	}
	return Error(runtime.GenericError, err.Error())
}

// invalidType is QEMU's error for a member whose JSON type is wrong.
func invalidType(field string, want reflect.Type) error {
	if field == "" {
		field = "null"
	}
	return Error(runtime.GenericError, "Invalid parameter type for '"+field+"', expected: "+qapiKind(want))
}

// qapiKind names a Go type as QEMU's visitor names the JSON type it
// expects.
func qapiKind(t reflect.Type) string {
	if t == nil {
		return "value"
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Bool:
		return "boolean"
	case reflect.String:
		return "string"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Struct, reflect.Map:
		return "object"
	case reflect.Pointer:
		return qapiKind(t.Elem())
	}
	return "value"
}

// parseRequest is QEMU's qmp_dispatch_check_obj on a message: it fills
// req or returns QEMU's description of what is wrong with it. allowOOB
// is whether "exec-oob" is a known member (QMP with oob negotiated).
func parseRequest(m *qemujson.Message, allowOOB bool, req *Request, order []int) (string, []int) {
	if !m.IsObject {
		return "QMP input must be a JSON object", order
	}
	req.ID = m.Get("id") // echoed even when the request is refused
	order = qemujson.DictOrder(m.Members, order)
	execKey := ""
	for _, i := range order {
		mem := &m.Members[i]
		switch key := string(mem.Key); {
		case key == "id":
		case key == "execute" || key == "exec-oob" && allowOOB:
			if mem.Value[0] != '"' {
				return "QMP input member '" + key + "' must be a string", order
			}
			if execKey != "" {
				return "QMP input member '" + key + "' clashes with '" + execKey + "'", order
			}
			execKey = key
			req.Command = decodeString(mem.Value)
			req.OOB = key == "exec-oob"
		case key == "arguments":
			if mem.Value[0] != '{' {
				return "QMP input member 'arguments' must be an object", order
			}
			req.Args = mem.Value
		default:
			return "QMP input member '" + key + "' is unexpected", order
		}
	}
	if execKey == "" {
		return "QMP input lacks member 'execute'", order
	}
	return "", order
}

// decodeString decodes a standard JSON string.
func decodeString(v []byte) string {
	if bytes.IndexByte(v, '\\') < 0 {
		return string(v[1 : len(v)-1])
	}
	var s string
	json.Unmarshal(v, &s) // valid: the streamer wrote it
	return s
}
