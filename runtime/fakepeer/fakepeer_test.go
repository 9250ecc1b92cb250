package fakepeer_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/qapi-go/qapi/internal/leakcheck"
	"github.com/qapi-go/qapi/runtime/fakepeer"
)

// raw is a minimal hand-written client: it sends bytes and reads lines.
type raw struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
}

func newRaw(t *testing.T, conn net.Conn) *raw {
	t.Cleanup(func() { conn.Close() })
	return &raw{t: t, conn: conn, r: bufio.NewReader(conn)}
}

func (c *raw) send(s string) {
	c.t.Helper()
	c.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.conn.Write([]byte(s)); err != nil {
		c.t.Fatalf("write %q: %v", s, err)
	}
}

// line reads one line, terminator included; "" at end of stream.
func (c *raw) line() string {
	c.t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	s, err := c.r.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		c.t.Fatalf("read: %v (partial %q)", err, s)
	}
	return s
}

func (c *raw) lines(n int) []string {
	c.t.Helper()
	out := make([]string, n)
	for i := range out {
		out[i] = c.line()
	}
	return out
}

// rest reads until end of stream.
func (c *raw) rest() string {
	c.t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	b, err := io.ReadAll(c.r)
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return string(b)
}

const (
	greeting = `{"QMP": {"version": {"qemu": {"micro": 2, "minor": 2, "major": 10}, "package": "v10.2.2"}, "capabilities": ["oob"]}}` + "\r\n"
	okReply  = `{"return": {}}` + "\r\n"
)

var ts = time.Unix(1700000000, 123456000)

func TestQMPTranscripts(t *testing.T) {
	tests := []struct {
		name   string
		cfg    fakepeer.Config
		script []fakepeer.Step
		send   []string // sent one by one; after each, read reads[i] lines
		reads  []int
		want   []string
		cmds   []string
	}{
		{
			name: "negotiation and a call with id",
			script: []fakepeer.Step{
				fakepeer.Expect("query-status", fakepeer.NoArgs(), fakepeer.InBand()),
				fakepeer.Reply(map[string]any{"status": "running"}),
			},
			send:  []string{`{"execute":"qmp_capabilities","arguments":{"enable":["oob"]}}`, `{"execute":"query-status","id":7}`},
			reads: []int{2, 1},
			want:  []string{greeting, okReply, `{"return": {"status": "running"}, "id": 7}` + "\r\n"},
			cmds:  []string{"qmp_capabilities", "query-status"},
		},
		{
			name: "events before and after the reply",
			script: []fakepeer.Step{
				fakepeer.Expect("stop"),
				fakepeer.EmitEvent(fakepeer.Event{Name: "STOP", Time: ts}),
				fakepeer.Reply(nil),
				fakepeer.EmitEvent(fakepeer.Event{Name: "X", Data: map[string]int{"a": 1}, Time: ts}),
			},
			send:  []string{`{"execute":"qmp_capabilities"}`, `{"execute":"stop"}`},
			reads: []int{2, 3},
			want: []string{greeting, okReply,
				`{"timestamp": {"seconds": 1700000000, "microseconds": 123456}, "event": "STOP"}` + "\r\n",
				okReply,
				`{"timestamp": {"seconds": 1700000000, "microseconds": 123456}, "event": "X", "data": {"a": 1}}` + "\r\n"},
			cmds: []string{"qmp_capabilities", "stop"},
		},
		{
			name: "QEMU's answers before and around negotiation",
			cfg:  fakepeer.Config{Capabilities: []string{}},
			send: []string{
				`{"execute":"query-status","id":"a"}`,
				`{"execute":"qmp_capabilities","arguments":{"enable":["oob"]}}`,
				`{"execute":"qmp_capabilities"}`,
				`{"execute":"qmp_capabilities"}`,
				`{"exec-oob":"query-yank","id":1}`,
			},
			reads: []int{2, 1, 1, 1, 1},
			want: []string{
				`{"QMP": {"version": {"qemu": {"micro": 2, "minor": 2, "major": 10}, "package": "v10.2.2"}, "capabilities": []}}` + "\r\n",
				`{"id": "a", "error": {"class": "CommandNotFound", "desc": "Expecting capabilities negotiation with 'qmp_capabilities'"}}` + "\r\n",
				`{"error": {"class": "GenericError", "desc": "Capability 'oob' not available"}}` + "\r\n",
				okReply,
				`{"error": {"class": "CommandNotFound", "desc": "Capabilities negotiation is already complete, command ignored"}}` + "\r\n",
				`{"id": 1, "error": {"class": "GenericError", "desc": "QMP input member 'exec-oob' is unexpected"}}` + "\r\n",
			},
			cmds: []string{"query-status", "qmp_capabilities", "qmp_capabilities", "qmp_capabilities", "query-yank"},
		},
		{
			name: "out-of-band reply overtakes, ids echoed",
			cfg:  fakepeer.Config{Version: &fakepeer.Version{Major: 7, Minor: 2, Micro: 22, Package: "Debian"}},
			script: []fakepeer.Step{
				fakepeer.Expect("query-status"),
				fakepeer.Expect("query-yank", fakepeer.OOB(), fakepeer.WithID()),
				fakepeer.ReplyTo("query-yank", []any{}),
				fakepeer.Reply(map[string]any{"status": "paused"}),
			},
			send:  []string{`{"execute":"qmp_capabilities","arguments":{"enable":["oob"]}}`, `{"execute":"query-status","id":{"x":[1, 2]}}{"exec-oob":"query-yank","id":"y"}`},
			reads: []int{2, 2},
			want: []string{
				`{"QMP": {"version": {"qemu": {"micro": 22, "minor": 2, "major": 7}, "package": "Debian"}, "capabilities": ["oob"]}}` + "\r\n",
				okReply,
				`{"return": [], "id": "y"}` + "\r\n",
				`{"return": {"status": "paused"}, "id": {"x": [1, 2]}}` + "\r\n",
			},
			cmds: []string{"qmp_capabilities", "query-status", "query-yank"},
		},
		{
			name: "errors, unknown ids, raw lines",
			script: []fakepeer.Step{
				fakepeer.Expect("device_del", fakepeer.Args(map[string]any{"id": "net0"})),
				fakepeer.ReplyWithID("nobody", 1),
				fakepeer.Line("garbage"),
				fakepeer.Write([]byte("{\"ret")),
				fakepeer.Write([]byte("urn\": 5}\r\n")),
				fakepeer.ReplyError("DeviceNotFound", "Device 'net0' not found"),
			},
			send:  []string{`{"execute":"qmp_capabilities"}`, `{ "execute" : "device_del", "arguments" : { "id" : "net0" }, "id": null }`},
			reads: []int{2, 4},
			want: []string{greeting, okReply,
				`{"return": 1, "id": "nobody"}` + "\r\n",
				"garbage\r\n",
				`{"return": 5}` + "\r\n",
				`{"id": null, "error": {"class": "DeviceNotFound", "desc": "Device 'net0' not found"}}` + "\r\n",
			},
			cmds: []string{"qmp_capabilities", "device_del"},
		},
		{
			name: "handler mode",
			cfg: fakepeer.Config{Handler: func(cmd string, args json.RawMessage) fakepeer.Response {
				switch cmd {
				case "echo":
					return fakepeer.Response{Return: args, EventsAfter: []fakepeer.Event{{Name: "ECHOED", Time: ts}}}
				case "quiet":
					return fakepeer.Response{NoReply: true}
				}
				return fakepeer.Response{Error: &fakepeer.Error{Class: "CommandNotFound", Desc: "The command " + cmd + " has not been found"}}
			}},
			send: []string{
				`{"execute":"qmp_capabilities","arguments":{"enable":["oob"]}}`,
				`{"execute":"quiet"}{"exec-oob":"echo","arguments":{"a":[true]},"id":3}`,
				`{"execute":"nope"}`,
			},
			reads: []int{2, 2, 1},
			want: []string{greeting, okReply,
				`{"return": {"a": [true]}, "id": 3}` + "\r\n",
				`{"timestamp": {"seconds": 1700000000, "microseconds": 123456}, "event": "ECHOED"}` + "\r\n",
				`{"error": {"class": "CommandNotFound", "desc": "The command nope has not been found"}}` + "\r\n",
			},
			cmds: []string{"qmp_capabilities", "quiet", "echo", "nope"},
		},
		{
			name: "verbatim greeting, manual negotiation",
			cfg:  fakepeer.Config{Greeting: []byte(`{"QMP": {}}`), ManualNegotiation: true},
			script: []fakepeer.Step{
				fakepeer.Expect("qmp_capabilities", fakepeer.Args(json.RawMessage(`{"enable":["oob"]}`))),
				fakepeer.ReplyError("GenericError", "no"),
			},
			send:  []string{`{"execute":"qmp_capabilities","arguments":{"enable":["oob"]}}`},
			reads: []int{2},
			want:  []string{`{"QMP": {}}` + "\r\n", `{"error": {"class": "GenericError", "desc": "no"}}` + "\r\n"},
			cmds:  []string{"qmp_capabilities"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			leakcheck.Check(t)
			cfg := tt.cfg
			cfg.Script = tt.script
			p := fakepeer.New(t, cfg)
			c := newRaw(t, p.Pipe())
			var got []string
			for i, s := range tt.send {
				if i == 0 {
					got = append(got, c.line())
					tt.reads[0]--
				}
				c.send(s)
				got = append(got, c.lines(tt.reads[i])...)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("transcript (-want +got):\n%s", diff)
			}
			c.conn.Close()
			if err := p.Wait(); err != nil {
				t.Errorf("Wait: %v", err)
			}
			if diff := cmp.Diff(tt.cmds, p.Commands()); diff != "" {
				t.Errorf("Commands (-want +got):\n%s", diff)
			}
		})
	}
}

func TestQGASync(t *testing.T) {
	tests := []struct {
		name string
		cfg  fakepeer.Config
		send string
		want string
	}{
		{
			name: "sync",
			send: "\xff{\"execute\":\"guest-sync-delimited\",\"arguments\":{\"id\":12345678901}}",
			want: "\xff{\"return\": 12345678901}\n",
		},
		{
			name: "7.2 agent answers the bare 0xFF",
			cfg:  fakepeer.Config{SyncByteError: true},
			send: "\xff{\"execute\":\"guest-sync-delimited\",\"arguments\":{\"id\":1}}",
			want: "{\"error\": {\"class\": \"GenericError\", \"desc\": \"JSON parse error, stray '\\\\uFFFD'\"}}\n\xff{\"return\": 1}\n",
		},
		{
			name: "partial request discarded by 0xFF",
			send: "{\"execute\":\"guest-pi\xff{\"execute\":\"guest-sync\",\"arguments\":{\"id\":-4},\"id\":\"s\"}",
			want: "{\"return\": -4, \"id\": \"s\"}\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			leakcheck.Check(t)
			cfg := tt.cfg
			cfg.Protocol = fakepeer.QGA
			cfg.Script = []fakepeer.Step{
				fakepeer.Expect("guest-ping"),
				fakepeer.Reply(nil),
			}
			errs := make(chan error, 10)
			cfg.Errors = errs
			p := fakepeer.New(nil, cfg)
			defer p.Close()
			c := newRaw(t, p.Pipe())
			c.send(tt.send)
			c.send(`{"execute":"guest-ping"}`)
			want := tt.want + "{\"return\": {}}\n"
			buf := make([]byte, len(want))
			c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			if _, err := io.ReadFull(c.r, buf); err != nil {
				t.Fatalf("read: %v (got %q)", err, buf)
			}
			got := string(buf)
			c.conn.Close()
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("received (-want +got):\n%s", diff)
			}
			<-p.Done()
			if p.Err() != nil && !strings.Contains(tt.name, "partial") {
				t.Errorf("Err: %v", p.Err())
			}
		})
	}
}

func TestFaultSteps(t *testing.T) {
	leakcheck.Check(t)
	conn, p := fakepeer.NewQGA(t,
		fakepeer.Expect("a"), fakepeer.LongReply(100),
		fakepeer.Expect("b"), fakepeer.SplitReply("split", 5, time.Millisecond),
		fakepeer.Expect("c"), fakepeer.PartialReply("half of it"), fakepeer.Close(),
	)
	c := newRaw(t, conn)
	c.send(`{"execute":"a","id":1}{"execute":"b"}{"execute":"c"}`)
	got := c.rest()
	long := `{"return": "` + strings.Repeat("x", 100-len(`{"return": "", "id": 1}`)) + `", "id": 1}`
	if len(long) != 100 {
		t.Fatalf("bad test: %d", len(long))
	}
	want := long + "\n" + `{"return": "split"}` + "\n" + `{"return": "`
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("received (-want +got):\n%s", diff)
	}
	if err := p.Wait(); err != nil {
		t.Errorf("Wait: %v", err)
	}
}

func TestFailures(t *testing.T) {
	tests := []struct {
		name   string
		script []fakepeer.Step
		send   string
		want   string // substring of the failure
	}{
		{"wrong command", []fakepeer.Step{fakepeer.Expect("stop")}, `{"execute":"cont"}`,
			`step 1 of 1 (Expect("stop")): expected command "stop", got "cont": {"execute":"cont"}`},
		{"wrong args", []fakepeer.Step{fakepeer.Expect("x", fakepeer.Args(map[string]int{"a": 1}))}, `{"execute":"x","arguments":{"a":2}}`,
			"arguments differ:\n\tgot:  {\"a\":2}\n\twant: {\"a\":1}"},
		{"not oob", []fakepeer.Step{fakepeer.Expect("x", fakepeer.OOB())}, `{"execute":"x"}`,
			"sent with execute, expected exec-oob"},
		{"garbage", []fakepeer.Step{fakepeer.Expect("x")}, `hello`,
			`expected command "x", received invalid input "hello"`},
		{"eof", []fakepeer.Step{fakepeer.Expect("x")}, ``,
			`the client closed the connection (EOF) instead of sending "x"`},
		{"after the script", nil, `{"execute":"late"}`,
			`after the script: unexpected command {"execute":"late"}: the script has ended and there is no Handler`},
		{"eof expected", []fakepeer.Step{fakepeer.ExpectEOF()}, `{"execute":"x"}`,
			`expected the client to close the connection, received {"execute":"x"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			leakcheck.Check(t)
			errs := make(chan error, 10)
			p := fakepeer.New(nil, fakepeer.Config{Protocol: fakepeer.QGA, Script: tt.script, Errors: errs})
			defer p.Close()
			c := newRaw(t, p.Pipe())
			go io.Copy(io.Discard, c.conn) // the peer answers invalid input
			if tt.send != "" {
				c.send(tt.send + "\n")
			}
			if tt.name == "eof" {
				c.conn.Close()
			}
			select {
			case err := <-errs:
				c.conn.Close()
				<-p.Done()
				if !strings.Contains(err.Error(), tt.want) {
					t.Errorf("failure %q\ndoes not contain %q", err, tt.want)
				}
				if p.Wait() == nil {
					t.Errorf("Wait returned nil after a failure")
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("no failure reported")
			}
		})
	}
}

func TestExpectTimeout(t *testing.T) {
	leakcheck.Check(t)
	errs := make(chan error, 1)
	p := fakepeer.New(nil, fakepeer.Config{Script: []fakepeer.Step{fakepeer.Expect("x")}, ExpectTimeout: 20 * time.Millisecond, Errors: errs})
	defer p.Close()
	c := newRaw(t, p.Pipe())
	c.line()
	c.send(`{"execute":"qmp_capabilities"}`)
	c.line()
	if got := c.rest(); got != "" {
		t.Errorf("after timeout: %q", got)
	}
	err := <-errs
	if want := `step 1 of 1 (Expect("x")): command "x" did not arrive within 20ms (last received: "{\"execute\":\"qmp_capabilities\"}")`; !strings.Contains(err.Error(), want) {
		t.Errorf("got %v\nwant %s", err, want)
	}
}

func TestUnfinishedScript(t *testing.T) {
	leakcheck.Check(t)
	p := fakepeer.New(nil, fakepeer.Config{Protocol: fakepeer.QGA, Script: []fakepeer.Step{
		fakepeer.Write([]byte("x")), fakepeer.Close(), fakepeer.Reply(nil)}})
	defer p.Close()
	c := newRaw(t, p.Pipe())
	c.rest()
	err := p.Wait()
	if want := "session ended after 2 of 3 steps; next: Reply(nil)"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Wait: %v, want %q", err, want)
	}
}

func TestWaitForAndDo(t *testing.T) {
	leakcheck.Check(t)
	reached, release := make(chan struct{}), make(chan struct{})
	conn, p := fakepeer.NewQGA(t,
		fakepeer.Expect("slow"),
		fakepeer.Do(func() { close(reached) }),
		fakepeer.WaitFor(release),
		fakepeer.Reply(42),
	)
	c := newRaw(t, conn)
	c.send(`{"execute":"slow"}`)
	<-reached
	close(release)
	if got := c.line(); got != "{\"return\": 42}\n" {
		t.Errorf("got %q", got)
	}
	conn.Close()
	if err := p.Wait(); err != nil {
		t.Error(err)
	}
}

func TestCloseStopsEverything(t *testing.T) {
	leakcheck.Check(t)
	// A peer blocked in every kind of wait must stop on Close.
	for _, st := range []fakepeer.Step{
		fakepeer.Expect("never"),
		fakepeer.Delay(time.Hour),
		fakepeer.WaitFor(make(chan struct{})),
		fakepeer.LongReply(1 << 20), // net.Pipe: blocks until read
	} {
		p := fakepeer.New(nil, fakepeer.Config{Protocol: fakepeer.QGA, Script: []fakepeer.Step{st}})
		conn := p.Pipe()
		p.Close()
		p.Close()
		conn.Close()
		<-p.Done()
	}
	p := fakepeer.New(nil, fakepeer.Config{})
	p.Close() // never started
	<-p.Done()
}

func TestListenWithFiles(t *testing.T) {
	leakcheck.Check(t)
	p := fakepeer.New(t, fakepeer.Config{Script: []fakepeer.Step{
		fakepeer.Expect("getfd", fakepeer.Args(map[string]string{"fdname": "fd0"}), fakepeer.Files(1)),
		fakepeer.Reply(nil),
	}})
	path, err := p.Listen()
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	c := newRaw(t, conn)
	c.line()
	c.send(`{"execute":"qmp_capabilities"}`)
	c.line()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	_, _, err = conn.(*net.UnixConn).WriteMsgUnix([]byte(`{"execute":"getfd","arguments":{"fdname":"fd0"}}`), syscall.UnixRights(int(w.Fd())), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.line(); got != okReply {
		t.Errorf("got %q", got)
	}
	reqs := p.Requests()
	if len(reqs) != 2 || len(reqs[1].Files) != 1 {
		t.Fatalf("requests: %+v", reqs)
	}
	// The received descriptor is the pipe's write end.
	if _, err := reqs[1].Files[0].Write([]byte("hi")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 2)
	if _, err := io.ReadFull(r, buf); err != nil || string(buf) != "hi" {
		t.Errorf("read %q, %v", buf, err)
	}
	conn.Close()
	if err := p.Wait(); err != nil {
		t.Error(err)
	}
}

func TestDial(t *testing.T) {
	leakcheck.Check(t)
	dir := t.TempDir()
	ln, err := net.Listen("unix", dir+"/s")
	if err != nil {
		t.Skipf("unix sockets: %v", err)
	}
	defer ln.Close()
	p := fakepeer.New(t, fakepeer.Config{})
	if err := p.Dial("unix", dir+"/s"); err != nil {
		t.Fatal(err)
	}
	conn, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	c := newRaw(t, conn)
	if got := c.line(); got != greeting {
		t.Errorf("greeting %q", got)
	}
	c.send(`{"execute":"qmp_capabilities","arguments":{"enable":["oob"]}}`)
	c.line()
	conn.Close()
	if err := p.Wait(); err != nil {
		t.Error(err)
	}
	if diff := cmp.Diff([]string{"oob"}, p.Enabled()); diff != "" {
		t.Error(diff)
	}
	if diff := cmp.Diff([][]byte{[]byte(`{"execute":"qmp_capabilities","arguments":{"enable":["oob"]}}`)}, p.Received()); diff != "" {
		t.Error(diff)
	}
}

func TestASCIIOutput(t *testing.T) {
	leakcheck.Check(t)
	conn, p := fakepeer.NewQGA(t, fakepeer.Expect("x"), fakepeer.Reply("héllo 😀 <tag> \u2028"))
	c := newRaw(t, conn)
	c.send(`{"execute":"x"}`)
	got := c.line()
	if want := `{"return": "h\u00e9llo \ud83d\ude00 <tag> \u2028"}` + "\n"; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	conn.Close()
	if err := p.Wait(); err != nil {
		t.Error(err)
	}
}

func TestServeManualSyncNoReply(t *testing.T) {
	leakcheck.Check(t)
	p := fakepeer.New(t, fakepeer.Config{Protocol: fakepeer.QGA, ManualSync: true, Script: []fakepeer.Step{
		fakepeer.Expect("guest-sync-delimited", fakepeer.Args(json.RawMessage(`{"id": 5.0}`))),
		fakepeer.Write([]byte("stale\n")),
		fakepeer.SyncReply(),
		fakepeer.Flush(),
		fakepeer.Expect("guest-shutdown", fakepeer.NoReply(), fakepeer.Check(func(r fakepeer.Request) error {
			if r.Args != nil {
				return errors.New("arguments")
			}
			return nil
		})),
		fakepeer.Expect("guest-ping"),
		fakepeer.Reply(nil), // answers guest-ping, not guest-shutdown
	}})
	client, server := net.Pipe()
	p.Serve(server)
	c := newRaw(t, client)
	c.send("\xff{\"execute\":\"guest-sync-delimited\",\"arguments\":{\"id\":5}}")
	if got := c.lines(2); !cmp.Equal(got, []string{"stale\n", "\xff{\"return\": 5}\n"}) {
		t.Errorf("sync: %q", got)
	}
	c.send(`{"execute":"guest-shutdown"}{"execute":"guest-ping","id":"p"}`)
	if got := c.line(); got != `{"return": {}, "id": "p"}`+"\n" {
		t.Errorf("ping: %q", got)
	}
	client.Close()
	if err := p.Wait(); err != nil {
		t.Error(err)
	}
	if got := string(p.Received()[0]); got != "\xff" {
		t.Errorf("first received %q", got)
	}
}
