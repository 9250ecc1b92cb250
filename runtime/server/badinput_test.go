package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qapi-go/qapi/internal/leakcheck"
	"github.com/qapi-go/qapi/runtime/server"
)

// serveUnix serves srv on a new unix socket: cancel shuts it down, and
// served receives what Serve returned.
func serveUnix(t *testing.T, srv *server.Server) (sock string, cancel context.CancelFunc, served <-chan error) {
	t.Helper()
	sock = filepath.Join(t.TempDir(), "s.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	return sock, cancel, done
}

// testServer serves srv on a unix socket until the test ends.
func testServer(t *testing.T, srv *server.Server) string {
	t.Helper()
	sock, cancel, served := serveUnix(t, srv)
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return sock
}

// rawClient is a QMP client that reads and writes bytes.
type rawClient struct {
	t *testing.T
	c net.Conn
	r *bufio.Reader
}

func dialRaw(t *testing.T, sock string, negotiate bool) *rawClient {
	t.Helper()
	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	rc := &rawClient{t: t, c: c, r: bufio.NewReader(c)}
	rc.line() // greeting
	if negotiate {
		rc.send(`{"execute":"qmp_capabilities"}`)
		if l := rc.line(); l != `{"return": {}}` {
			t.Fatalf("negotiation: %s", l)
		}
	}
	return rc
}

func (rc *rawClient) send(s string) {
	rc.t.Helper()
	if _, err := rc.c.Write([]byte(s)); err != nil {
		rc.t.Fatal(err)
	}
}

func (rc *rawClient) line() string {
	rc.t.Helper()
	rc.c.SetReadDeadline(time.Now().Add(20 * time.Second))
	l, err := rc.r.ReadString('\n')
	if err != nil {
		rc.t.Fatalf("read: %v (after %q)", err, l)
	}
	return strings.TrimRight(l, "\r\n")
}

const statusReply = `{"return": {"status": "running", "singlestep": false, "running": true}}`

// TestBadInput sends what a hostile client can and expects QEMU's replies,
// then a working session.
func TestBadInput(t *testing.T) {
	leakcheck.Check(t)
	srv := &server.Server{Handler: statusMux(), MaxMessageSize: 1 << 16}
	sock := testServer(t, srv)
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"oversize string", `{"execute":"` + strings.Repeat("x", 1<<17) + `"}`,
			// The lexer cuts the token at the limit and reads on: what
			// follows is a keyword, a new string... as QEMU does.
			nil},
		{"deep nesting", strings.Repeat("[", 5000), nil},
		{"0xFF flood", strings.Repeat("\xff", 1000),
			repeat(`{"error": {"class": "GenericError", "desc": "JSON parse error, stray '\uFFFD'"}}`, 1000)},
		{"wrong types", `{"execute":1}{"execute":"query-status","arguments":[]}{"execute":"query-status","id":{"x":[1,{}]}}`,
			[]string{
				`{"error": {"class": "GenericError", "desc": "QMP input member 'execute' must be a string"}}`,
				`{"error": {"class": "GenericError", "desc": "QMP input member 'arguments' must be an object"}}`,
				`{"return": {"status": "running", "singlestep": false, "running": true}, "id": {"x": [1, {}]}}`,
			}},
		{"unknown command", `{"execute":"x-no-such-thing"}`,
			[]string{`{"error": {"class": "CommandNotFound", "desc": "The command x-no-such-thing has not been found"}}`}},
		{"duplicate keys", `{"execute":"query-status","arguments":{"a":1,"a":2}}`,
			[]string{`{"error": {"class": "GenericError", "desc": "JSON parse error, duplicate key"}}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := dialRaw(t, sock, true)
			// Write in the background: the server may answer before it
			// has read everything.
			go rc.c.Write([]byte(tt.in))
			for i, w := range tt.want {
				if got := rc.line(); got != w {
					t.Fatalf("reply %d: got %s, want %s", i, got, w)
				}
			}
			// Whatever came back, the session still works: send a request
			// after a byte that ends any partial token (0xFF resets the
			// lexer), skip the error replies, expect query-status's.
			rc.send("\xff\n{\"execute\":\"query-status\",\"id\":\"end\"}")
			for {
				l := rc.line()
				if strings.Contains(l, `"id": "end"`) {
					if !strings.HasPrefix(l, `{"return": {"status"`) {
						t.Fatalf("final reply %s", l)
					}
					break
				}
				if !strings.HasPrefix(l, `{"error": {"class": "GenericError", "desc": "JSON `) && !strings.HasPrefix(l, `{"error": {"class": "GenericError", "desc": "QMP input must be a JSON object"`) &&
					!strings.HasPrefix(l, `{"error": {"class": "CommandNotFound"`) {
					t.Fatalf("unexpected line %.200s", l)
				}
			}
		})
	}
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

// TestSlowClient: a client that sends requests and never reads stops its
// own session only (its writes back up, the server stops reading it, as
// QEMU does); events that pile up behind it disconnect it; another client
// is served throughout.
func TestSlowClient(t *testing.T) {
	leakcheck.Check(t)
	srv := &server.Server{Handler: statusMux(), MaxPendingOutput: 64 << 10}
	sock := testServer(t, srv)
	slow := dialRaw(t, sock, true)
	stop := make(chan struct{})
	wrote := make(chan struct{})
	go func() {
		defer close(wrote)
		req := bytes.Repeat([]byte(`{"execute":"query-status"}`), 1000)
		for {
			select {
			case <-stop:
				return
			default:
			}
			slow.c.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
			if _, err := slow.c.Write(req); err != nil {
				return
			}
		}
	}()
	good := dialRaw(t, sock, true)
	for i := 0; i < 200; i++ {
		good.send(`{"execute":"query-status"}`)
		if l := good.line(); l != statusReply {
			t.Fatalf("good client got %s", l)
		}
	}
	close(stop)
	<-wrote
	// Events queue behind the slow client's blocked writer: past
	// MaxPendingOutput it is disconnected; the good client gets them all.
	// The good client reads each event before the next is sent.
	data := map[string]string{"pad": strings.Repeat("x", 1000)}
	for i := 0; i < 200; i++ {
		srv.Emit("TEST_EVENT", data)
		l := good.line()
		var ev struct{ Event string }
		if json.Unmarshal([]byte(l), &ev); ev.Event != "TEST_EVENT" {
			t.Fatalf("good client: %.100s", l)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(srv.Conns()) != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("%d connections: the slow client was not disconnected", len(srv.Conns()))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestTCP serves over TCP, and an exec-oob qmp_capabilities is refused as
// QEMU refuses it.
func TestTCP(t *testing.T) {
	leakcheck.Check(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &server.Server{Handler: statusMux()}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	rc := &rawClient{t: t, c: c, r: bufio.NewReader(c)}
	rc.line()
	rc.send(`{"execute":"qmp_capabilities","arguments":{"enable":["oob"]}}{"exec-oob":"qmp_capabilities","id":7}{"execute":"query-status"}`)
	for _, want := range []string{
		`{"return": {}}`,
		`{"id": 7, "error": {"class": "GenericError", "desc": "The command qmp_capabilities does not support OOB"}}`,
		statusReply,
	} {
		if got := rc.line(); got != want {
			t.Errorf("got %s, want %s", got, want)
		}
	}
}
