// Package qemutest starts qemu-system-x86_64 for the runtime's
// integration tests: with a QMP server socket (no guest: -machine none),
// or as a QMP client connecting to the test (accept mode), and lets a
// test wait for QEMU's exit (after "quit"). Every file is in a temporary
// directory removed when the test ends, and the process is killed.
//
// The guest agent is started with the repository-wide
// internal/qemutest.StartAgent, which holds the one list of commands
// blocked because they would act on the host. (That package's Start
// also starts QEMU, without the accept mode and exit status used here;
// the two could be merged.)
//
// When a binary is missing the test is skipped with the reason, unless
// the environment variable CI is "true": then it fails, so that a CI
// image without QEMU cannot pass silently.
//
// The binary is looked up in PATH, then in /usr/sbin and /usr/bin;
// QEMUTEST_QEMU overrides the lookup with a path.
package qemutest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// StartTimeout bounds how long a process may take to create its socket.
var StartTimeout = 20 * time.Second

// Unavailable skips tb with the reason, or fails it when CI=true.
func Unavailable(tb testing.TB, format string, args ...any) {
	tb.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") == "true" {
		tb.Fatalf("%s (CI=true: integration tests must not skip)", msg)
	}
	tb.Skip(msg)
}

// Find returns the path of a binary (see the package doc), or skips tb
// (fails it under CI=true) when it is not installed.
func Find(tb testing.TB, name, envVar string) string {
	tb.Helper()
	if p := os.Getenv(envVar); p != "" {
		if _, err := os.Stat(p); err != nil {
			Unavailable(tb, "%s=%s: %v", envVar, p, err)
		}
		return p
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, dir := range []string{"/usr/sbin", "/usr/bin", "/usr/local/bin"} {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	Unavailable(tb, "%s is not installed (Debian: apt-get install %s); set %s to its path", name, debianPackage(name), envVar)
	return ""
}

func debianPackage(bin string) string {
	switch bin {
	case "qemu-ga":
		return "qemu-guest-agent"
	case "qemu-system-x86_64":
		return "qemu-system-x86"
	}
	return bin
}

// socketDir returns a new temporary directory, removed at the end of the
// test, whose path suits a unix socket and QEMU's option syntax: short
// (socket addresses hold ~100 bytes, and test names make tb.TempDir long)
// and free of ',' and '=' (which QEMU's -qmp and -chardev parsers split
// on).
func socketDir(tb testing.TB) string {
	tb.Helper()
	dir, err := os.MkdirTemp("", "qemutest")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// Process is a running QEMU.
type Process struct {
	// Socket is the path of its QMP or agent socket.
	Socket string
	// Dir is its temporary directory (its working directory).
	Dir string

	name   string
	cmd    *exec.Cmd
	out    *lockedBuffer
	exited chan struct{}
	err    error // set before exited is closed
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func start(tb testing.TB, name, dir, socket string, waitSocket bool, bin string, args ...string) *Process {
	tb.Helper()
	p := &Process{Socket: socket, Dir: dir, name: name, out: &lockedBuffer{}, exited: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Dir = dir
	p.cmd.Stdout = p.out
	p.cmd.Stderr = p.out
	p.cmd.Env = append(os.Environ(), "TMPDIR="+dir)
	if err := p.cmd.Start(); err != nil {
		tb.Fatalf("starting %s: %v", name, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	tb.Cleanup(func() {
		p.Kill()
		if tb.Failed() {
			if out := p.Output(); out != "" {
				tb.Logf("%s output:\n%s", name, out)
			}
		}
	})
	if !waitSocket {
		return p
	}
	// Wait until the socket accepts connections (it exists between
	// bind and listen already). The probe connection is closed at once;
	// QEMU and qemu-ga then wait for the next client.
	deadline := time.Now().Add(StartTimeout)
	for {
		if c, err := net.DialTimeout("unix", socket, time.Second); err == nil {
			c.Close()
			return p
		}
		select {
		case <-p.exited:
			tb.Fatalf("%s exited before creating %s: %v\n%s", name, socket, p.err, p.Output())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s did not create %s within %v\n%s", name, socket, StartTimeout, p.Output())
		}
	}
}

// Output returns what the process printed so far (stdout and stderr).
func (p *Process) Output() string { return p.out.String() }

// Exited is closed when the process has exited.
func (p *Process) Exited() <-chan struct{} { return p.exited }

// Wait waits for the process to exit by itself (after a "quit") and
// returns its exit error, or an error when ctx ends first.
func (p *Process) Wait(ctx context.Context) error {
	select {
	case <-p.exited:
		return p.err
	case <-ctx.Done():
		return fmt.Errorf("%s still running: %w", p.name, ctx.Err())
	}
}

// Kill kills the process (if it still runs) and waits for it.
func (p *Process) Kill() {
	select {
	case <-p.exited:
		return
	default:
	}
	p.cmd.Process.Kill()
	<-p.exited
}

// StartQEMU starts qemu-system-x86_64 -machine none -nodefaults -display
// none with a QMP server socket (server=on,wait=off) and extra arguments,
// and waits for the socket to appear.
func StartQEMU(tb testing.TB, extra ...string) *Process {
	tb.Helper()
	bin := Find(tb, "qemu-system-x86_64", "QEMUTEST_QEMU")
	dir := socketDir(tb)
	sock := filepath.Join(dir, "qmp.sock")
	args := append([]string{"-machine", "none", "-nodefaults", "-display", "none",
		"-qmp", "unix:" + sock + ",server=on,wait=off"}, extra...)
	return start(tb, "qemu-system-x86_64", dir, sock, true, bin, args...)
}

// StartQEMUConnecting starts qemu-system-x86_64 like StartQEMU but as a
// QMP client ("-qmp unix:SOCKET,server=off"): it connects to socket,
// where the test must already listen. Socket is then that path.
func StartQEMUConnecting(tb testing.TB, socket string, extra ...string) *Process {
	tb.Helper()
	bin := Find(tb, "qemu-system-x86_64", "QEMUTEST_QEMU")
	if strings.ContainsAny(socket, ",=") {
		tb.Fatalf("socket path %q: QEMU's option syntax cannot hold ',' or '='", socket)
	}
	dir := socketDir(tb)
	args := append([]string{"-machine", "none", "-nodefaults", "-display", "none",
		"-qmp", "unix:" + socket + ",server=off"}, extra...)
	return start(tb, "qemu-system-x86_64", dir, socket, false, bin, args...)
}
