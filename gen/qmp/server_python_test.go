package qmp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// pythonQMP returns the PYTHONPATH under which python3 imports QEMU's
// own QMP client (qemu.qmp): $QEMU_PYTHON, a QEMU 10.2 source tree
// unpacked in /tmp by the project's qemu-source tool, or an installed
// package (pip's qemu.qmp, which .ci/run installs). It skips the test
// when there is none, and fails it under CI=true.
func pythonQMP(t *testing.T) (python, path string) {
	t.Helper()
	python, err := exec.LookPath("python3")
	if err == nil {
		candidates := []string{os.Getenv("QEMU_PYTHON")}
		trees, _ := filepath.Glob("/tmp/qemu-10.2/qemu-10.2*/python")
		candidates = append(candidates, trees...)
		for _, dir := range candidates {
			if dir != "" && exec.Command(python, "-c", "import sys; sys.path.insert(0, sys.argv[1]); import qemu.qmp", dir).Run() == nil {
				return python, dir
			}
		}
		if exec.Command(python, "-c", "import qemu.qmp").Run() == nil {
			return python, ""
		}
	}
	msg := "QEMU's Python QMP client (qemu.qmp) not found: set QEMU_PYTHON to a QEMU source tree's python/ directory"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return "", ""
}

// TestServerPythonClient has QEMU's own asyncio client (QMPClient: greeting,
// negotiation with oob, events, exec-oob, errors) talk to a server built
// on the generated Server.
func TestServerPythonClient(t *testing.T) {
	python, path := pythonQMP(t)
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
	python, path := pythonQMP(t)
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
