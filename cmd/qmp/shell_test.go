package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qapi-go/qapi/internal/qemutest"
)

// tmuxTerminal is a real terminal (a tmux pane, on a tmux server of the
// test's own) running one command.
type tmuxTerminal struct {
	t      *testing.T
	tmux   string
	socket string // the tmux server's socket
}

func startTmux(t *testing.T, command string) *tmuxTerminal {
	t.Helper()
	tm := &tmuxTerminal{t: t, tmux: qemutest.Find(t, "tmux", "QMPTEST_TMUX"), socket: filepath.Join(qemutest.SocketDir(t), "tmux")}
	tm.run("-f", "/dev/null", "new-session", "-d", "-x", "180", "-y", "60", command)
	t.Cleanup(func() { exec.Command(tm.tmux, "-S", tm.socket, "kill-server").Run() })
	return tm
}

func (tm *tmuxTerminal) run(args ...string) string {
	tm.t.Helper()
	out, err := exec.Command(tm.tmux, append([]string{"-S", tm.socket}, args...)...).CombinedOutput()
	if err != nil {
		tm.t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// keys types keys (tmux key names: "Tab", "Enter", "C-d", or literal text).
func (tm *tmuxTerminal) keys(keys ...string) {
	tm.t.Helper()
	tm.run(append([]string{"send-keys", "-t", "0"}, keys...)...)
}

// screen is what the pane shows, trailing blank lines dropped.
func (tm *tmuxTerminal) screen() string {
	tm.t.Helper()
	out, err := exec.Command(tm.tmux, "-S", tm.socket, "capture-pane", "-p", "-t", "0").CombinedOutput()
	if err != nil {
		return ""
	}
	return strings.TrimRight(string(out), "\n ")
}

// waitScreen waits until the screen satisfies cond.
func (tm *tmuxTerminal) waitScreen(what string, cond func(string) bool) string {
	tm.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		s := tm.screen()
		if cond(s) {
			return s
		}
		if time.Now().After(deadline) {
			tm.t.Fatalf("timed out waiting for %s; screen:\n%s", what, s)
		}
		time.Sleep(30 * time.Millisecond)
	}
}

func lastLine(s string) string {
	lines := strings.Split(s, "\n")
	return strings.TrimRight(lines[len(lines)-1], " ")
}

// TestShellInTerminal drives "qmp shell" in a real terminal against QEMU:
// Tab completion, a typed argument error, an event arriving while a line
// is being typed, and history that survives the shell.
func TestShellInTerminal(t *testing.T) {
	bin := qmpBinary(t)
	p, second := startQEMU(t)
	state := t.TempDir()
	shellCmd := fmt.Sprintf("env XDG_STATE_HOME=%s TERM=xterm %s shell %s; echo shell-exited-$?; sleep 60", state, bin, p.Socket)
	tm := startTmux(t, shellCmd)
	tm.waitScreen("the prompt", func(s string) bool { return lastLine(s) == "(QEMU)" })

	// Completion: query-st has three candidates; Tab completes the
	// common prefix and lists them; "u" and Tab finish query-status.
	tm.keys("query-st", "Tab")
	tm.waitScreen("the common prefix", func(s string) bool { return strings.HasSuffix(s, "(QEMU) query-stat") })
	tm.keys("Tab")
	tm.waitScreen("the candidate list", func(s string) bool {
		return strings.Contains(s, "query-stats") && strings.Contains(s, "query-stats-schemas") && strings.Contains(s, "query-status")
	})
	tm.keys("u", "Tab")
	tm.waitScreen("query-status completed", func(s string) bool { return strings.HasSuffix(s, "(QEMU) query-status") })
	tm.keys("Enter")
	tm.waitScreen("the reply", func(s string) bool {
		return strings.Contains(s, `"status": "running"`) && lastLine(s) == "(QEMU)"
	})

	// Argument names and enum values complete too.
	tm.keys("set_link na", "Tab")
	tm.waitScreen("an argument name", func(s string) bool { return strings.HasSuffix(s, "(QEMU) set_link name=") })
	tm.keys("C-u")

	// A typed argument error, caught before sending.
	tm.keys("balloon value=lots", "Enter")
	tm.waitScreen("the argument error", func(s string) bool {
		return strings.Contains(s, `error: balloon: argument 'value': expected an integer (int), got "lots"`)
	})

	// An event while a line is being edited: printed above it, the line
	// kept intact.
	tm.keys("query-ver")
	tm.waitScreen("the partial line", func(s string) bool { return strings.HasSuffix(s, "(QEMU) query-ver") })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	q := dialSecond(t, ctx, second)
	defer q.Close()
	if _, err := q.Execute(ctx, "stop", nil); err != nil {
		t.Fatal(err)
	}
	s := tm.waitScreen("the STOP event", func(s string) bool { return strings.Contains(s, `{"event":"STOP"`) })
	if got := lastLine(s); got != "(QEMU) query-ver" {
		t.Errorf("after the event the input line is %q, want %q; screen:\n%s", got, "(QEMU) query-ver", s)
	}
	tm.keys("Tab", "Enter")
	tm.waitScreen("query-version's reply", func(s string) bool { return strings.Contains(s, `"qemu": {`) })
	tm.keys("C-d")
	tm.waitScreen("the shell's exit", func(s string) bool { return strings.Contains(s, "shell-exited-0") })

	hist, err := os.ReadFile(filepath.Join(state, "qmp", "history"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(hist), "query-version") {
		t.Errorf("history file:\n%s", hist)
	}

	// History across runs: a new shell recalls the last line with Up.
	tm2 := startTmux(t, shellCmd)
	tm2.waitScreen("the prompt", func(s string) bool { return lastLine(s) == "(QEMU)" })
	tm2.keys("Up")
	tm2.waitScreen("the recalled line", func(s string) bool { return lastLine(s) == "(QEMU) query-version" })
	tm2.keys("Up")
	tm2.waitScreen("the line before", func(s string) bool { return lastLine(s) == "(QEMU) balloon value=lots" })
	tm2.keys("C-u", "help query-status", "Enter")
	tm2.waitScreen("help", func(s string) bool {
		return strings.Contains(s, "Since: 0.14") && strings.Contains(s, "This QEMU: has it")
	})
	tm2.keys("quit", "Enter")
	tm2.waitScreen("the shell's exit", func(s string) bool { return strings.Contains(s, "shell-exited-0") })
}
