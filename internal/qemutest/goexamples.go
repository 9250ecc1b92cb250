package qemutest

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// buildExample builds examples/NAME into a temporary directory of the
// test.
func buildExample(tb testing.TB, name string) string {
	tb.Helper()
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		tb.Fatalf("go env GOMOD: %v", err)
	}
	bin := filepath.Join(tb.TempDir(), name)
	cmd := exec.Command("go", "build", "-o", bin, "./examples/"+name)
	cmd.Dir = filepath.Dir(strings.TrimSpace(string(gomod)))
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("building examples/%s: %v\n%s", name, err, out)
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
	bin := buildExample(tb, "qga-agent")
	dir := SocketDir(tb)
	sock := filepath.Join(dir, "qga.sock")
	return start(tb, "qga-agent", dir, sock, true, bin, "-listen", sock, "-root", dir, "-allow-exec")
}

// StartGoQMP starts examples/qmp-server, the stand-in QEMU written in Go
// on runtime/server, listening on a unix socket in a SocketDir, with
// args (such as "-name", "vm").
func StartGoQMP(tb testing.TB, args ...string) *Process {
	tb.Helper()
	bin := buildExample(tb, "qmp-server")
	dir := SocketDir(tb)
	sock := filepath.Join(dir, "qmp.sock")
	return start(tb, "qmp-server", dir, sock, true, bin, append([]string{"-listen", sock}, args...)...)
}
