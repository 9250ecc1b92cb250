package server

import (
	"errors"

	"github.com/qapi-go/qapi/runtime"
)

// Error builds the error a handler returns to answer with a given class:
//
//	return nil, server.Error(runtime.DeviceNotFound, "Device 'x' not found")
//
// It is a *runtime.CommandError, the type clients receive.
func Error(class runtime.ErrorClass, desc string) error {
	return &runtime.CommandError{Class: class, Desc: desc}
}

// ErrorReply returns the class and description a session answers err
// with: the class and description of a *runtime.CommandError in err's
// chain; for a bare runtime.ErrorClass that class with its name as the
// description; for ErrUnimplemented CommandNotFound, "The command X has
// not been found"; otherwise GenericError with err's text.
func ErrorReply(command string, err error) (runtime.ErrorClass, string) {
	var ce *runtime.CommandError
	if errors.As(err, &ce) {
		return ce.Class, ce.Desc
	}
	if errors.Is(err, ErrUnimplemented) {
		return runtime.CommandNotFound, "The command " + command + " has not been found"
	}
	var class runtime.ErrorClass
	if errors.As(err, &class) {
		return class, string(class)
	}
	return runtime.GenericError, err.Error()
}
