// Package qemutest starts real QEMU peers for the module's tests, and
// holds the checks those tests share: whether a typed value re-encodes
// to what a peer (or QEMU's docs) sent (DiffJSON, RoundTrip,
// CheckReply), the check of the schema docs' examples through a
// generated package's typed API (CheckExamples), replies recorded from
// real peers (WriteReply, ReadReplies), and reviewed lists of cases that
// fail for a stated reason (KnownBad).
//
// Peers:
//
//   - qemu-system-x86_64 with no guest ("-machine none -nodefaults
//     -display none -accel tcg"), either with a QMP server socket
//     (Start) or as a QMP client connecting to a socket the test
//     listens on (StartConnecting);
//   - the emulators of other targets, qemu-system-aarch64 and
//     qemu-system-s390x (RequireAarch64, RequireS390x, StartBinary with
//     a machine of theirs);
//   - qemu-ga on the host (StartAgent), listening on a unix socket, with
//     AgentBlockedRPCs — every command that would act on the host —
//     disabled.
//
// Each process gets a fresh, short temporary directory (SocketDir) that
// holds its socket and is its working directory and TMPDIR; the
// directory is removed and the process killed when the test ends, and
// the process's output is logged if the test failed. A test can read the
// output (Process.Output) and wait for the process to exit by itself,
// e.g. after "quit" (Process.Wait, Process.Exited).
//
// When a binary is missing the test is skipped with the reason and the
// Debian package to install, unless the environment variable CI is
// "true": then it fails, so that a CI image without QEMU cannot pass
// silently. Binaries are looked up in PATH, then in /usr/sbin, /usr/bin
// and /usr/local/bin; QEMUTEST_QEMU and QEMUTEST_QGA override the
// lookup with a path. StartBinary and StartAgentBinary run other builds,
// such as Debian sid's QEMU, newer than the bindings (RequireSid).
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

// Binary is the QEMU system emulator Start and StartConnecting run.
const Binary = "qemu-system-x86_64"

// StartTimeout bounds how long a process may take to create its socket.
var StartTimeout = 20 * time.Second

// killTimeout bounds the wait for a process's exit after SIGKILL when the
// test ends.
const killTimeout = 10 * time.Second

// Unavailable skips tb with the reason, or fails it when CI=true.
func Unavailable(tb testing.TB, format string, args ...any) {
	tb.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") == "true" {
		tb.Fatalf("%s (CI=true: integration tests must not skip)", msg)
	}
	tb.Skip("skipping: " + msg)
}

// Find returns the path of the binary name: $envVar when set (which must
// exist), else the first executable name in PATH, /usr/sbin, /usr/bin or
// /usr/local/bin. When there is none it calls Unavailable, naming the
// Debian package that provides the binary.
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
	Unavailable(tb, "%s is not installed (Debian: apt-get install %s; or set %s to its path)", name, debianPackage(name), envVar)
	return ""
}

func debianPackage(bin string) string {
	switch bin {
	case AgentBinary:
		return "qemu-guest-agent"
	case Binary:
		return "qemu-system-x86"
	case Aarch64Binary:
		return "qemu-system-arm"
	case S390xBinary:
		return "qemu-system-misc"
	}
	return bin
}

// Require returns the path of qemu-system-x86_64 (QEMUTEST_QEMU
// overrides the lookup), or skips tb (fails it under CI=true).
func Require(tb testing.TB) string {
	tb.Helper()
	return Find(tb, Binary, "QEMUTEST_QEMU")
}

// SocketDir returns a new temporary directory, removed when the test
// ends, whose path suits a unix socket and QEMU's option syntax: short
// (socket addresses hold ~100 bytes, and test names make tb.TempDir
// long) and free of ',' and '=' (which QEMU's -qmp and -chardev parsers
// split on, and which subtest names may contain).
func SocketDir(tb testing.TB) string {
	tb.Helper()
	base := os.TempDir()
	if strings.ContainsAny(base, ",=") || len(base) > 40 {
		base = "/tmp"
	}
	dir, err := os.MkdirTemp(base, "qemutest")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// Process is a running QEMU or qemu-ga.
type Process struct {
	// Socket is the path of its QMP or agent socket (for
	// StartConnecting, the socket it connects to).
	Socket string
	// Dir is its temporary directory: its working directory and TMPDIR,
	// holding its socket (and, for the agent, its state directory and
	// pid file). Every file a test makes the agent touch must be in it.
	Dir string

	name   string
	cmd    *exec.Cmd
	out    *lockedBuffer
	exited chan struct{}
	err    error // set before exited is closed
}

// Output returns what the process printed so far (stdout and stderr),
// without leading and trailing white space.
func (p *Process) Output() string { return strings.TrimSpace(p.out.String()) }

// PID is the process's id.
func (p *Process) PID() int { return p.cmd.Process.Pid }

// Exited is closed when the process has exited.
func (p *Process) Exited() <-chan struct{} { return p.exited }

// Wait waits for the process to exit by itself (e.g. after "quit") and
// returns its exit error, or an error when ctx ends first.
func (p *Process) Wait(ctx context.Context) error {
	select {
	case <-p.exited:
		return p.err
	case <-ctx.Done():
		return fmt.Errorf("%s still running: %w", p.name, ctx.Err())
	}
}

// Kill kills the process (if it still runs) and waits for it to exit.
func (p *Process) Kill() {
	p.kill()
	<-p.exited
}

func (p *Process) kill() {
	select {
	case <-p.exited:
	default:
		p.cmd.Process.Kill()
	}
}

// Start starts qemu-system-x86_64 with no guest and a QMP server socket
// (server=on,wait=off) in a SocketDir, plus extra arguments, and waits
// until the socket accepts connections. The probe connection is closed
// at once: QEMU serves one monitor client at a time.
func Start(tb testing.TB, extra ...string) *Process {
	tb.Helper()
	return StartBinary(tb, Require(tb), extra...)
}

// StartBinary is Start with the QEMU at bin (such as sid's wrapper, see
// RequireSid, or another target's emulator, see RequireAarch64); extra
// may choose another machine (a later -machine overrides "none").
func StartBinary(tb testing.TB, bin string, extra ...string) *Process {
	tb.Helper()
	dir := SocketDir(tb)
	sock := filepath.Join(dir, "qmp.sock")
	args := append(qemuArgs("unix:"+sock+",server=on,wait=off"), extra...)
	return start(tb, filepath.Base(bin), dir, sock, true, bin, args...)
}

// StartConnecting starts qemu-system-x86_64 like Start but as a QMP
// client ("-qmp unix:SOCKET,server=off"): it connects to socket, where
// the test must already listen (make it in a SocketDir). It does not
// wait for the connection.
func StartConnecting(tb testing.TB, socket string, extra ...string) *Process {
	tb.Helper()
	bin := Require(tb)
	if strings.ContainsAny(socket, ",=") {
		tb.Fatalf("socket path %q: QEMU's option syntax cannot hold ',' or '='", socket)
	}
	dir := SocketDir(tb)
	args := append(qemuArgs("unix:"+socket+",server=off"), extra...)
	return start(tb, Binary, dir, socket, false, bin, args...)
}

func qemuArgs(qmp string) []string {
	return []string{"-machine", "none", "-nodefaults", "-display", "none", "-accel", "tcg", "-qmp", qmp}
}

// start runs bin in dir, arranges its end with the test, and with
// waitSocket waits until socket accepts connections.
func start(tb testing.TB, name, dir, socket string, waitSocket bool, bin string, args ...string) *Process {
	tb.Helper()
	if strings.ContainsAny(dir, ",=") {
		tb.Fatalf("directory %q: QEMU's option syntax cannot hold ',' or '='", dir)
	}
	p := &Process{Socket: socket, Dir: dir, name: name, out: &lockedBuffer{}, exited: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Dir = dir
	p.cmd.Stdout = p.out
	p.cmd.Stderr = p.out
	p.cmd.Env = append(os.Environ(), "TMPDIR="+dir)
	if err := p.cmd.Start(); err != nil {
		tb.Fatalf("starting %s: %v", bin, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	tb.Cleanup(func() {
		p.kill()
		select {
		case <-p.exited:
		case <-time.After(killTimeout):
			tb.Errorf("%s (pid %d) did not exit within %v of SIGKILL", name, p.cmd.Process.Pid, killTimeout)
		}
		if tb.Failed() {
			if out := p.Output(); out != "" {
				tb.Logf("%s output:\n%s", name, out)
			}
		}
	})
	if !waitSocket {
		return p
	}
	// The socket exists between bind and listen already: probe it. The
	// probe connection is closed at once; QEMU and qemu-ga then wait for
	// the next client.
	deadline := time.Now().Add(StartTimeout)
	for {
		c, err := net.DialTimeout("unix", socket, time.Second)
		if err == nil {
			c.Close()
			return p
		}
		select {
		case <-p.exited:
			tb.Fatalf("%s exited before its socket %s was ready: %v\n%s", name, socket, p.err, p.Output())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s: socket %s not ready within %v: %v\n%s", name, socket, StartTimeout, err, p.Output())
		}
	}
}

// lockedBuffer collects a process's output (written by os/exec's copying
// goroutine, read by the test).
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
