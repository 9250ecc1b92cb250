package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/qapi-go/qapi/internal/qemutest"
)

// gaClientReport is what testdata/ga_client.py prints: the results of
// the operations QEMU's qemu-ga-client performs, driven through QEMU's
// own legacy Python client as that tool drives it.
type gaClientReport map[string]any

// runGAClient runs testdata/ga_client.py against the agent listening on
// sock, its files in dir.
func runGAClient(t *testing.T, sock, dir string, withExec bool) gaClientReport {
	t.Helper()
	python, path := qemutest.QEMUPython(t)
	script, err := filepath.Abs(filepath.Join("testdata", "ga_client.py"))
	if err != nil {
		t.Fatal(err)
	}
	args := []string{script, sock, dir}
	if withExec {
		args = append(args, "--exec")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, args...)
	cmd.Env = append(os.Environ(), "PYTHONPATH="+path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ga_client.py: %v\n%s", err, stderr.String())
	}
	var r gaClientReport
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("ga_client.py printed %q: %v", out, err)
	}
	return r
}

// TestQemuGaClientStyle drives this agent and real qemu-ga (Debian's,
// and sid's newer one) with QEMU's own Python client used the way QEMU's
// qemu-ga-client uses it (no greeting, guest-sync with a random id, one
// command at a time): sync, ping, info, cat, a file written and read
// back, the errors of a missing file, a bad handle, an unknown and a
// disabled command, host name, OS info and time. The Go agent must give
// exactly the results qemu-ga gives. guest-exec, which would run a
// program on the host through qemu-ga, is tried on the Go agent only.
func TestQemuGaClientStyle(t *testing.T) {
	goDir := qemutest.SocketDir(t)
	goReport := runGAClient(t, serveAgent(t, goDir, true), goDir, true)

	// What only the Go agent was asked.
	wantExec := map[string]any{"exitcode": float64(3), "out": "out", "err": "err"}
	if diff := cmp.Diff(wantExec, goReport["exec"]); diff != "" {
		t.Errorf("guest-exec through the Go agent (-want +got):\n%s", diff)
	}
	delete(goReport, "exec")
	host, _ := os.Hostname()
	if goReport["host-name"] != host {
		t.Errorf("host-name = %v, want %q", goReport["host-name"], host)
	}
	for _, k := range []string{"sync", "cat", "write", "read-back", "time-ns-plausible"} {
		if goReport[k] != true {
			t.Errorf("%s: %v, want true", k, goReport[k])
		}
	}

	peers := []struct {
		name string
		bin  func(tb testing.TB) string
	}{
		{"qemu-ga", qemutest.RequireAgent},
		{"sid-qemu-ga", func(tb testing.TB) string { _, agent := qemutest.RequireSid(tb); return agent }},
	}
	for _, peer := range peers {
		t.Run(peer.name, func(t *testing.T) {
			p := qemutest.StartAgentBinary(t, peer.bin(t), "guest-exec", "guest-exec-status")
			report := runGAClient(t, p.Socket, p.Dir, false)
			if diff := cmp.Diff(report, goReport); diff != "" {
				t.Errorf("the Go agent answers qemu-ga-client's operations differently from %s (-%s +go):\n%s", peer.name, peer.name, diff)
			}
		})
	}
}
