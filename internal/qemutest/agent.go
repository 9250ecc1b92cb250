package qemutest

import (
	"bytes"
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

// AgentBinary is the guest agent StartAgent runs on the host.
const AgentBinary = "qemu-ga"

// AgentBlockedRPCs are the guest agent commands StartAgent always
// disables: everything that would shut down, suspend, freeze or
// reconfigure the host the agent runs on, or change its credentials.
var AgentBlockedRPCs = []string{
	"guest-shutdown",
	"guest-suspend-disk",
	"guest-suspend-ram",
	"guest-suspend-hybrid",
	"guest-fsfreeze-freeze",
	"guest-fsfreeze-freeze-list",
	"guest-fsfreeze-thaw",
	"guest-set-time",
	"guest-set-vcpus",
	"guest-set-user-password",
	"guest-set-memory-blocks",
	"guest-ssh-add-authorized-keys",
	"guest-ssh-remove-authorized-keys",
}

// Agent is a running qemu-ga.
type Agent struct {
	// Socket is the path of its unix socket (-m unix-listen).
	Socket string
	// Dir is its temporary directory: the socket, the state directory
	// and the pid file are in it, and so must be every file a test
	// makes the agent touch.
	Dir string

	cmd    *exec.Cmd
	out    *agentOutput
	exited chan struct{}
	err    error // set before exited is closed
}

// RequireAgent returns the path of qemu-ga, or skips tb (fails it under
// CI=true) when it is not installed. QEMUTEST_QGA overrides the lookup
// with a path; otherwise PATH, then /usr/sbin (where Debian's
// qemu-guest-agent puts it) and /usr/bin are searched.
func RequireAgent(tb testing.TB) string {
	tb.Helper()
	unavailable := func(format string, args ...any) {
		tb.Helper()
		msg := fmt.Sprintf(format, args...)
		if os.Getenv("CI") == "true" {
			tb.Fatalf("%s (CI=true: integration tests must run)", msg)
		}
		tb.Skip("skipping: " + msg)
	}
	if p := os.Getenv("QEMUTEST_QGA"); p != "" {
		if _, err := os.Stat(p); err != nil {
			unavailable("QEMUTEST_QGA=%s: %v", p, err)
		}
		return p
	}
	if p, err := exec.LookPath(AgentBinary); err == nil {
		return p
	}
	for _, dir := range []string{"/usr/sbin", "/usr/bin"} {
		p := filepath.Join(dir, AgentBinary)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	unavailable("%s not installed; install Debian's qemu-guest-agent (or set QEMUTEST_QGA) to run this test", AgentBinary)
	return ""
}

// StartAgent starts qemu-ga on the host listening on a unix socket in a
// fresh temporary directory, with its state directory and pid file there
// too and AgentBlockedRPCs plus blockMore disabled, and waits until the
// socket accepts connections. The agent is killed and the directory
// removed when the test ends.
//
// The agent acts on the machine the tests run on: never call a command
// that changes it, and keep every file it touches in Dir.
func StartAgent(tb testing.TB, blockMore ...string) *Agent {
	tb.Helper()
	bin := RequireAgent(tb)
	// Not tb.TempDir: unix socket paths are limited to ~104 bytes.
	dir, err := os.MkdirTemp("", "qgatest")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(dir) })
	state := filepath.Join(dir, "state")
	if err := os.Mkdir(state, 0o700); err != nil {
		tb.Fatal(err)
	}
	a := &Agent{Socket: filepath.Join(dir, "qga.sock"), Dir: dir, out: &agentOutput{}, exited: make(chan struct{})}
	blocked := append(append([]string(nil), AgentBlockedRPCs...), blockMore...)
	a.cmd = exec.Command(bin, "-m", "unix-listen", "-p", a.Socket, "-t", state,
		"-f", filepath.Join(dir, "qemu-ga.pid"),
		"--block-rpcs="+strings.Join(blocked, ","))
	a.cmd.Dir = dir
	a.cmd.Stdout = a.out
	a.cmd.Stderr = a.out
	if err := a.cmd.Start(); err != nil {
		tb.Fatalf("starting %s: %v", bin, err)
	}
	go func() {
		a.err = a.cmd.Wait()
		close(a.exited)
	}()
	tb.Cleanup(func() {
		a.Kill()
		if tb.Failed() {
			if out := a.Output(); out != "" {
				tb.Logf("%s output:\n%s", AgentBinary, out)
			}
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		// The socket exists between bind and listen already: probe it.
		// The agent then waits for the next client.
		if c, err := net.DialTimeout("unix", a.Socket, time.Second); err == nil {
			c.Close()
			return a
		}
		select {
		case <-a.exited:
			tb.Fatalf("%s exited before creating %s: %v\n%s", AgentBinary, a.Socket, a.err, a.Output())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s did not create %s within 20s\n%s", AgentBinary, a.Socket, a.Output())
		}
	}
}

// Output returns what the agent printed so far.
func (a *Agent) Output() string { return strings.TrimSpace(a.out.String()) }

// Kill kills the agent (if it still runs) and waits for it.
func (a *Agent) Kill() {
	select {
	case <-a.exited:
		return
	default:
	}
	a.cmd.Process.Kill()
	<-a.exited
}

// agentOutput collects the agent's output (written by os/exec's copying
// goroutine, read by the test).
type agentOutput struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (o *agentOutput) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.Write(p)
}

func (o *agentOutput) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.String()
}
