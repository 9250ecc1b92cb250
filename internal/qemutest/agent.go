package qemutest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// AgentBinary is the guest agent StartAgent runs on the host.
const AgentBinary = "qemu-ga"

// AgentBlockedRPCs are the guest agent commands StartAgent always
// disables: everything that would shut down, suspend, freeze or
// reconfigure the host the agent runs on, or change its credentials.
// This is the module's one list: every test starts qemu-ga through
// StartAgent.
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

// RequireAgent returns the path of qemu-ga (QEMUTEST_QGA overrides the
// lookup; Debian's qemu-guest-agent puts it in /usr/sbin), or skips tb
// (fails it under CI=true).
func RequireAgent(tb testing.TB) string {
	tb.Helper()
	return Find(tb, AgentBinary, "QEMUTEST_QGA")
}

// StartAgent starts qemu-ga on the host listening on a unix socket
// ("-m unix-listen") in a SocketDir, with its state directory and pid
// file there too and AgentBlockedRPCs plus blockMore disabled, and waits
// until the socket accepts connections.
//
// The agent acts on the machine the tests run on: never call a command
// that changes it, and keep every file it touches in Dir.
func StartAgent(tb testing.TB, blockMore ...string) *Process {
	tb.Helper()
	return StartAgentBinary(tb, RequireAgent(tb), blockMore...)
}

// StartAgentBinary is StartAgent with the agent at bin (such as sid's
// wrapper, see RequireSid).
func StartAgentBinary(tb testing.TB, bin string, blockMore ...string) *Process {
	tb.Helper()
	dir := SocketDir(tb)
	state := filepath.Join(dir, "state")
	if err := os.Mkdir(state, 0o700); err != nil {
		tb.Fatal(err)
	}
	sock := filepath.Join(dir, "qga.sock")
	blocked := append(append([]string(nil), AgentBlockedRPCs...), blockMore...)
	return start(tb, AgentBinary, dir, sock, true, bin,
		"-m", "unix-listen", "-p", sock, "-t", state,
		"-f", filepath.Join(dir, "qemu-ga.pid"),
		"--block-rpcs="+strings.Join(blocked, ","))
}
