package runtime

import (
	"errors"
	"io/fs"
	"strconv"
)

// ErrorClass is the "class" member of a QMP or QGA error reply. The
// classes QEMU sends are the constants below; a *CommandError matches its
// class with errors.Is:
//
//	if errors.Is(err, runtime.DeviceNotFound) { ... }
type ErrorClass string

// The error classes QEMU's QAPI defines (qapi/error.json, QapiErrorClass).
const (
	GenericError    ErrorClass = "GenericError"
	CommandNotFound ErrorClass = "CommandNotFound"
	DeviceNotActive ErrorClass = "DeviceNotActive"
	DeviceNotFound  ErrorClass = "DeviceNotFound"
	KVMMissingCap   ErrorClass = "KVMMissingCap"
)

// Error makes an ErrorClass usable as an errors.Is target.
func (c ErrorClass) Error() string { return string(c) }

// CommandError is an error reply from the peer: the command ran (or was
// refused) and the connection is fine.
type CommandError struct {
	// Command is the command that failed.
	Command string
	// Class is the error class, one of the ErrorClass constants or a
	// class a newer QEMU introduced.
	Class ErrorClass
	// Desc is QEMU's human-readable description.
	Desc string
}

func (e *CommandError) Error() string {
	s := string(e.Class) + ": " + e.Desc
	if e.Command != "" {
		s = e.Command + ": " + s
	}
	return s
}

// Is reports whether target is e's class, or a *CommandError with the
// same class (and, when target's Desc is set, the same description), or
// the io/fs error (fs.ErrNotExist, fs.ErrExist, fs.ErrPermission) of
// the system error the description ends with ("...: No such file or
// directory").
func (e *CommandError) Is(target error) bool {
	switch target {
	case fs.ErrNotExist, fs.ErrExist, fs.ErrPermission:
		return errnoIs(e.Desc, target)
	}
	switch t := target.(type) {
	case ErrorClass:
		return e.Class == t
	case *CommandError:
		return t != nil && e.Class == t.Class && (t.Desc == "" || t.Desc == e.Desc) &&
			(t.Command == "" || t.Command == e.Command)
	}
	return false
}

// ProtocolError reports a peer that broke the protocol: a message that is
// not JSON, is not an object, is larger than the maximum message size, or
// does not fit the conversation (a greeting that is not one, a reply
// shaped wrongly). On a QMP session a protocol error fails the connection;
// on a QGA session it fails the call in progress and the session
// resynchronises before the next call.
type ProtocolError struct {
	// Msg says what was wrong.
	Msg string
	// Data is the start of the offending message (at most 128 bytes),
	// when there is one.
	Data []byte
	// Err is an underlying error, if any.
	Err error

	proto string // "qga" on a QGA session; "" means "qmp"
}

func (e *ProtocolError) Error() string {
	s := protoName(e.proto) + " protocol error: " + e.Msg
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	if len(e.Data) > 0 {
		s += ": " + strconv.Quote(string(e.Data))
	}
	return s
}

func (e *ProtocolError) Unwrap() error { return e.Err }

func protoErr(msg string, data []byte, err error) *ProtocolError {
	if len(data) > 128 {
		data = data[:128]
	}
	return &ProtocolError{Msg: msg, Data: append([]byte(nil), data...), Err: err}
}

// protoName names the protocol in error messages: the session's proto,
// "qmp" when unset.
func protoName(proto string) string {
	if proto == "" {
		return "qmp"
	}
	return proto
}

// qgaErr labels a *ProtocolError made by code shared with QMP sessions
// as a QGA one.
func qgaErr(err error) error {
	if e, ok := err.(*ProtocolError); ok && e.proto == "" {
		e.proto = "qga"
	}
	return err
}

// ErrClosed is the cause of a ConnError after the session's Close.
var ErrClosed = errors.New("closed by client")

// ErrMessageTooLarge is wrapped by the ProtocolError for a message over
// the maximum message size.
var ErrMessageTooLarge = errors.New("message exceeds maximum size")

// ConnError says the connection is gone: every call pending when it
// closed, and every call made afterwards, fails with a *ConnError wrapping
// the cause (io.EOF, a reset, a *ProtocolError, ErrClosed, ...).
type ConnError struct {
	Err error

	proto string // "qga" on a QGA session; "" means "qmp"
}

func (e *ConnError) Error() string {
	if e.Err == nil {
		return protoName(e.proto) + ": connection closed"
	}
	return protoName(e.proto) + ": connection closed: " + e.Err.Error()
}

func (e *ConnError) Unwrap() error { return e.Err }

// RequestError reports a call whose request was never sent: its
// arguments could not be encoded as a JSON object, QEMU would not read it
// as exactly one request (deeper than QEMU's nesting limit, a string
// that is not valid UTF-8, ...), or its files could not be passed.
// Nothing was written and the session goes on; only this call failed.
type RequestError struct {
	// Command is the command of the refused request.
	Command string
	// Err says why.
	Err error
}

func (e *RequestError) Error() string {
	return "runtime: " + e.Command + ": request not sent: " + e.Err.Error()
}

func (e *RequestError) Unwrap() error { return e.Err }
