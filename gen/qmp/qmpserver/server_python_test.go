package qmpserver_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/qapi-go/qapi/internal/qemutest"
)

// TestServerPythonClient has QEMU's own asyncio client (QMPClient: greeting,
// negotiation with oob, events, exec-oob, errors) talk to a server built
// on the generated Server.
func TestServerPythonClient(t *testing.T) {
	python, path := qemutest.QEMUPython(t)
	_, sock := serveStandIn(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, "testdata/pyclient.py", sock)
	cmd.Env = append(os.Environ(), "PYTHONPATH="+path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pyclient.py: %v\n%s", err, stderr.Bytes())
	}
	var got []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("output line %q: %v", line, err)
		}
		got = append(got, m)
	}
	status := func(running bool, st string) map[string]any {
		return map[string]any{"running": running, "status": st}
	}
	want := []map[string]any{
		{"greeting_caps": []any{"oob"}, "major": 10.0},
		{"query-status": status(true, "running")},
		{"event": "STOP", "has_timestamp": true},
		{"after-stop": status(false, "paused")},
		{"oob-and-in-band": []any{map[string]any{}, status(false, "paused"), map[string]any{}}},
		{"error_class": "CommandNotFound", "desc": "The command query-kvm has not been found"},
		{"error_class": "DeviceNotFound", "desc": "Device 'disk0' not found"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestServerQMPShell drives the server with QEMU's qmp-shell.
func TestServerQMPShell(t *testing.T) {
	python, path := qemutest.QEMUPython(t)
	_, sock := serveStandIn(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, "-m", "qemu.qmp.qmp_shell", sock)
	cmd.Env = append(os.Environ(), "PYTHONPATH="+path)
	cmd.Stdin = strings.NewReader("query-status\nstop\n\nquery-status\ndevice_del id=disk0\n")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("qmp-shell: %v\n%s", err, out)
	}
	for _, want := range []string{
		`"status": "running"`,
		`'event': 'STOP'`, // a blank line prints the events received
		`"status": "paused"`,
		`"class": "DeviceNotFound"`,
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("qmp-shell output lacks %s:\n%s", want, out)
		}
	}
}
