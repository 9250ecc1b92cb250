package runtime_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/qapi-go/qapi/internal/leakcheck"
	"github.com/qapi-go/qapi/runtime"
	"github.com/qapi-go/qapi/runtime/fakepeer"
)

// badFiles are files that cannot be passed with a request.
func badFiles(t *testing.T) map[string][]*os.File {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	w.Close()
	return map[string][]*os.File{
		"closed file":  {w},
		"invalid fd":   {os.NewFile(1<<20, "bogus")},
		"nil file":     {nil},
		"one bad file": {r, w},
	}
}

// wantRequestError checks that err is a *runtime.RequestError: the call
// failed before anything was written.
func wantRequestError(t *testing.T, err error) {
	t.Helper()
	var re *runtime.RequestError
	if !errors.As(err, &re) {
		t.Fatalf("error %v (%T), want a *runtime.RequestError", err, err)
	}
}

// TestBadFilesFailOnlyTheirCall: a call whose files cannot be passed (a
// closed file, an invalid descriptor, a nil file, a connection that is
// not a unix socket) fails with a *RequestError; a call pending at the
// time gets its reply and the session goes on. (The session used to fail
// with the write error: every pending call failed with it.)
func TestBadFilesFailOnlyTheirCall(t *testing.T) {
	cases := badFiles(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	cases["not a unix socket"] = []*os.File{w}
	for name, files := range cases {
		t.Run(name, func(t *testing.T) {
			leakcheck.Check(t)
			gotBefore, release := make(chan struct{}), make(chan struct{})
			p := fakepeer.New(t, script(
				fakepeer.Expect("before"),
				fakepeer.Do(func() { close(gotBefore) }),
				fakepeer.WaitFor(release),
				fakepeer.Reply("before-reply"),
				fakepeer.Expect("after"),
				fakepeer.Reply("after-reply"),
			))
			var conn net.Conn
			if name == "not a unix socket" {
				conn = p.Pipe()
			} else {
				path, err := p.Listen()
				if err != nil {
					t.Fatal(err)
				}
				if conn, err = net.Dial("unix", path); err != nil {
					t.Fatal(err)
				}
			}
			q, err := runtime.NewQMP(testCtx(t), conn)
			if err != nil {
				t.Fatal(err)
			}
			defer q.Close()
			before := make(chan error, 1)
			var got string
			go func() { before <- q.Call(testCtx(t), "before", nil, &got) }()
			waitCh(t, gotBefore)
			wantRequestError(t, q.Call(testCtx(t), "getfd", map[string]string{"fdname": "x"}, nil, runtime.WithFiles(files...)))
			close(release)
			if err := <-before; err != nil || got != "before-reply" {
				t.Fatalf("pending call: %q, %v", got, err)
			}
			var after string
			if err := q.Call(testCtx(t), "after", nil, &after); err != nil || after != "after-reply" {
				t.Fatalf("next call: %q, %v", after, err)
			}
			if err := q.Err(); err != nil {
				t.Fatalf("session failed: %v", err)
			}
		})
	}
}

// TestQGABadFilesFailOnlyTheirCall: the same on a guest agent session; no
// resynchronisation is needed (nothing was written).
func TestQGABadFilesFailOnlyTheirCall(t *testing.T) {
	for name, files := range badFiles(t) {
		t.Run(name, func(t *testing.T) {
			leakcheck.Check(t)
			p := fakepeer.New(t, fakepeer.Config{Protocol: fakepeer.QGA, Script: []fakepeer.Step{
				fakepeer.Expect("guest-ping"),
				fakepeer.Reply("pong"),
			}})
			path, err := p.Listen()
			if err != nil {
				t.Fatal(err)
			}
			q, err := runtime.DialQGA(testCtx(t), "unix", path)
			if err != nil {
				t.Fatal(err)
			}
			defer q.Close()
			wantRequestError(t, q.Call(testCtx(t), "guest-file-write", map[string]int{"handle": 1}, nil, runtime.WithFiles(files...)))
			var got string
			if err := q.Call(testCtx(t), "guest-ping", nil, &got); err != nil || got != "pong" {
				t.Fatalf("next call: %q, %v", got, err)
			}
			if want := []string{"guest-sync-delimited", "guest-ping"}; !slicesEqual(p.Commands(), want) {
				t.Errorf("commands %q, want %q", p.Commands(), want)
			}
		})
	}
}

func slicesEqual(a, b []string) bool {
	return strings.Join(a, "\x00") == strings.Join(b, "\x00")
}

type failingMarshaler struct{}

func (failingMarshaler) MarshalJSON() ([]byte, error) { return nil, errors.New("cannot marshal") }

// deep is an ordinary Go value nested n levels deep.
func deep(n int) any {
	var v any = 1
	for range n {
		v = []any{v}
	}
	return map[string]any{"v": v}
}

// TestBadArgumentsFailOnlyTheirCall: arguments that cannot be encoded, or
// that QEMU would not read as one request, fail their call with a
// *RequestError before anything is written; a pending call and the
// session go on, on QMP and QGA alike.
func TestBadArgumentsFailOnlyTheirCall(t *testing.T) {
	bad := map[string]any{
		"func":                   map[string]any{"f": func() {}},
		"channel":                map[string]any{"c": make(chan int)},
		"marshaler error":        map[string]any{"m": failingMarshaler{}},
		"not an object":          []int{1},
		"malformed raw":          json.RawMessage(`{"a":`),
		"raw not an object":      json.RawMessage(`"s"`),
		"nested over the limit":  deep(1100),
		"0xFF in a raw string":   json.RawMessage("{\"a\":\"x\xffy\"}"),
		"invalid UTF-8 raw":      json.RawMessage("{\"a\":\"\xc3(\"}"),
		"lone surrogate escape":  json.RawMessage(`{"a":"\ud800"}`),
		"noncharacter":           map[string]string{"a": "\uFFFF"},
		"token count over limit": json.RawMessage(`{"a":[` + strings.Repeat("0,", 1<<20) + `0]}`),
	}
	for name, args := range bad {
		t.Run(name, func(t *testing.T) {
			leakcheck.Check(t)
			gotBefore, release := make(chan struct{}), make(chan struct{})
			q, p := qmpSession(t, script(
				fakepeer.Expect("before"),
				fakepeer.Do(func() { close(gotBefore) }),
				fakepeer.WaitFor(release),
				fakepeer.Reply("before-reply"),
				fakepeer.Expect("after"),
				fakepeer.Reply("after-reply"),
			))
			before := make(chan error, 1)
			go func() { before <- q.Call(testCtx(t), "before", nil, nil) }()
			waitCh(t, gotBefore)
			wantRequestError(t, q.Call(testCtx(t), "qom-set", args, nil))
			close(release)
			if err := <-before; err != nil {
				t.Fatalf("pending call: %v", err)
			}
			if err := q.Call(testCtx(t), "after", nil, nil); err != nil {
				t.Fatalf("next call: %v", err)
			}
			if want := []string{"qmp_capabilities", "before", "after"}; !slicesEqual(p.Commands(), want) {
				t.Errorf("the peer received %q, want %q", p.Commands(), want)
			}

			g, gp := qgaSession(t, script(fakepeer.Expect("guest-ping"), fakepeer.Reply(nil)))
			wantRequestError(t, g.Call(testCtx(t), "guest-file-write", args, nil))
			if err := g.Call(testCtx(t), "guest-ping", nil, nil); err != nil {
				t.Fatalf("QGA: next call: %v", err)
			}
			if want := []string{"guest-sync-delimited", "guest-ping"}; !slicesEqual(gp.Commands(), want) {
				t.Errorf("QGA: the peer received %q, want %q", gp.Commands(), want)
			}
		})
	}
}

// TestQMPDialSilentSocket: DialQMP on a socket that accepts but never
// greets fails when its context ends, saying that no greeting arrived and
// from where.
func TestQMPDialSilentSocket(t *testing.T) {
	leakcheck.Check(t)
	dir, err := os.MkdirTemp("", "silent")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := dir + "/silent.sock"
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			defer c.Close()
			c.Read(make([]byte, 1)) // until the client closes
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err = runtime.DialQMP(ctx, "unix", path)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v, want context.DeadlineExceeded", err)
	}
	for _, want := range []string{"no greeting", path} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

// TestQGADialQMPSocket: DialQGA on a QMP monitor's socket fails at once,
// saying it found a QMP greeting.
func TestQGADialQMPSocket(t *testing.T) {
	leakcheck.Check(t)
	p := fakepeer.New(t, script())
	path, err := p.Listen()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = runtime.DialQGA(ctx, "unix", path)
	if err == nil || errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "QMP greeting") {
		t.Fatalf("err %v, want one saying it found a QMP greeting", err)
	}
}
