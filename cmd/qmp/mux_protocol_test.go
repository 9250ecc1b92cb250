package main

import (
	"bufio"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// muxConn is a raw client of the mux: bytes out, lines in.
type muxConn struct {
	t *testing.T
	c net.Conn
	r *bufio.Reader
}

func dialMux(t *testing.T, sock string) *muxConn {
	t.Helper()
	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	mc := &muxConn{t: t, c: c, r: bufio.NewReader(c)}
	if g := mc.line(); !strings.HasPrefix(g, `{"QMP":{"version":{"qemu":`) || !strings.HasSuffix(g, `"capabilities":["oob"]}}`) {
		t.Fatalf("greeting %q", g)
	}
	return mc
}

// line reads one message, skipping events; "EOF" when the mux closed.
func (m *muxConn) line() string {
	m.t.Helper()
	for {
		m.c.SetReadDeadline(time.Now().Add(10 * time.Second))
		l, err := m.r.ReadString('\n')
		if err != nil {
			if l == "" && err.Error() == "EOF" {
				return "EOF"
			}
			m.t.Fatalf("read: %v (got %q)", err, l)
		}
		if !strings.HasSuffix(l, "\r\n") {
			m.t.Fatalf("line %q does not end with CRLF", l)
		}
		l = strings.TrimSuffix(l, "\r\n")
		if strings.HasPrefix(l, `{"event":`) {
			continue
		}
		return l
	}
}

func TestMuxProtocol(t *testing.T) {
	_, _, sock, roSock, _ := startMux(t)
	type step struct{ send, want string }
	negotiate := step{`{"execute":"qmp_capabilities"}`, `{"return":{}}`}
	tests := []struct {
		name     string
		readonly bool
		steps    []step
	}{
		{name: "negotiation first", steps: []step{
			{`{"execute":"query-name","id":1}`, `{"error":{"class":"CommandNotFound","desc":"Expecting capabilities negotiation with 'qmp_capabilities'"},"id":1}`},
			negotiate,
			{`{"execute":"qmp_capabilities","id":"again"}`, `{"error":{"class":"CommandNotFound","desc":"Capabilities negotiation is already complete, command ignored"},"id":"again"}`},
		}},
		{name: "ids restored byte for byte", steps: []step{
			negotiate,
			{`{"execute":"query-name","id": {"b" :[1, 2.50e0, "\u00e9"], "n": null}}`, `{"return":{},"id":{"b" :[1, 2.50e0, "\u00e9"], "n": null}}`},
			{`{"id":-0.0,"execute":"query-name"}`, `{"return":{},"id":-0.0}`},
			{"{\"execute\":\"query-name\",\"id\":[1,\n 2]}", `{"return":{},"id":[1,2]}`}, // messages are lines
			{`{"execute":"query-name"}`, `{"return":{}}`},
		}},
		{name: "pipelined in order", steps: []step{
			negotiate,
			{`{"execute":"qom-list","arguments":{"path":"/nonexistent-a"},"id":"a"}{"execute":"query-name","id":"b"}{"execute":"qom-list","arguments":{"path":"/nonexistent-c"},"id":"c"}`,
				`{"error":{"class":"DeviceNotFound","desc":"Device '/nonexistent-a' not found"},"id":"a"}`},
			{``, `{"return":{},"id":"b"}`},
			{``, `{"error":{"class":"DeviceNotFound","desc":"Device '/nonexistent-c' not found"},"id":"c"}`},
		}},
		{name: "oob", steps: []step{
			{`{"execute":"qmp_capabilities","arguments":{"enable":["oob"]}}`, `{"return":{}}`},
			{`{"exec-oob":"migrate-pause","id":"o"}`, `{"error":{"class":"GenericError","desc":"migrate-pause is currently only supported during postcopy-active state"},"id":"o"}`},
			{`{"exec-oob":"migrate-pause"}`, `{"error":{"class":"GenericError","desc":"Out-of-band execution requires 'id'"}}`},
		}},
		{name: "oob not enabled", steps: []step{
			negotiate,
			{`{"exec-oob":"migrate-pause","id":1}`, `{"error":{"class":"GenericError","desc":"QMP input member 'exec-oob' is unexpected"},"id":1}`},
		}},
		{name: "unknown capability", steps: []step{
			{`{"execute":"qmp_capabilities","arguments":{"enable":["warp"]}}`, `{"error":{"class":"GenericError","desc":"Capability 'warp' not available"}}`},
			negotiate,
		}},
		{name: "bad requests", steps: []step{
			negotiate,
			{`[1]`, `{"error":{"class":"GenericError","desc":"QMP input must be a JSON object"}}`},
			{`{"execute":"query-name","bogus":1,"id":2}`, `{"error":{"class":"GenericError","desc":"QMP input member 'bogus' is unexpected"},"id":2}`},
			{`{"execute":"query-name","arguments":[],"id":3}`, `{"error":{"class":"GenericError","desc":"QMP input member 'arguments' must be an object"},"id":3}`},
			{`{"execute":7}`, `{"error":{"class":"GenericError","desc":"QMP input member 'execute' must be a string"}}`},
			{`{"id":4}`, `{"error":{"class":"GenericError","desc":"QMP input lacks member 'execute'"},"id":4}`},
			{`{"execute":"no-such-command"}`, `{"error":{"class":"CommandNotFound","desc":"The command no-such-command has not been found"}}`},
			{`{"execute":"query-name"}`, `{"return":{}}`},
		}},
		{name: "malformed JSON ends the client", steps: []step{
			negotiate,
			{`{"execute":}`, `{"error":{"class":"GenericError","desc":"JSON parse error, invalid character '}' looking for beginning of value"}}`},
			{``, `EOF`},
		}},
		{name: "oversize request ends the client", steps: []step{
			negotiate,
			{`{"execute":"query-name","id":"` + strings.Repeat("x", muxMaxRequest) + `"}`, `{"error":{"class":"GenericError","desc":"JSON parse error, request larger than 1048576 bytes"}}`},
			{``, `EOF`},
		}},
		{name: "read-only", readonly: true, steps: []step{
			negotiate,
			{`{"execute":"query-name","id":1}`, `{"return":{},"id":1}`},
			{`{"execute":"qom-list","arguments":{"path":"/nonexistent"}}`, `{"error":{"class":"DeviceNotFound","desc":"Device '/nonexistent' not found"}}`},
			{`{"execute":"stop","id":2}`, `{"error":{"class":"GenericError","desc":"qmp mux: command 'stop' is not allowed on the read-only socket"},"id":2}`},
			{`{"execute":"human-monitor-command","arguments":{"command-line":"stop"}}`, `{"error":{"class":"GenericError","desc":"qmp mux: command 'human-monitor-command' is not allowed on the read-only socket"}}`},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := sock
			if tt.readonly {
				s = roSock
			}
			c := dialMux(t, s)
			for i, st := range tt.steps {
				if st.send != "" {
					go c.c.Write([]byte(st.send))
				}
				if diff := cmp.Diff(st.want, c.line()); diff != "" {
					t.Fatalf("step %d (-want +got):\n%s", i, diff)
				}
			}
		})
	}
}

func TestAllowList(t *testing.T) {
	a, err := parseAllowList("query-status, qom-*")
	if err != nil {
		t.Fatal(err)
	}
	for cmd, want := range map[string]bool{"query-status": true, "query-name": false, "qom-get": true, "stop": false, "": false} {
		if got := a.allows(cmd); got != want {
			t.Errorf("allows(%q) = %v, want %v", cmd, got, want)
		}
	}
	if _, err := parseAllowList("a*b"); err == nil {
		t.Error("a*b accepted")
	}
	def := allowList(defaultReadOnlyAllow)
	for cmd, want := range map[string]bool{"query-status": true, "x-query-roms": true, "qom-list": true, "stop": false, "qom-set": false, "human-monitor-command": false, "quit": false} {
		if got := def.allows(cmd); got != want {
			t.Errorf("default allows(%q) = %v, want %v", cmd, got, want)
		}
	}
}

// TestMuxSlowClient: a client that sends and never reads is cut off once
// its unread replies pass the outbox bound; another client is not held up.
func TestMuxSlowClient(t *testing.T) {
	_, _, sock, _, logPath := startMuxConfig(t, muxConfig{allow: defaultReadOnlyAllow, outbox: 64 << 10})
	slow := dialMux(t, sock)
	slow.c.Write([]byte(`{"execute":"qmp_capabilities"}` + strings.Repeat(`{"execute":"qom-list-types"}`, 40)))
	other := dialMux(t, sock)
	other.c.Write([]byte(`{"execute":"qmp_capabilities"}`))
	if got := other.line(); got != `{"return":{}}` {
		t.Fatalf("other client: %q", got)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		data, _ := os.ReadFile(logPath)
		if strings.Contains(string(data), "client too slow: outbox full") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the slow client was not cut off")
		}
		time.Sleep(50 * time.Millisecond)
	}
	other.c.Write([]byte(`{"execute":"query-name","id":"still here"}`))
	if got := other.line(); got != `{"return":{},"id":"still here"}` {
		t.Fatalf("other client after the slow one was cut off: %q", got)
	}
}
