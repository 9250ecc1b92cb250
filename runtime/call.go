package runtime

import (
	"context"
	"encoding/json"
	"os"
	"time"
)

// Caller is the one interface generated bindings call. Both the QMP and
// the QGA session implement it, and so can a user's own fake or wrapper.
//
// Call sends command with args and decodes the reply's "return" value
// into result:
//   - args is nil (no "arguments" member is sent) or a value that
//     encoding/json marshals to a JSON object (a generated args struct, a
//     json.RawMessage, a map[string]any);
//   - result is nil (the return value is discarded) or a pointer that
//     encoding/json unmarshals into;
//   - a command error from the peer is returned as *CommandError.
type Caller interface {
	Call(ctx context.Context, command string, args, result any, opts ...CallOption) error
}

// CallOption adjusts one call.
type CallOption func(*CallOptions)

// CallOptions is the resolved set of options of one call. Implementations
// of Caller read it with ApplyCallOptions.
type CallOptions struct {
	// OOB sends the command out of band ("exec-oob"), for commands with
	// 'allow-oob': true, when the session negotiated the oob capability.
	OOB bool
	// NoReply is for commands with 'success-response': false: the call
	// returns once the request is written.
	NoReply bool
	// Files travel with the request as SCM_RIGHTS ancillary data (unix
	// sockets only), for getfd and add-fd.
	Files []*os.File
}

// OutOfBand sends the command with "exec-oob".
func OutOfBand() CallOption { return func(o *CallOptions) { o.OOB = true } }

// NoReply marks a command that sends no success response.
func NoReply() CallOption { return func(o *CallOptions) { o.NoReply = true } }

// WithFiles passes file descriptors along with the request.
func WithFiles(files ...*os.File) CallOption {
	return func(o *CallOptions) { o.Files = append(o.Files, files...) }
}

// ApplyCallOptions resolves opts.
func ApplyCallOptions(opts []CallOption) CallOptions {
	if len(opts) == 0 {
		return CallOptions{} // no allocation on the common path
	}
	var o CallOptions
	for _, f := range opts {
		f(&o)
	}
	return o
}

// Event is an event as it arrives: its name, its raw "data" member (nil
// when absent) and its timestamp. Generated bindings decode Data into
// their typed event structs; an event they do not know stays available
// in this raw form.
type Event struct {
	Name      string
	Data      json.RawMessage
	Timestamp time.Time
}
