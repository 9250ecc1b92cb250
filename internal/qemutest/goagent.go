package qemutest

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// buildGoAgent builds examples/qga-agent, the Go guest agent, into a
// temporary directory of the test.
func buildGoAgent(tb testing.TB) string {
	tb.Helper()
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		tb.Fatalf("go env GOMOD: %v", err)
	}
	bin := filepath.Join(tb.TempDir(), "qga-agent")
	cmd := exec.Command("go", "build", "-o", bin, "./examples/qga-agent")
	cmd.Dir = filepath.Dir(strings.TrimSpace(string(gomod)))
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("building examples/qga-agent: %v\n%s", err, out)
	}
	return bin
}

// StartGoAgent starts examples/qga-agent, the guest agent written in Go
// on runtime/server, as StartAgent starts qemu-ga: listening on a unix
// socket in a SocketDir, its files confined to that directory, guest-exec
// enabled. Every command it does not implement it refuses as disabled,
// as qemu-ga refuses a blocked one.
func StartGoAgent(tb testing.TB) *Process {
	tb.Helper()
	bin := buildGoAgent(tb)
	dir := SocketDir(tb)
	sock := filepath.Join(dir, "qga.sock")
	return start(tb, "qga-agent", dir, sock, true, bin, "-listen", sock, "-root", dir, "-allow-exec")
}
