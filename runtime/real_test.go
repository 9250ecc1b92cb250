package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/qapi-go/qapi/internal/leakcheck"
	"github.com/qapi-go/qapi/internal/qemutest"
)

// Checks of the client against the real peers from Debian's packages
// (skipped when absent) and against the Go servers on runtime/server
// (examples/qmp-server and examples/qga-agent), which must answer the
// commands they implement as the real ones do. Broader integration tests
// live with the fake peer's.

// rtQMPPeers are the QMP servers TestRealQMPClient runs against; qemu is
// set for QEMU itself, which alone implements query-qmp-schema and
// qom-list-types (the stand-in has neither an introspection schema nor a
// QOM tree).
var rtQMPPeers = []struct {
	name  string
	start func(testing.TB) string
	qemu  bool
}{
	{"qemu", func(tb testing.TB) string { return rtStartQEMU(tb) }, true},
	{"go", func(tb testing.TB) string { return qemutest.StartGoQMP(tb).Socket }, false},
}

// rtQGAPeers are the guest agents TestRealQGAClient runs against: qemu-ga
// with everything that acts on the host blocked, and the Go agent.
var rtQGAPeers = []struct {
	name  string
	start func(testing.TB) string
}{
	{"qemu-ga", rtStartQGA},
	{"go", func(tb testing.TB) string { return qemutest.StartGoAgent(tb).Socket }},
}

func rtCtx(tb testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	tb.Cleanup(cancel)
	return ctx
}

func TestRealQMPClient(t *testing.T) {
	leakcheck.Check(t)
	for _, p := range rtQMPPeers {
		t.Run(p.name, func(t *testing.T) {
			sock := p.start(t)
			ctx := rtCtx(t)
			q, err := DialQMP(ctx, "unix", sock)
			if err != nil {
				t.Fatal(err)
			}
			defer q.Close()
			g := q.Greeting()
			if g.Version.Major < 1 || !q.OOB() {
				t.Fatalf("greeting %+v oob %v", g, q.OOB())
			}
			t.Logf("%s %v", p.name, g.Version)

			if p.qemu {
				schema, err := q.Execute(ctx, "query-qmp-schema", nil)
				if err != nil {
					t.Fatal(err)
				}
				types, err := q.Execute(ctx, "qom-list-types", nil)
				if err != nil {
					t.Fatal(err)
				}
				t.Logf("query-qmp-schema %d bytes, qom-list-types %d bytes", len(schema), len(types))
			}

			var yank []json.RawMessage
			if err := q.Call(ctx, "query-yank", nil, &yank, OutOfBand()); err != nil {
				t.Fatal(err)
			}

			// getfd with a real pipe.
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			defer w.Close()
			if err := q.Call(ctx, "getfd", map[string]string{"fdname": "fd0"}, nil, WithFiles(r)); err != nil {
				t.Fatal(err)
			}
			if err := q.Call(ctx, "closefd", map[string]string{"fdname": "fd0"}, nil); err != nil {
				t.Fatal(err)
			}
			err = q.Call(ctx, "closefd", map[string]string{"fdname": "fd0"}, nil)
			if !errors.Is(err, GenericError) {
				t.Fatalf("closefd twice: %v", err)
			}
			if err := q.Call(ctx, "no-such-command", nil, nil); !errors.Is(err, CommandNotFound) {
				t.Fatal(err)
			}

			// STOP comes before stop's reply.
			ev, err := q.CallAndWait(ctx, "stop", nil, nil, "STOP", nil)
			if err != nil || ev.Timestamp.IsZero() {
				t.Fatal(ev, err)
			}
			if _, err := q.CallAndWait(ctx, "cont", nil, nil, "RESUME", nil); err != nil {
				t.Fatal(err)
			}

			// quit: the reply, then EOF.
			if err := q.Call(ctx, "quit", nil, nil); err != nil {
				t.Fatal(err)
			}
			select {
			case <-q.Done():
			case <-ctx.Done():
				t.Fatal("no EOF after quit")
			}
			var ce *ConnError
			if !errors.As(q.Err(), &ce) {
				t.Fatal(q.Err())
			}
		})
	}
}

func TestRealQGAClient(t *testing.T) {
	leakcheck.Check(t)
	for _, p := range rtQGAPeers {
		t.Run(p.name, func(t *testing.T) {
			sock := p.start(t)
			ctx := rtCtx(t)
			q, err := DialQGA(ctx, "unix", sock)
			if err != nil {
				t.Fatal(err)
			}
			defer q.Close()
			if err := q.Call(ctx, "guest-ping", nil, nil); err != nil {
				t.Fatal(err)
			}
			var info struct {
				Version string `json:"version"`
			}
			if err := q.Call(ctx, "guest-info", nil, &info); err != nil || info.Version == "" {
				t.Fatal(info, err)
			}
			// Time out calls in flight, leaving their replies in the channel.
			for i := 0; i < 5; i++ {
				cctx, cancel := context.WithTimeout(ctx, time.Duration(i)*5*time.Microsecond)
				err := q.Call(cctx, "guest-info", nil, nil)
				cancel()
				if err != nil && err != context.DeadlineExceeded {
					t.Fatal(err)
				}
				if err := q.Call(ctx, "guest-ping", nil, nil); err != nil {
					t.Fatal(err)
				}
			}
			// Inject stale bytes as a previous client might have left them.
			q.conn.Write([]byte(`{"execute":"guest-info"}` + "\n" + `{"exec`))
			q.needSync = true
			if err := q.Call(ctx, "guest-ping", nil, nil); err != nil {
				t.Fatal(err)
			}
			err = q.Call(ctx, "guest-shutdown", nil, nil, NoReply())
			if err != nil {
				t.Fatal(err)
			}
			// guest-shutdown is blocked: the agent still answers with an error,
			// which the next resync discards.
			if err := q.Call(ctx, "guest-ping", nil, nil); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestRealQMPAccept: QEMU connects to us (-qmp unix:PATH,server=off).
// QEMU alone: the stand-in only listens.
func TestRealQMPAccept(t *testing.T) {
	bin := qemutest.Require(t) // skips with a reason; fails when CI=true
	leakcheck.Check(t)
	sock := filepath.Join(t.TempDir(), "qmp.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cmd := exec.Command(bin, "-machine", "none", "-nodefaults", "-display", "none", "-qmp", "unix:"+sock+",server=off")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	ctx := rtCtx(t)
	q, err := AcceptQMP(ctx, ln)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	var st struct{ Status string }
	if err := q.Call(ctx, "query-status", nil, &st); err != nil || st.Status == "" {
		t.Fatal(st, err)
	}
}

func TestAcceptContext(t *testing.T) {
	leakcheck.Check(t)
	ln, err := net.Listen("unix", filepath.Join(t.TempDir(), "s"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := AcceptQMP(ctx, ln); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatal(err)
	}
	// The listener still works afterwards.
	go func() {
		c, err := net.Dial("unix", ln.Addr().String())
		if err == nil {
			c.Write([]byte(rtGreeting))
			c.Close()
		}
	}()
	c, err := Accept(context.Background(), ln)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
}
