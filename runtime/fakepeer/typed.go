package fakepeer

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/qapi-go/qapi/runtime/server"
)

// NewServer is the typed counterpart of a script: it serves srv, a
// runtime/server Server (typically with a server.Mux that a generated
// server package's Register filled from a typed Server, answering with
// typed values and emitting typed events), over net.Pipe and returns the client's
// end. The session speaks the wire as QEMU does (greeting, negotiation,
// QEMU's framing and errors). When the test ends the session is closed
// and its goroutines have returned.
func NewServer(tb testing.TB, srv *server.Server) net.Conn {
	tb.Helper()
	client, peer := net.Pipe()
	serveTyped(tb, func(ctx context.Context) { srv.ServeConn(ctx, peer) }, func() { client.Close() })
	return client
}

// ListenServer is NewServer on a unix socket in a new temporary
// directory, whose path it returns: clients dial it, any number at once,
// and file descriptors sent with SCM_RIGHTS reach the handlers
// (server.Request.TakeFiles).
func ListenServer(tb testing.TB, srv *server.Server) string {
	tb.Helper()
	dir, err := os.MkdirTemp("", "fakepeer")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "server.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		tb.Fatal(err)
	}
	serveTyped(tb, func(ctx context.Context) {
		if err := srv.Serve(ctx, ln); err != nil {
			tb.Errorf("fakepeer: serving %s: %v", sock, err)
		}
	}, nil)
	return sock
}

func serveTyped(tb testing.TB, serve func(context.Context), closeClient func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		serve(ctx)
	}()
	tb.Cleanup(func() {
		cancel()
		if closeClient != nil {
			closeClient()
		}
		<-done
	})
}
