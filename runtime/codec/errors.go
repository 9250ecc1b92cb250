package codec

import (
	"fmt"
	"reflect"
	"strings"
)

// Error is a decoding or encoding error: what went wrong, where in the
// JSON (a path such as [3].members[0].type and, when decoding, the byte
// offset) and in which Go type.
type Error struct {
	Type   reflect.Type // the type Marshal or Unmarshal was given
	Path   string       // JSON path of the value, "" for the top level
	Offset int          // byte offset in the input (decoding), or -1
	Msg    string
	// Want is, for a JSON value of the wrong kind, the Go type it was
	// to be decoded into (so that a server can say what it expected, as
	// QEMU does); nil for other errors.
	Want reflect.Type
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("codec: ")
	if e.Offset >= 0 {
		b.WriteString("decoding ")
	} else {
		b.WriteString("encoding ")
	}
	if e.Type != nil {
		b.WriteString(e.Type.String())
	}
	if e.Path != "" {
		b.WriteString(" at ")
		b.WriteString(e.Path)
	}
	if e.Offset >= 0 {
		fmt.Fprintf(&b, " (offset %d)", e.Offset)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// pathError is an error on its way up: each enclosing object or array
// adds its path segment.
type pathError struct {
	segs   []string // innermost first
	offset int
	msg    string
	want   reflect.Type // see Error.Want
	// replayed marks an error in a member decoded when the union's
	// discriminator arrived: its path is complete below the union.
	replayed bool
}

func (e *pathError) Error() string { return e.msg }

func (e *pathError) finish(t reflect.Type) *Error {
	var b strings.Builder
	for i := len(e.segs) - 1; i >= 0; i-- {
		b.WriteString(e.segs[i])
	}
	p := b.String()
	p = strings.TrimPrefix(p, ".")
	return &Error{Type: t, Path: p, Offset: e.offset, Msg: e.msg, Want: e.want}
}

// inMember adds an object member to err's path.
func inMember(err error, name string) error {
	if pe, ok := err.(*pathError); ok {
		pe.segs = append(pe.segs, "."+name)
	}
	return err
}

// inElement adds an array index to err's path.
func inElement(err error, i int) error {
	if pe, ok := err.(*pathError); ok {
		pe.segs = append(pe.segs, fmt.Sprintf("[%d]", i))
	}
	return err
}
