package main

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCallQEMU(t *testing.T) {
	p, _ := startQEMU(t)
	tests := []struct {
		name       string
		args       []string
		code       int
		stdout     string // exact, when set
		stderrPart string
	}{
		{name: "result", args: []string{"-compact", p.Socket, "query-name"}, code: 0, stdout: "{}\n"},
		{name: "indented", args: []string{p.Socket, "qom-list", "path=/machine/unattached/sysbus"}, code: 0},
		{name: "typed string", args: []string{p.Socket, "qom-list", "path=123"}, code: 1, stderrPart: "DeviceNotFound: Device '123' not found"},
		{name: "qemu error", args: []string{p.Socket, "qom-list", "path=/nonexistent"}, code: 1, stderrPart: "qmp call: DeviceNotFound: Device '/nonexistent' not found\n"},
		{name: "command not found", args: []string{"-no-check", p.Socket, "no-such-command"}, code: 1, stderrPart: "CommandNotFound: The command no-such-command has not been found"},
		{name: "checked locally", args: []string{p.Socket, "balloon", "value=big"}, code: 2, stderrPart: `argument 'value': expected an integer (int), got "big"`},
		{name: "JSON request", args: []string{"-compact", p.Socket, `{"execute":"query-name"}`}, code: 0, stdout: "{}\n"},
		{name: "usage", args: []string{p.Socket}, code: 2, stderrPart: "want SOCKET COMMAND"},
		{name: "bad flag", args: []string{"-bogus", p.Socket, "query-name"}, code: 2, stderrPart: "flag provided but not defined"},
		{name: "no socket", args: []string{"/nonexistent/qmp.sock", "query-name"}, code: 1, stderrPart: "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := runInProcess(t, "", append([]string{"call"}, tt.args...)...)
			if code != tt.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, tt.code, errs)
			}
			if tt.stdout != "" {
				if diff := cmp.Diff(tt.stdout, out); diff != "" {
					t.Errorf("stdout (-want +got):\n%s", diff)
				}
			}
			if !strings.Contains(errs, tt.stderrPart) {
				t.Errorf("stderr %q, want it to contain %q", errs, tt.stderrPart)
			}
			if tt.code != 0 && out != "" {
				t.Errorf("stdout %q on failure", out)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	code, out, _ := runInProcess(t, "", "help")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, c := range sortedSubcommands() {
		for _, line := range strings.Split(c.synopsis, "\n") {
			if !strings.Contains(out, "    "+line+"\n") {
				t.Errorf("qmp help lacks %s's synopsis line %q", c.name, line)
			}
		}
		code, page, _ := runInProcess(t, "", "help", c.name)
		if code != 0 || !strings.Contains(page, "DESCRIPTION") || !strings.Contains(page, "qmp "+c.name) {
			t.Errorf("qmp help %s: exit %d, page:\n%s", c.name, code, page)
		}
	}
	if code, _, errs := runInProcess(t, "", "help", "nope"); code != 2 || !strings.Contains(errs, "unknown subcommand") {
		t.Errorf("help nope: exit %d, %q", code, errs)
	}
	if code, _, _ := runInProcess(t, ""); code != 2 {
		t.Errorf("no arguments: exit %d, want 2", code)
	}
}
