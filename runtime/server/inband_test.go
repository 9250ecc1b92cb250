package server_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/qapi-go/qapi/internal/leakcheck"
	"github.com/qapi-go/qapi/runtime/server"
)

// blockingMux has in-band commands that block until an out-of-band one
// releases them (block) or the connection ends (wait), and one that
// reads the descriptor sent with it.
type blockingMux struct {
	*server.Mux
	started chan struct{} // a block began
	release chan struct{}
	once    sync.Once
}

func newBlockingMux() *blockingMux {
	m := &blockingMux{Mux: statusMux(), started: make(chan struct{}, 8), release: make(chan struct{})}
	m.Handle(server.Command{Name: "block", Run: func(ctx context.Context, _ *server.Request) (any, error) {
		m.started <- struct{}{}
		select {
		case <-m.release:
			return nil, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}})
	m.Handle(server.Command{Name: "release", AllowOOB: true, Run: func(context.Context, *server.Request) (any, error) {
		m.once.Do(func() { close(m.release) })
		return nil, nil
	}})
	m.Handle(server.Command{Name: "wait", Run: func(ctx context.Context, _ *server.Request) (any, error) {
		m.started <- struct{}{}
		<-ctx.Done()
		return nil, ctx.Err()
	}})
	m.Handle(server.Command{Name: "ping", AllowOOB: true, Run: func(context.Context, *server.Request) (any, error) {
		return nil, nil
	}})
	// read-fd returns the first line read from the descriptor sent with it.
	m.Handle(server.Command{Name: "read-fd", Run: func(_ context.Context, req *server.Request) (any, error) {
		if len(req.Files) != 1 {
			return nil, server.Error("GenericError", strconv.Itoa(len(req.Files))+" files")
		}
		l, err := bufio.NewReader(req.Files[0]).ReadString('\n')
		return l, err
	}})
	return m
}

// sendWithFile writes s with a pipe's read end whose content is text.
func (rc *rawClient) sendWithFile(s, text string) {
	rc.t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		rc.t.Fatal(err)
	}
	defer r.Close()
	w.WriteString(text)
	w.Close()
	if _, _, err := rc.c.(*net.UnixConn).WriteMsgUnix([]byte(s), syscall.UnixRights(int(r.Fd())), nil); err != nil {
		rc.t.Fatal(err)
	}
}

// TestOOBOvertakesBlockingInBand: with oob enabled, an in-band command
// that blocks does not keep the server from reading (a second reader
// takes over, see inband.go): an out-of-band command sent after it is
// answered while it blocks, another releases it, the in-band requests
// sent meanwhile (one with a descriptor) are answered after it, in
// order, and so are later ones; shutting the server down ends a command
// blocked on the in-band worker and the connection, leaking no
// goroutine. With idle, the connection was idle long enough before the
// blocking command for the watchdog to be asleep.
func TestOOBOvertakesBlockingInBand(t *testing.T) {
	leakcheck.Check(t)
	for _, idle := range []bool{false, true} {
		t.Run(fmt.Sprintf("idle=%v", idle), func(t *testing.T) { testOOBOvertakesBlockingInBand(t, idle) })
	}
}

func testOOBOvertakesBlockingInBand(t *testing.T, idle bool) {
	m := newBlockingMux()
	sock, cancel, served := serveUnix(t, &server.Server{Handler: m})
	defer cancel()

	rc := dialRaw(t, sock, false)
	rc.send(`{"execute":"qmp_capabilities","arguments":{"enable":["oob"]}}`)
	if l := rc.line(); l != `{"return": {}}` {
		t.Fatalf("negotiation: %s", l)
	}
	if idle {
		// Long enough for the watchdog to fall asleep: block must wake it.
		time.Sleep(50 * time.Millisecond)
	}
	rc.send(`{"execute":"block","id":1}`)
	<-m.started
	// Nothing of these was read when block started. (The descriptor goes
	// first: a read returns it with the bytes it came with, and the
	// session attaches it to the first request of that read.)
	rc.sendWithFile(`{"execute":"read-fd","id":2}`, "through the pipe\n")
	rc.send(`{"execute":"query-status","id":3}`)
	rc.send(`{"exec-oob":"ping","id":4}`)
	if got, want := rc.line(), `{"return": {}, "id": 4}`; got != want {
		t.Fatalf("first reply %s, want %s", got, want)
	}
	// Releasing block lets the in-band replies go, in order; the release's
	// own reply may come before, between or after them.
	rc.send(`{"exec-oob":"release","id":5}`)
	var got []string
	released := false
	for range 4 {
		if l := rc.line(); l == `{"return": {}, "id": 5}` {
			released = true
		} else {
			got = append(got, l)
		}
	}
	if !released {
		t.Errorf("no reply to release")
	}
	rc.send(`{"execute":"query-status","id":6}`)
	got = append(got, rc.line())
	want := []string{
		`{"return": {}, "id": 1}`,
		`{"return": "through the pipe\n", "id": 2}`,
		`{"return": {"status": "running", "singlestep": false, "running": true}, "id": 3}`,
		`{"return": {"status": "running", "singlestep": false, "running": true}, "id": 6}`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("in-band replies (-want +got):\n%s", diff)
	}

	// A command blocked (on the in-band worker now) ends with the server.
	rc.send(`{"execute":"wait","id":7}`)
	<-m.started
	cancel()
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after its context ended")
	}
}

// TestOOBInSameRead: out-of-band requests that arrive in the same read
// as a blocking in-band one are answered before it runs (here, on the
// serving goroutine, nothing runs concurrently, so the order is fixed).
func TestOOBInSameRead(t *testing.T) {
	leakcheck.Check(t)
	m := newBlockingMux()
	rc := dialRaw(t, testServer(t, &server.Server{Handler: m}), false)
	rc.send(`{"execute":"qmp_capabilities","arguments":{"enable":["oob"]}}` +
		`{"execute":"block","id":1}{"execute":"query-status","id":2}{"exec-oob":"ping","id":3}{"exec-oob":"release","id":4}`)
	var got []string
	for range 5 {
		got = append(got, rc.line())
	}
	want := []string{
		`{"return": {}}`,
		`{"return": {}, "id": 3}`,
		`{"return": {}, "id": 4}`,
		`{"return": {}, "id": 1}`,
		`{"return": {"status": "running", "singlestep": false, "running": true}, "id": 2}`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("replies (-want +got):\n%s", diff)
	}
}

// TestShutdownWhileInBandInline: a server shut down while an in-band
// command runs on the serving goroutine (before any takeover) ends the
// command and returns.
func TestShutdownWhileInBandInline(t *testing.T) {
	leakcheck.Check(t)
	m := newBlockingMux()
	sock, cancel, served := serveUnix(t, &server.Server{Handler: m})
	defer cancel()
	rc := dialRaw(t, sock, false)
	rc.send(`{"execute":"qmp_capabilities","arguments":{"enable":["oob"]}}{"execute":"block","id":1}`)
	rc.line()
	<-m.started
	cancel()
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after its context ended")
	}
}
