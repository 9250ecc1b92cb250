package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/qapi-go/qapi/internal/leakcheck"
	"github.com/qapi-go/qapi/runtime"
	"github.com/qapi-go/qapi/runtime/server"
)

// qemu72 is how QEMU 7.2 (Debian 12) announces itself.
var qemu72 = runtime.Version{Major: 7, Minor: 2, Micro: 22, Package: "Debian 1:7.2+dfsg-7+deb12u18+b3"}

// statusMux answers query-status and query-version with QEMU's bytes.
func statusMux() *server.Mux {
	m := server.NewMux()
	m.Handle(server.Command{Name: "query-status", CheckParams: true, Run: func(context.Context, *server.Request) (any, error) {
		return json.RawMessage(`{"status":"running","singlestep":false,"running":true}`), nil
	}})
	m.Handle(server.Command{Name: "query-version", CheckParams: true, Run: func(context.Context, *server.Request) (any, error) {
		return json.RawMessage(`{"qemu":{"micro":22,"minor":2,"major":7},"package":"Debian 1:7.2+dfsg-7+deb12u18+b3"}`), nil
	}})
	m.Handle(server.Command{Name: "stop", CheckParams: true, Run: func(ctx context.Context, req *server.Request) (any, error) {
		return nil, req.Conn.Emit("STOP", nil)
	}})
	return m
}

// converse writes in to a session and reads n reply lines.
func converse(t *testing.T, srv *server.Server, in string, n int) []string {
	t.Helper()
	client, peer := net.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		srv.ServeConn(ctx, peer)
		close(done)
	}()
	defer func() {
		cancel()
		client.Close()
		<-done
	}()
	go func() { client.Write([]byte(in)) }()
	client.SetReadDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(client)
	var got []string
	for i := 0; i < n; i++ {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("after %d lines: %v", len(got), err)
		}
		got = append(got, line)
	}
	return got
}

// TestTranscriptQEMU72 sends what a transcript with the real QEMU 7.2
// sent (qemu-system-x86_64 -machine none -qmp unix:...) and expects its
// replies byte for byte.
func TestTranscriptQEMU72(t *testing.T) {
	leakcheck.Check(t)
	in := "{\"execute\":\"query-status\"}\n" +
		"{\"execute\":\"qmp_capabilities\",\"id\":{\"a\":[1,2]}}\n" +
		"{\"execute\":\"query-status\",\"id\":\"x\"}\n" +
		"{\"exec-oob\":\"query-status\",\"id\":5}\n" +
		"{\"execute\":\"qmp_capabilities\",\"arguments\":{\"enable\":[\"foo\"]}}\n" +
		"{\"execute\": \"query-status\", \"id\": 1, \"id\": 2}\n" +
		"{\"execute\":\"nope\"}\n" +
		"\xff{\"execute\":\"query-status\"}\n" +
		"[1]\n" +
		"1 \n" +
		"{\"execute\":\"query-status\",\"arguments\":{\"x\":1}}\n" +
		"{\"execute\":\"query-status\",\"foo\":1}\n" +
		"{\"execute\":\"query-version\",\"id\":\"\\u00e9\xc3\xa9\"}\n" +
		"}\n" +
		"{\x01}\n"
	want := []string{
		`{"QMP": {"version": {"qemu": {"micro": 22, "minor": 2, "major": 7}, "package": "Debian 1:7.2+dfsg-7+deb12u18+b3"}, "capabilities": ["oob"]}}`,
		`{"error": {"class": "CommandNotFound", "desc": "Expecting capabilities negotiation with 'qmp_capabilities'"}}`,
		`{"return": {}, "id": {"a": [1, 2]}}`,
		`{"return": {"status": "running", "singlestep": false, "running": true}, "id": "x"}`,
		`{"id": 5, "error": {"class": "GenericError", "desc": "QMP input member 'exec-oob' is unexpected"}}`,
		`{"error": {"class": "GenericError", "desc": "Parameter 'null' does not accept value 'foo'"}}`,
		`{"error": {"class": "GenericError", "desc": "JSON parse error, duplicate key"}}`,
		`{"error": {"class": "CommandNotFound", "desc": "The command nope has not been found"}}`,
		`{"error": {"class": "GenericError", "desc": "JSON parse error, stray '\uFFFD'"}}`,
		`{"return": {"status": "running", "singlestep": false, "running": true}}`,
		`{"error": {"class": "GenericError", "desc": "QMP input must be a JSON object"}}`,
		`{"error": {"class": "GenericError", "desc": "QMP input must be a JSON object"}}`,
		`{"error": {"class": "GenericError", "desc": "Parameter 'x' is unexpected"}}`,
		`{"error": {"class": "GenericError", "desc": "QMP input member 'foo' is unexpected"}}`,
		`{"return": {"qemu": {"micro": 22, "minor": 2, "major": 7}, "package": "Debian 1:7.2+dfsg-7+deb12u18+b3"}, "id": "\u00E9\u00E9"}`,
		`{"error": {"class": "GenericError", "desc": "JSON parse error, expecting value"}}`,
		`{"error": {"class": "GenericError", "desc": "JSON parse error, stray '\u0001'"}}`,
		`{"error": {"class": "GenericError", "desc": "JSON parse error, expecting value"}}`,
	}
	for i := range want {
		want[i] += "\r\n"
	}
	srv := &server.Server{Handler: statusMux(), Version: &qemu72}
	got := converse(t, srv, in, len(want))
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-QEMU 7.2 +ours):\n%s", diff)
	}
}

// TestTranscriptQEMU111 is the same against Debian sid's QEMU 11.1.
func TestTranscriptQEMU111(t *testing.T) {
	leakcheck.Check(t)
	in := "{\"execute\":\"qmp_capabilities\",\"arguments\":{\"enable\":[\"foo\"]}}\n" +
		"{\"execute\":\"qmp_capabilities\",\"arguments\":{\"enable\":[1]}}\n" +
		"{\"execute\":\"qmp_capabilities\",\"arguments\":{\"enable\":\"oob\"}}\n" +
		"{\"execute\":\"qmp_capabilities\",\"arguments\":{\"enable\":[\"oob\", \"oob\"]}}\n" +
		"{\"execute\":\"qmp_capabilities\",\"arguments\":{\"enable\":[\"oob\"]}}\n" +
		"{\"execute\":\"stop\"}\n" +
		"{\"execute\":\"query-status\",\"arguments\":{\"b\":2}}\n" +
		"{\"execute\":\"query-status\",\"arguments\":null}\n" +
		"\"x\"\n"
	want := []string{
		`{"QMP": {"version": {"qemu": {"micro": 22, "minor": 2, "major": 7}, "package": "Debian 1:7.2+dfsg-7+deb12u18+b3"}, "capabilities": ["oob"]}}`,
		`{"error": {"class": "GenericError", "desc": "Parameter 'null' does not accept value 'foo'"}}`,
		`{"error": {"class": "GenericError", "desc": "Invalid parameter type for 'enable[0]', expected: string"}}`,
		`{"error": {"class": "GenericError", "desc": "Invalid parameter type for 'enable', expected: array"}}`,
		`{"return": {}}`,
		`{"error": {"class": "CommandNotFound", "desc": "Capabilities negotiation is already complete, command ignored"}}`,
		`{"timestamp": {"seconds": S, "microseconds": U}, "event": "STOP"}`,
		`{"return": {}}`,
		`{"error": {"class": "GenericError", "desc": "Parameter 'b' is unexpected"}}`,
		`{"error": {"class": "GenericError", "desc": "QMP input member 'arguments' must be an object"}}`,
		`{"error": {"class": "GenericError", "desc": "QMP input must be a JSON object"}}`,
	}
	for i := range want {
		want[i] += "\r\n"
	}
	srv := &server.Server{Handler: statusMux(), Version: &qemu72}
	got := converse(t, srv, in, len(want))
	for i, l := range got {
		if strings.HasPrefix(l, `{"timestamp": {"seconds": `) {
			var ev struct {
				Timestamp struct{ Seconds, Microseconds int64 }
			}
			if err := json.Unmarshal([]byte(l), &ev); err != nil || ev.Timestamp.Seconds < time.Now().Unix()-60 {
				t.Errorf("event %q: bad timestamp (%v)", l, err)
			}
			got[i] = `{"timestamp": {"seconds": S, "microseconds": U}, "event": "STOP"}` + "\r\n"
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-QEMU 11.1 +ours):\n%s", diff)
	}
}

// TestTranscriptQGA72 is the same against qemu-ga 7.2 (-m unix-listen,
// guest-exec blocked with --block-rpcs).
func TestTranscriptQGA72(t *testing.T) {
	leakcheck.Check(t)
	in := "\xff{\"execute\":\"guest-sync-delimited\",\"arguments\":{\"id\":123}}\n" +
		"{\"execute\":\"guest-ping\"}\n" +
		"{\"execute\":\"nope\"}\n" +
		"{\"exec-oob\":\"guest-ping\"}\n" +
		"{\"execute\":\"guest-sync\",\"arguments\":{\"id\":\"x\"}}\n" +
		"{\"execute\":\"guest-exec\",\"arguments\":{\"path\":\"/bin/true\"}}\n" +
		"{\"execute\":\"guest-ping\",\"arguments\":{\"a\":1}}\n" +
		"{\"execute\":\"guest-sync\"}\n"
	want := []string{
		`{"error": {"class": "GenericError", "desc": "JSON parse error, stray '\uFFFD'"}}`,
		"\xff" + `{"return": 123}`,
		`{"return": {}}`,
		`{"error": {"class": "CommandNotFound", "desc": "The command nope has not been found"}}`,
		`{"error": {"class": "GenericError", "desc": "QMP input member 'exec-oob' is unexpected"}}`,
		`{"error": {"class": "GenericError", "desc": "Invalid parameter type for 'id', expected: integer"}}`,
		`{"error": {"class": "CommandNotFound", "desc": "Command guest-exec has been disabled"}}`,
		`{"error": {"class": "GenericError", "desc": "Parameter 'a' is unexpected"}}`,
		`{"error": {"class": "GenericError", "desc": "Parameter 'id' is missing"}}`,
	}
	for i := range want {
		want[i] += "\n"
	}
	m := server.NewMux()
	m.Handle(server.Command{Name: "guest-ping", CheckParams: true, Run: func(context.Context, *server.Request) (any, error) { return nil, nil }})
	m.Handle(server.Command{Name: "guest-exec", Run: func(context.Context, *server.Request) (any, error) {
		return nil, server.Error(runtime.CommandNotFound, "Command guest-exec has been disabled")
	}})
	srv := &server.Server{Protocol: server.QGA, Handler: m}
	got := converse(t, srv, in, len(want))
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-qemu-ga 7.2 +ours):\n%s", diff)
	}
}
