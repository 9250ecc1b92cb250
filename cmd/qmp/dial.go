package main

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"strings"

	"github.com/qapi-go/qapi/gen/qga"
	"github.com/qapi-go/qapi/runtime"
)

// socketAddress reads a SOCKET argument: a unix socket path, or host:port
// for TCP. A path that exists, or that has a '/', is a unix socket.
func socketAddress(s string) (network, address string) {
	if _, err := os.Stat(s); err == nil || strings.Contains(s, "/") {
		return "unix", s
	}
	if _, _, err := net.SplitHostPort(s); err == nil {
		return "tcp", s
	}
	return "unix", s
}

// session is what the shell, call and events need of a QMP or QGA
// session: untyped calls (the arguments are checked by the tool itself).
type session interface {
	Execute(ctx context.Context, command string, args any, opts ...runtime.CallOption) (json.RawMessage, error)
	Close() error
	Done() <-chan struct{}
}

func dialQMP(ctx context.Context, socket string) (*runtime.QMP, error) {
	network, address := socketAddress(socket)
	return runtime.DialQMP(ctx, network, address)
}

func dialQGA(ctx context.Context, socket string) (*runtime.QGA, error) {
	network, address := socketAddress(socket)
	return runtime.DialQGA(ctx, network, address, runtime.WithMaxMessageSize(qga.DefaultMaxMessageSize))
}
