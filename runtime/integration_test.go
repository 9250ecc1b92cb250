package runtime_test

// Integration tests against the real peers: qemu-system-x86_64 (no guest:
// -machine none) and qemu-ga running on the host with everything that
// would act on the host blocked (see internal/qemutest). They skip when
// the binaries are missing, and fail instead under CI=true.
//
// The same tests run against the Go servers built on runtime/server, the
// stand-in QEMU (examples/qmp-server) and the Go guest agent
// (examples/qga-agent), which must give the same results for the
// commands they implement: each test runs once per peer (qmpPeers,
// qgaPeers). The few that need what only QEMU has say why they run
// against QEMU alone.
//
// Never call a guest agent command that changes the machine: only
// guest-ping, guest-info and the synchronisation commands are used here.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/qapi-go/qapi/internal/leakcheck"
	"github.com/qapi-go/qapi/internal/qemutest"
	"github.com/qapi-go/qapi/runtime"
)

func integration(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test (-short)")
	}
}

// qmpPeer is a QMP server the integration tests run against.
type qmpPeer struct {
	name  string
	start func(testing.TB) *qemutest.Process
	// qemu is set for QEMU itself, which has a QOM tree the stand-in
	// lacks.
	qemu bool
}

var qmpPeers = []qmpPeer{
	{name: "qemu", start: func(tb testing.TB) *qemutest.Process { return qemutest.Start(tb) }, qemu: true},
	{name: "go", start: func(tb testing.TB) *qemutest.Process { return qemutest.StartGoQMP(tb) }},
}

// qgaPeers are the guest agents the integration tests run against:
// qemu-ga on the host with everything that acts on the host blocked, and
// the Go agent, which refuses the same commands.
var qgaPeers = []struct {
	name  string
	start func(testing.TB) *qemutest.Process
}{
	{"qemu-ga", func(tb testing.TB) *qemutest.Process { return qemutest.StartAgent(tb) }},
	{"go", qemutest.StartGoAgent},
}

// realQMP starts the peer and connects a session to it.
func realQMP(t *testing.T, p qmpPeer, opts ...runtime.Option) (*runtime.QMP, *qemutest.Process) {
	t.Helper()
	proc := p.start(t)
	q, err := runtime.DialQMP(testCtx(t), "unix", proc.Socket, opts...)
	if err != nil {
		t.Fatalf("DialQMP: %v\n%s", err, proc.Output())
	}
	t.Cleanup(func() { q.Close() })
	return q, proc
}

type status struct {
	Status  string `json:"status"`
	Running bool   `json:"running"`
}

func TestIntegrationQMPGreeting(t *testing.T) {
	integration(t)
	leakcheck.Check(t)
	for _, p := range qmpPeers {
		t.Run(p.name, func(t *testing.T) {
			q, _ := realQMP(t, p)
			g := q.Greeting()
			if g.Version.Major < 2 || g.Version.Package == "" && g.Version.Major == 0 {
				t.Errorf("greeting version %+v", g.Version)
			}
			if !slices.Contains(g.Capabilities, "oob") || !q.OOB() {
				t.Errorf("capabilities %q, OOB() = %v: QEMU offers oob since 2.12 and it is enabled by default", g.Capabilities, q.OOB())
			}
			var v struct {
				QEMU    struct{ Major, Minor, Micro int } `json:"qemu"`
				Package string                            `json:"package"`
			}
			if err := q.Call(testCtx(t), "query-version", nil, &v); err != nil {
				t.Fatal(err)
			}
			if got := (runtime.Version{Major: v.QEMU.Major, Minor: v.QEMU.Minor, Micro: v.QEMU.Micro, Package: v.Package}); got != g.Version {
				t.Errorf("query-version %+v, greeting %+v", got, g.Version)
			}
			t.Logf("QEMU %v, capabilities %q", g.Version, g.Capabilities)

			// Without oob.
			q2, err := runtime.DialQMP(testCtx(t), "unix", p.start(t).Socket, runtime.WithoutOOB())
			if err != nil {
				t.Fatal(err)
			}
			defer q2.Close()
			if q2.OOB() {
				t.Error("WithoutOOB: OOB() = true")
			}
			var st status
			if err := q2.Call(testCtx(t), "query-status", nil, &st); err != nil || st.Status != "running" {
				t.Errorf("query-status without oob: %+v, %v", st, err)
			}
		})
	}
}

func TestIntegrationQMPConcurrentCallers(t *testing.T) {
	integration(t)
	leakcheck.Check(t)
	for _, p := range qmpPeers {
		for _, oob := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/oob=%v", p.name, oob), func(t *testing.T) {
				var opts []runtime.Option
				if !oob {
					opts = append(opts, runtime.WithoutOOB())
				}
				q, _ := realQMP(t, p, opts...)
				const callers, calls = 64, 25
				var wg sync.WaitGroup
				errs := make(chan error, callers)
				for g := range callers {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for i := range calls {
							// Alternate commands with different replies so
							// that a reply reaching the wrong caller shows.
							var err error
							switch {
							case (g+i)%2 == 0:
								err = callStatus(t, q)
							case p.qemu:
								err = callQOMList(t, q)
							default:
								// The stand-in has no QOM tree.
								err = callVersion(t, q)
							}
							if err != nil {
								errs <- err
								return
							}
						}
					}()
				}
				wg.Wait()
				close(errs)
				for err := range errs {
					t.Error(err)
				}
			})
		}
	}
}

func callStatus(t *testing.T, q *runtime.QMP) error {
	var st status
	if err := q.Call(testCtx(t), "query-status", nil, &st); err != nil {
		return err
	}
	if st.Status != "running" || !st.Running {
		return fmt.Errorf("query-status got %+v", st)
	}
	return nil
}

func callQOMList(t *testing.T, q *runtime.QMP) error {
	var names []struct{ Name string }
	if err := q.Call(testCtx(t), "qom-list", map[string]string{"path": "/machine"}, &names); err != nil {
		return err
	}
	if len(names) == 0 || names[0].Name == "" {
		return fmt.Errorf("qom-list got %+v", names)
	}
	return nil
}

func callVersion(t *testing.T, q *runtime.QMP) error {
	var v struct {
		QEMU struct{ Major int } `json:"qemu"`
	}
	if err := q.Call(testCtx(t), "query-version", nil, &v); err != nil {
		return err
	}
	if v.QEMU.Major == 0 {
		return fmt.Errorf("query-version got %+v", v)
	}
	return nil
}

// TestIntegrationQMPSchema runs against QEMU alone: the stand-in does not
// implement query-qmp-schema (it would need the introspection data QEMU's
// qapi-introspect generates, which this project does not generate).
func TestIntegrationQMPSchema(t *testing.T) {
	integration(t)
	leakcheck.Check(t)
	q, _ := realQMP(t, qmpPeers[0])
	raw, err := q.Execute(testCtx(t), "query-qmp-schema", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) < 200_000 {
		t.Errorf("query-qmp-schema returned %d bytes, want more than 200 KB", len(raw))
	}
	var entities []struct {
		Name     string `json:"name"`
		MetaType string `json:"meta-type"`
		AllowOOB bool   `json:"allow-oob"`
	}
	if err := json.Unmarshal(raw, &entities); err != nil {
		t.Fatal(err)
	}
	// Command names are not masked (type names are).
	var oobCmds []string
	found := false
	for _, e := range entities {
		if e.MetaType == "command" && e.Name == "query-status" {
			found = true
		}
		if e.AllowOOB {
			oobCmds = append(oobCmds, e.Name)
		}
	}
	if !found || len(entities) < 1000 {
		t.Errorf("%d entities, query-status found: %v", len(entities), found)
	}
	t.Logf("query-qmp-schema: %d bytes, %d entities, allow-oob commands: %q", len(raw), len(entities), oobCmds)
	if !slices.Contains(oobCmds, "query-yank") {
		t.Errorf("query-yank does not allow oob in this QEMU: %q", oobCmds)
	}
	// A limit below the reply fails the connection with a protocol error.
	q2, err := runtime.DialQMP(testCtx(t), "unix", qemutest.Start(t).Socket, runtime.WithMaxMessageSize(64<<10))
	if err != nil {
		t.Fatal(err)
	}
	defer q2.Close()
	_, err = q2.Execute(testCtx(t), "query-qmp-schema", nil)
	if !errors.Is(err, runtime.ErrMessageTooLarge) {
		t.Errorf("query-qmp-schema over a 64 KiB limit: %v, want ErrMessageTooLarge", err)
	}
}

func TestIntegrationQMPOutOfBand(t *testing.T) {
	integration(t)
	leakcheck.Check(t)
	for _, p := range qmpPeers {
		t.Run(p.name, func(t *testing.T) {
			q, _ := realQMP(t, p)
			type yank struct {
				Type string `json:"type"`
				ID   string `json:"id"`
			}
			var instances []yank
			if err := q.Call(testCtx(t), "query-yank", nil, &instances, runtime.OutOfBand()); err != nil {
				t.Fatal(err)
			}
			// -qmp creates the chardev "compat_monitor0", a yank instance.
			if !slices.Contains(instances, yank{Type: "chardev", ID: "compat_monitor0"}) {
				t.Errorf("query-yank: %+v", instances)
			}
			// A command without allow-oob sent out of band is refused.
			err := q.Call(testCtx(t), "query-status", nil, nil, runtime.OutOfBand())
			var ce *runtime.CommandError
			if !errors.As(err, &ce) || !errors.Is(err, runtime.GenericError) || !strings.Contains(ce.Desc, "OOB") {
				t.Errorf("query-status out of band: %v", err)
			}
			// Out-of-band and in-band calls mixed, concurrently.
			var wg sync.WaitGroup
			errs := make(chan error, 32)
			for i := range 32 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if i%2 == 0 {
						var got []yank
						if err := q.Call(testCtx(t), "query-yank", nil, &got, runtime.OutOfBand()); err != nil || len(got) == 0 {
							errs <- fmt.Errorf("oob: %v, %v", got, err)
						}
						return
					}
					var st status
					if err := q.Call(testCtx(t), "query-status", nil, &st); err != nil || st.Status != "running" {
						errs <- fmt.Errorf("in-band: %+v, %v", st, err)
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
		})
	}
}

func TestIntegrationQMPErrors(t *testing.T) {
	integration(t)
	leakcheck.Check(t)
	for _, p := range qmpPeers {
		t.Run(p.name, func(t *testing.T) {
			q, _ := realQMP(t, p)
			tests := []struct {
				cmd   string
				args  any
				class runtime.ErrorClass
			}{
				{"no-such-command", nil, runtime.CommandNotFound},
				{"device_del", map[string]string{"id": "nope"}, runtime.DeviceNotFound},
				{"query-status", map[string]int{"bogus": 1}, runtime.GenericError},
				{"qmp_capabilities", nil, runtime.CommandNotFound},
			}
			for _, tt := range tests {
				err := q.Call(testCtx(t), tt.cmd, tt.args, nil)
				var ce *runtime.CommandError
				if !errors.As(err, &ce) || !errors.Is(err, tt.class) || ce.Command != tt.cmd || ce.Desc == "" {
					t.Errorf("%s: %v (%T), want a %s *CommandError", tt.cmd, err, err, tt.class)
				}
			}
			if q.Err() != nil {
				t.Errorf("session failed: %v", q.Err())
			}
		})
	}
}

func TestIntegrationQMPGetfd(t *testing.T) {
	integration(t)
	leakcheck.Check(t)
	for _, p := range qmpPeers {
		t.Run(p.name, func(t *testing.T) {
			q, _ := realQMP(t, p)
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			defer w.Close()
			if err := q.Call(testCtx(t), "getfd", map[string]string{"fdname": "pipe0"}, nil, runtime.WithFiles(w)); err != nil {
				t.Fatalf("getfd: %v", err)
			}
			// QEMU holds the descriptor under its name: closefd finds it once.
			if err := q.Call(testCtx(t), "closefd", map[string]string{"fdname": "pipe0"}, nil); err != nil {
				t.Errorf("closefd of the passed descriptor: %v", err)
			}
			if err := q.Call(testCtx(t), "closefd", map[string]string{"fdname": "pipe0"}, nil); !errors.Is(err, runtime.GenericError) {
				t.Errorf("second closefd: %v, want GenericError", err)
			}
			// getfd without a descriptor fails.
			if err := q.Call(testCtx(t), "getfd", map[string]string{"fdname": "none"}, nil); !errors.Is(err, runtime.GenericError) {
				t.Errorf("getfd without a file: %v, want GenericError", err)
			}

			// add-fd puts the descriptor in an fd set query-fdsets shows.
			var added struct {
				FdsetID int `json:"fdset-id"`
				FD      int `json:"fd"`
			}
			if err := q.Call(testCtx(t), "add-fd", map[string]any{"fdset-id": 7, "opaque": "read end"}, &added, runtime.WithFiles(r)); err != nil {
				t.Fatalf("add-fd: %v", err)
			}
			var sets []struct {
				FdsetID int `json:"fdset-id"`
				FDs     []struct {
					FD     int    `json:"fd"`
					Opaque string `json:"opaque"`
				} `json:"fds"`
			}
			if err := q.Call(testCtx(t), "query-fdsets", nil, &sets); err != nil {
				t.Fatal(err)
			}
			if len(sets) != 1 || sets[0].FdsetID != 7 || len(sets[0].FDs) != 1 || sets[0].FDs[0].FD != added.FD || sets[0].FDs[0].Opaque != "read end" {
				t.Errorf("query-fdsets %+v after add-fd %+v", sets, added)
			}
			if err := q.Call(testCtx(t), "remove-fd", map[string]int{"fdset-id": 7}, nil); err != nil {
				t.Errorf("remove-fd: %v", err)
			}
		})
	}
}

func TestIntegrationQMPStopCont(t *testing.T) {
	integration(t)
	leakcheck.Check(t)
	for _, p := range qmpPeers {
		t.Run(p.name, func(t *testing.T) {
			q, _ := realQMP(t, p)
			all := q.Subscribe()
			defer all.Close()
			for _, step := range []struct {
				cmd, event, status string
			}{
				{"stop", "STOP", "paused"},
				{"cont", "RESUME", "running"},
				{"stop", "STOP", "paused"},
				{"cont", "RESUME", "running"},
			} {
				ev, err := q.CallAndWait(testCtx(t), step.cmd, nil, nil, step.event, nil)
				if err != nil {
					t.Fatalf("%s: %v", step.cmd, err)
				}
				if ev.Name != step.event || time.Since(ev.Timestamp) > time.Hour || ev.Timestamp.After(time.Now().Add(time.Minute)) {
					t.Errorf("%s: event %+v", step.cmd, ev)
				}
				var st status
				if err := q.Call(testCtx(t), "query-status", nil, &st); err != nil || st.Status != step.status {
					t.Errorf("after %s: %+v, %v", step.cmd, st, err)
				}
			}
			var names []string
			for len(names) < 4 {
				select {
				case ev := <-all.Events():
					names = append(names, ev.Name)
				case <-time.After(5 * time.Second):
					t.Fatalf("events so far %q", names)
				}
			}
			if want := []string{"STOP", "RESUME", "STOP", "RESUME"}; !slices.Equal(names, want) {
				t.Errorf("events %q, want %q", names, want)
			}
		})
	}
}

func TestIntegrationQMPQuit(t *testing.T) {
	integration(t)
	leakcheck.Check(t)
	for _, p := range qmpPeers {
		t.Run(p.name, func(t *testing.T) {
			q, proc := realQMP(t, p)
			sub := q.Subscribe("SHUTDOWN")
			err := q.Call(testCtx(t), "quit", nil, nil)
			// QEMU answers quit and then closes; the reply may lose the race
			// with the close, which must then be a clean *ConnError.
			var ce *runtime.ConnError
			if err != nil && !errors.As(err, &ce) {
				t.Fatalf("quit: %v", err)
			}
			waitDone(t, q.Done())
			if !errors.Is(q.Err(), io.EOF) {
				t.Errorf("after quit: Err() = %v, want a *ConnError wrapping io.EOF", q.Err())
			}
			var got []string
			for ev := range sub.Events() { // closes with the session
				got = append(got, ev.Name)
			}
			if !slices.Equal(got, []string{"SHUTDOWN"}) {
				t.Errorf("events %q, want SHUTDOWN", got)
			}
			if err := proc.Wait(testCtx(t)); err != nil {
				t.Errorf("%s exit: %v\n%s", p.name, err, proc.Output())
			}
			if err := q.Call(testCtx(t), "query-status", nil, nil); !errors.As(err, &ce) {
				t.Errorf("call after quit: %v, want *ConnError", err)
			}
		})
	}
}

// TestIntegrationQMPAccept runs against QEMU alone: connecting to its
// client (-qmp unix:PATH,server=off) is QEMU behaviour the stand-in, which
// only listens, does not claim.
func TestIntegrationQMPAccept(t *testing.T) {
	integration(t)
	leakcheck.Check(t)
	sock := filepath.Join(qemutest.SocketDir(t), "client.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	proc := qemutest.StartConnecting(t, sock)
	q, err := runtime.AcceptQMP(testCtx(t), ln)
	if err != nil {
		t.Fatalf("AcceptQMP: %v\n%s", err, proc.Output())
	}
	defer q.Close()
	var st status
	if err := q.Call(testCtx(t), "query-status", nil, &st); err != nil || st.Status != "running" {
		t.Errorf("query-status: %+v, %v", st, err)
	}
}

// realQGA starts the agent and connects a session to it.
func realQGA(t *testing.T, socket string) *runtime.QGA {
	t.Helper()
	q, err := runtime.DialQGA(testCtx(t), "unix", socket)
	if err != nil {
		t.Fatalf("DialQGA: %v", err)
	}
	t.Cleanup(func() { q.Close() })
	return q
}

type agentInfo struct {
	Version           string `json:"version"`
	SupportedCommands []struct {
		Name            string `json:"name"`
		Enabled         bool   `json:"enabled"`
		SuccessResponse bool   `json:"success-response"`
	} `json:"supported_commands"`
}

func TestIntegrationQGA(t *testing.T) {
	integration(t)
	leakcheck.Check(t)
	for _, p := range qgaPeers {
		t.Run(p.name, func(t *testing.T) {
			agent := p.start(t)
			q := realQGA(t, agent.Socket)
			if err := q.Call(testCtx(t), "guest-ping", nil, nil); err != nil {
				t.Fatalf("guest-ping: %v", err)
			}
			var info agentInfo
			if err := q.Call(testCtx(t), "guest-info", nil, &info); err != nil {
				t.Fatalf("guest-info: %v", err)
			}
			if info.Version == "" || len(info.SupportedCommands) < 20 {
				t.Errorf("guest-info: version %q, %d commands", info.Version, len(info.SupportedCommands))
			}
			// The commands that act on the host must be disabled.
			enabled := map[string]bool{}
			for _, c := range info.SupportedCommands {
				enabled[c.Name] = c.Enabled
			}
			for _, name := range qemutest.AgentBlockedRPCs {
				if e, ok := enabled[name]; ok && e {
					t.Errorf("%s is enabled on the host agent", name)
				}
			}
			if !enabled["guest-ping"] {
				t.Error("guest-ping not enabled")
			}
			// A command error is a *CommandError and leaves the session usable.
			err := q.Call(testCtx(t), "guest-no-such-command", nil, nil)
			if !errors.Is(err, runtime.CommandNotFound) {
				t.Errorf("unknown command: %v, want CommandNotFound", err)
			}
			// Explicit resynchronisation, then calls again.
			if err := q.Sync(testCtx(t)); err != nil {
				t.Errorf("Sync: %v", err)
			}
			for range 20 {
				if err := q.Call(testCtx(t), "guest-ping", nil, nil); err != nil {
					t.Fatalf("guest-ping: %v", err)
				}
			}
			// Concurrent callers are serialised.
			var wg sync.WaitGroup
			errs := make(chan error, 16)
			for range 16 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					var info agentInfo
					if err := q.Call(testCtx(t), "guest-info", nil, &info); err != nil || info.Version == "" {
						errs <- fmt.Errorf("guest-info: %+v, %v", info.Version, err)
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			t.Logf("%s %s, %d commands", p.name, info.Version, len(info.SupportedCommands))
		})
	}
}

// proxy sits between the client and the agent: it records what the
// client sends, and can hold back the agent's output and inject bytes
// in either direction.
type proxy struct {
	t      *testing.T
	path   string
	ln     net.Listener
	wg     sync.WaitGroup
	mu     sync.Mutex
	toAg   bytes.Buffer // everything the client sent
	client net.Conn
	agent  net.Conn
	hold   bool
	closed bool
	held   []byte
	seen   chan struct{} // signalled when toAg grows
}

func newProxy(t *testing.T, agentSocket string, preamble []byte) *proxy {
	dir, err := os.MkdirTemp("", "qt")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	p := &proxy{t: t, path: filepath.Join(dir, "proxy.sock"), seen: make(chan struct{}, 1)}
	p.ln, err = net.Listen("unix", p.path)
	if err != nil {
		t.Fatal(err)
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		a, err := net.Dial("unix", agentSocket)
		if err != nil {
			c.Close()
			return
		}
		if len(preamble) > 0 {
			a.Write(preamble) // stale bytes from a "previous client"
		}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			c.Close()
			a.Close()
			return
		}
		p.client, p.agent = c, a
		p.wg.Add(2)
		p.mu.Unlock()
		go func() { // client -> agent
			defer p.wg.Done()
			buf := make([]byte, 4096)
			for {
				n, err := c.Read(buf)
				if n > 0 {
					p.mu.Lock()
					p.toAg.Write(buf[:n])
					p.mu.Unlock()
					select {
					case p.seen <- struct{}{}:
					default:
					}
					a.Write(buf[:n])
				}
				if err != nil {
					a.Close()
					return
				}
			}
		}()
		go func() { // agent -> client
			defer p.wg.Done()
			buf := make([]byte, 4096)
			for {
				n, err := a.Read(buf)
				if n > 0 {
					p.mu.Lock()
					if p.hold {
						p.held = append(p.held, buf[:n]...)
						p.mu.Unlock()
					} else {
						p.mu.Unlock()
						c.Write(buf[:n])
					}
				}
				if err != nil {
					c.Close()
					return
				}
			}
		}()
	}()
	t.Cleanup(p.close)
	return p
}

func (p *proxy) close() {
	p.ln.Close()
	p.mu.Lock()
	p.closed = true
	if p.client != nil {
		p.client.Close()
		p.agent.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// holdAgent starts holding back the agent's output.
func (p *proxy) holdAgent() {
	p.mu.Lock()
	p.hold = true
	p.mu.Unlock()
}

// release sends inject, then what was held back, then after, and stops
// holding.
func (p *proxy) release(inject, after []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := append(append(append([]byte(nil), inject...), p.held...), after...)
	p.held, p.hold = nil, false
	p.client.Write(out)
}

// heldContains waits until the held-back agent output contains s.
func (p *proxy) heldContains(s string) {
	p.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		p.mu.Lock()
		ok := bytes.Contains(p.held, []byte(s))
		p.mu.Unlock()
		if ok {
			return
		}
		time.Sleep(time.Millisecond)
	}
	p.t.Fatalf("the agent never sent %q", s)
}

// sent returns what the client sent so far.
func (p *proxy) sent() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]byte(nil), p.toAg.Bytes()...)
}

// TestIntegrationQGAResync: a call is cancelled while the agent's reply
// is held back; the late reply arrives wrapped in stale bytes (half a
// line, garbage, a fake sync reply with the wrong id); the next call
// resynchronises with the real agent and gets its own reply. A partial
// request left in the agent's parser by a "previous client" is flushed
// by the 0xFF sent on connect.
func TestIntegrationQGAResync(t *testing.T) {
	integration(t)
	leakcheck.Check(t)
	for _, p := range qgaPeers {
		t.Run(p.name, func(t *testing.T) {
			agent := p.start(t)
			px := newProxy(t, agent.Socket, []byte(`{"execute": "guest-info", "arguments": {"x": `))
			q := realQGA(t, px.path)
			if err := q.Call(testCtx(t), "guest-ping", nil, nil); err != nil {
				t.Fatalf("guest-ping after connect: %v", err)
			}

			px.holdAgent()
			ctx, cancel := context.WithCancel(testCtx(t))
			res := make(chan error, 1)
			go func() { res <- q.Call(ctx, "guest-info", nil, nil) }()
			px.heldContains(`"supported_commands"`) // the agent answered; the client has not seen it
			cancel()
			if err := <-res; !errors.Is(err, context.Canceled) {
				t.Fatalf("cancelled guest-info: %v", err)
			}
			px.release(
				[]byte(`{"return": {"version": "stale`+"\n"+`garbage\x00{{{`+"\n"),
				[]byte("\xff{\"return\": 12345}\n"+`{"return": {"half`))

			// The next call must resynchronise and get guest-ping's own reply,
			// not the late guest-info reply.
			var pong map[string]any
			if err := q.Call(testCtx(t), "guest-ping", nil, &pong); err != nil {
				t.Fatalf("guest-ping after the cancelled call: %v", err)
			}
			if len(pong) != 0 {
				t.Errorf("guest-ping returned %v: another call's reply", pong)
			}
			var info agentInfo
			if err := q.Call(testCtx(t), "guest-info", nil, &info); err != nil || info.Version == "" {
				t.Errorf("guest-info: %+v, %v", info.Version, err)
			}
			sent := px.sent()
			if n := bytes.Count(sent, []byte{0xFF}); n != 2 {
				t.Errorf("the client sent %d 0xFF bytes, want 2 (on connect, after the cancel):\n%q", n, sent)
			}
			if n := bytes.Count(sent, []byte(`guest-sync-delimited`)); n != 2 {
				t.Errorf("the client sent %d guest-sync-delimited, want 2", n)
			}
		})
	}
}

// TestIntegrationQMPCancelLateReply: QEMU's reply is held back by a proxy
// until the call has been cancelled; the late reply is dropped and the
// next calls, in band and out of band, get their own replies.
func TestIntegrationQMPCancelLateReply(t *testing.T) {
	integration(t)
	leakcheck.Check(t)
	for _, p := range qmpPeers {
		proc := p.start(t)
		for _, oob := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/oob=%v", p.name, oob), func(t *testing.T) {
				px := newProxy(t, proc.Socket, nil)
				q, err := runtime.DialQMP(testCtx(t), "unix", px.path)
				if err != nil {
					t.Fatal(err)
				}
				defer q.Close()
				px.holdAgent()
				ctx, cancel := context.WithCancel(testCtx(t))
				res := make(chan error, 1)
				wait := `"status"`
				go func() {
					if oob {
						res <- q.Call(ctx, "query-yank", nil, nil, runtime.OutOfBand())
					} else {
						res <- q.Call(ctx, "query-status", nil, nil)
					}
				}()
				if oob {
					wait = `"compat_monitor0"`
				}
				px.heldContains(wait)
				cancel()
				if err := <-res; !errors.Is(err, context.Canceled) {
					t.Fatalf("cancelled call: %v", err)
				}
				px.release(nil, nil)
				var v struct {
					QEMU struct{ Major int } `json:"qemu"`
				}
				if err := q.Call(testCtx(t), "query-version", nil, &v); err != nil || v.QEMU.Major == 0 {
					t.Errorf("query-version after the late reply: %+v, %v", v, err)
				}
				var y []struct{ Type, ID string }
				if err := q.Call(testCtx(t), "query-yank", nil, &y, runtime.OutOfBand()); err != nil || len(y) == 0 {
					t.Errorf("query-yank after the late reply: %+v, %v", y, err)
				}
				q.Close()
				px.close() // QEMU serves one client at a time: free the monitor
			})
		}
	}
}

// TestIntegrationQMPFdsets: add-fd, query-fdsets and remove-fd, their
// errors included, give the same results on every peer: the set numbers
// QEMU picks (the lowest free one when none is named), the order it
// lists sets (highest first) and descriptors (as added) in, and its error
// texts. Descriptor numbers are the server's own, so they are compared
// with what add-fd returned.
func TestIntegrationQMPFdsets(t *testing.T) {
	integration(t)
	leakcheck.Check(t)
	type fdInfo struct {
		FD     int     `json:"fd"`
		Opaque *string `json:"opaque"`
	}
	type fdset struct {
		FdsetID int      `json:"fdset-id"`
		FDs     []fdInfo `json:"fds"`
	}
	opaque := func(s string) *string { return &s }
	for _, p := range qmpPeers {
		t.Run(p.name, func(t *testing.T) {
			q, _ := realQMP(t, p)
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			defer w.Close()
			adds := []struct {
				args    map[string]any
				wantSet int
			}{
				{map[string]any{"fdset-id": 5, "opaque": "a"}, 5},
				{map[string]any{"fdset-id": 5, "opaque": "b"}, 5},
				{map[string]any{"fdset-id": 1}, 1},
				{nil, 0},
				{nil, 2},
				{map[string]any{"fdset-id": 5, "opaque": "c"}, 5},
			}
			fds := make([]int, len(adds))
			for i, a := range adds {
				var added struct {
					FdsetID int `json:"fdset-id"`
					FD      int `json:"fd"`
				}
				if err := q.Call(testCtx(t), "add-fd", a.args, &added, runtime.WithFiles(r)); err != nil {
					t.Fatalf("add-fd %v: %v", a.args, err)
				}
				if added.FdsetID != a.wantSet {
					t.Errorf("add-fd %v: fd set %d, want %d", a.args, added.FdsetID, a.wantSet)
				}
				fds[i] = added.FD
			}
			query := func() []fdset {
				var sets []fdset
				if err := q.Call(testCtx(t), "query-fdsets", nil, &sets); err != nil {
					t.Fatal(err)
				}
				return sets
			}
			want := []fdset{
				{5, []fdInfo{{fds[0], opaque("a")}, {fds[1], opaque("b")}, {fds[5], opaque("c")}}},
				{2, []fdInfo{{fds[4], nil}}},
				{1, []fdInfo{{fds[2], nil}}},
				{0, []fdInfo{{fds[3], nil}}},
			}
			if diff := cmp.Diff(want, query()); diff != "" {
				t.Errorf("query-fdsets (-want +got):\n%s", diff)
			}

			errTests := []struct {
				cmd   string
				args  map[string]any
				files []*os.File
				desc  string
			}{
				{"add-fd", map[string]any{"fdset-id": -1}, []*os.File{r}, "Parameter 'fdset-id' expects a non-negative value"},
				{"add-fd", map[string]any{"fdset-id": 3}, nil, "No file descriptor supplied via SCM_RIGHTS"},
				{"remove-fd", map[string]any{"fdset-id": 9}, nil, "File descriptor named 'fdset-id:9' not found"},
				{"remove-fd", map[string]any{"fdset-id": 5, "fd": 99999}, nil, "File descriptor named 'fdset-id:5, fd:99999' not found"},
			}
			for _, tt := range errTests {
				err := q.Call(testCtx(t), tt.cmd, tt.args, nil, runtime.WithFiles(tt.files...))
				var ce *runtime.CommandError
				if !errors.As(err, &ce) || ce.Class != runtime.GenericError || ce.Desc != tt.desc {
					t.Errorf("%s %v: %v, want GenericError %q", tt.cmd, tt.args, err, tt.desc)
				}
			}

			// Removing one descriptor, then the rest of the set.
			if err := q.Call(testCtx(t), "remove-fd", map[string]any{"fdset-id": 5, "fd": fds[1]}, nil); err != nil {
				t.Fatalf("remove-fd one: %v", err)
			}
			if err := q.Call(testCtx(t), "remove-fd", map[string]any{"fdset-id": 5}, nil); err != nil {
				t.Fatalf("remove-fd all: %v", err)
			}
			if diff := cmp.Diff(want[1:], query()); diff != "" {
				t.Errorf("query-fdsets after remove-fd (-want +got):\n%s", diff)
			}
		})
	}
}
