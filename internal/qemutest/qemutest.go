// Package qemutest starts a real QEMU for tests: qemu-system-x86_64 with
// no machine, no devices and no display, its QMP monitor on a unix socket
// in a fresh temporary directory. When QEMU is not installed the test is
// skipped with a visible reason, unless the environment says CI=true:
// then it fails, so that CI cannot pass by skipping.
package qemutest

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Binary is the QEMU system emulator the tests start.
const Binary = "qemu-system-x86_64"

// QEMU is a running QEMU.
type QEMU struct {
	// Socket is the path of its QMP monitor's unix socket.
	Socket string
	cmd    *exec.Cmd
	stderr *syncBuffer
}

// Require returns the path of the QEMU binary, or skips tb (fails it
// under CI=true) when QEMU is not installed.
func Require(tb testing.TB) string {
	tb.Helper()
	p, err := exec.LookPath(Binary)
	if err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("%s not found and CI=true: integration tests must run: %v", Binary, err)
		}
		tb.Skipf("skipping: %s not installed (%v); install Debian's qemu-system-x86 to run this test", Binary, err)
	}
	return p
}

// Start starts QEMU with "-machine none" and waits until its QMP socket
// accepts connections. QEMU is killed and its directory removed when the
// test ends.
func Start(tb testing.TB, extraArgs ...string) *QEMU {
	tb.Helper()
	bin := Require(tb)
	// Not tb.TempDir: unix socket paths are limited to ~104 bytes.
	dir, err := os.MkdirTemp("", "qemutest")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "qmp.sock")
	args := append([]string{
		"-machine", "none", "-nodefaults", "-display", "none", "-accel", "tcg",
		"-qmp", "unix:" + sock + ",server=on,wait=off",
	}, extraArgs...)
	q := &QEMU{Socket: sock, stderr: &syncBuffer{}}
	q.cmd = exec.Command(bin, args...)
	q.cmd.Stdout = q.stderr
	q.cmd.Stderr = q.stderr
	if err := q.cmd.Start(); err != nil {
		tb.Fatalf("starting %s: %v", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- q.cmd.Wait() }()
	tb.Cleanup(func() {
		q.cmd.Process.Kill()
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			tb.Errorf("%s (pid %d) did not exit after SIGKILL", bin, q.cmd.Process.Pid)
		}
	})

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for {
		var d net.Dialer
		c, err := d.DialContext(ctx, "unix", sock)
		if err == nil {
			// QEMU serves one monitor client at a time; free the socket.
			c.Close()
			return q
		}
		select {
		case err := <-exited:
			tb.Fatalf("%s exited before its QMP socket was ready: %v\n%s", bin, err, q.stderr.String())
		case <-ctx.Done():
			tb.Fatalf("%s: QMP socket %s not ready: %v\n%s", bin, sock, errors.Join(ctx.Err(), err), q.stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Output is what QEMU printed so far.
func (q *QEMU) Output() string { return strings.TrimSpace(q.stderr.String()) }

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
