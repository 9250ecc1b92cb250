package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/qapi-go/qapi/internal/qemutest"
)

// TestGAAgent runs the ga verbs against a real qemu-ga on the host; every
// file it touches is in the agent's own directory.
func TestGAAgent(t *testing.T) {
	ag := qemutest.StartAgent(t)
	file := filepath.Join(ag.Dir, "copied.txt")
	data := strings.Repeat("guest agent file data\n", 5000) // 110 KB
	tests := []struct {
		name   string
		stdin  string
		args   []string
		code   int
		stdout string
		stderr string // substring
	}{
		{name: "call", args: []string{"call", "-compact", ag.Socket, "guest-ping"}, code: 0, stdout: "{}\n"},
		{name: "call checked", args: []string{"call", ag.Socket, "guest-file-open"}, code: 2, stderr: "guest-file-open: argument 'path': missing (required, a string)"},
		{name: "call agent error", args: []string{"call", ag.Socket, "guest-file-open", "path=" + filepath.Join(ag.Dir, "nonexistent")}, code: 1, stderr: "GenericError: "},
		{name: "put", stdin: data, args: []string{"put", ag.Socket, file}, code: 0},
		{name: "cat", args: []string{"cat", ag.Socket, file}, code: 0, stdout: data},
		{name: "cat missing", args: []string{"cat", ag.Socket, filepath.Join(ag.Dir, "nonexistent")}, code: 1, stderr: "qmp ga cat: GenericError: "},
		{name: "exec", args: []string{"exec", ag.Socket, "/bin/sh", "-c", "echo out; echo err >&2; exit 3"}, code: 3, stdout: "out\n", stderr: "err\n"},
		{name: "exec stdin", stdin: "fed in\n", args: []string{"exec", "-stdin", ag.Socket, "/bin/cat"}, code: 0, stdout: "fed in\n"},
		{name: "exec signal", args: []string{"exec", ag.Socket, "/bin/sh", "-c", "kill -TERM $$"}, code: 128 + 15},
		{name: "exec missing program", args: []string{"exec", ag.Socket, "/nonexistent/program"}, code: 125, stderr: "qmp ga exec: GenericError: "},
		{name: "unknown verb", args: []string{"nope"}, code: 2, stderr: `unknown subcommand "nope"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := runInProcess(t, tt.stdin, append([]string{"ga"}, tt.args...)...)
			if code != tt.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, tt.code, errs)
			}
			if tt.stdout != "" {
				if diff := cmp.Diff(tt.stdout, out); diff != "" {
					t.Errorf("stdout (-want +got):\n%s", diff)
				}
			}
			if !strings.Contains(errs, tt.stderr) {
				t.Errorf("stderr %q, want it to contain %q", errs, tt.stderr)
			}
		})
	}
	got, err := os.ReadFile(file)
	if err != nil || string(got) != data {
		t.Errorf("the file put holds %d bytes (%v), want %d", len(got), err, len(data))
	}
}

// TestGAShellPiped runs the guest agent shell with its input from a pipe
// (no terminal): commands, a checked argument error, help from the schema.
// It runs the binary: the line editor keeps goroutines of its own after a
// shell ends, which a process's exit ends and an in-process test would
// report as leaked.
func TestGAShellPiped(t *testing.T) {
	bin := qmpBinary(t)
	ag := qemutest.StartAgent(t)
	state := t.TempDir()
	cmd := exec.Command(bin, "ga", "shell", ag.Socket)
	cmd.Env = append(os.Environ(), "XDG_STATE_HOME="+state)
	cmd.Stdin = strings.NewReader("guest-ping\nguest-file-open\nhelp guest-file-open\n{\"execute\":\"guest-info\"}\nquit\n")
	outb, err := cmd.Output()
	out := string(outb)
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	for _, want := range []string{
		"Connected to the guest agent",
		"{}\n", // guest-ping
		"error: guest-file-open: argument 'path': missing (required, a string)",
		"guest-file-open path=… [mode=…]",
		"Since: 0.15.0",
		`"supported_commands": [`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	hist, err := os.ReadFile(filepath.Join(state, "qmp", "ga-history"))
	if err != nil || !strings.Contains(string(hist), "guest-ping") {
		t.Errorf("ga history: %q, %v", hist, err)
	}
}
