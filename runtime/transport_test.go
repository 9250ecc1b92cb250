package runtime_test

// The client's transports against the fake peer over real unix sockets:
// dialling, accepting (a QEMU that connects to us), and file descriptors
// passed with SCM_RIGHTS.

import (
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/qapi-go/qapi/internal/leakcheck"
	"github.com/qapi-go/qapi/runtime"
	"github.com/qapi-go/qapi/runtime/fakepeer"
)

func TestTransportDialWithFiles(t *testing.T) {
	leakcheck.Check(t)
	p := fakepeer.New(t, fakepeer.Config{Script: []fakepeer.Step{
		fakepeer.Expect("getfd", fakepeer.Args(map[string]string{"fdname": "fd0"}), fakepeer.Files(1)),
		fakepeer.Reply(nil),
		fakepeer.Expect("add-fd", fakepeer.Files(2)),
		fakepeer.Reply(map[string]int{"fdset-id": 1, "fd": 42}),
		fakepeer.Expect("query-status", fakepeer.Files(0)),
		fakepeer.Reply(map[string]string{"status": "running"}),
	}})
	path, err := p.Listen()
	if err != nil {
		t.Fatal(err)
	}
	q, err := runtime.DialQMP(testCtx(t), "unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if err := q.Call(testCtx(t), "getfd", map[string]string{"fdname": "fd0"}, nil, runtime.WithFiles(w)); err != nil {
		t.Fatal(err)
	}
	if err := q.Call(testCtx(t), "add-fd", map[string]int{"fdset-id": 1}, nil, runtime.WithFiles(r, w)); err != nil {
		t.Fatal(err)
	}
	if err := q.Call(testCtx(t), "query-status", nil, nil); err != nil {
		t.Fatal(err)
	}
	// The descriptor the peer received is the pipe's write end.
	got := p.Requests()[1].Files[0]
	if _, err := got.Write([]byte("via SCM_RIGHTS")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, len("via SCM_RIGHTS"))
	if _, err := io.ReadFull(r, buf); err != nil || string(buf) != "via SCM_RIGHTS" {
		t.Errorf("read %q, %v", buf, err)
	}
}

func TestTransportFilesOverPipe(t *testing.T) {
	leakcheck.Check(t)
	q, _ := qmpSession(t, script())
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	// net.Pipe cannot carry descriptors: the call must fail, not send
	// the request without them.
	if err := q.Call(testCtx(t), "getfd", map[string]string{"fdname": "x"}, nil, runtime.WithFiles(w)); err == nil {
		t.Fatal("getfd with a file over net.Pipe succeeded")
	}
}

func TestTransportAccept(t *testing.T) {
	for _, proto := range []fakepeer.Protocol{fakepeer.QMP, fakepeer.QGA} {
		t.Run(proto.String(), func(t *testing.T) {
			leakcheck.Check(t)
			dir, err := os.MkdirTemp("", "rt")
			if err != nil {
				t.Fatal(err)
			}
			defer os.RemoveAll(dir)
			ln, err := net.Listen("unix", filepath.Join(dir, "s"))
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			p := fakepeer.New(t, fakepeer.Config{Protocol: proto, Script: []fakepeer.Step{
				fakepeer.Expect("ping"), fakepeer.Reply("pong"),
			}})
			if err := p.Dial("unix", filepath.Join(dir, "s")); err != nil {
				t.Fatal(err)
			}
			var c runtime.Caller
			if proto == fakepeer.QMP {
				q, err := runtime.AcceptQMP(testCtx(t), ln)
				if err != nil {
					t.Fatal(err)
				}
				defer q.Close()
				c = q
			} else {
				q, err := runtime.AcceptQGA(testCtx(t), ln)
				if err != nil {
					t.Fatal(err)
				}
				defer q.Close()
				c = q
			}
			var got string
			if err := c.Call(testCtx(t), "ping", nil, &got); err != nil || got != "pong" {
				t.Errorf("ping: %q, %v", got, err)
			}
		})
	}
}
