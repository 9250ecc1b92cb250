package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/qapi-go/qapi/internal/qemutest"
)

var craftedSchema = filepath.Join("..", "..", "compat", "testdata", "crafted.json")

func TestCompatUsage(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"no socket", []string{"compat"}, 2, "want exactly one SOCKET"},
		{"two sockets", []string{"compat", "a", "b"}, 2, "want exactly one SOCKET"},
		{"bad flag", []string{"compat", "-nope", "x"}, 2, "flag provided but not defined"},
		{"qga", []string{"compat", "-schema", "qga", "x"}, 2, "no query-qmp-schema"},
		{"missing schema", []string{"compat", "-schema", "/nonexistent.json", "x"}, 1, `want "qmp" or a schema's root .json file`},
		{"bad timeout", []string{"compat", "-timeout", "0s", "x"}, 2, "-timeout must be positive"},
		{"nobody listening", []string{"compat", "-schema", craftedSchema, filepath.Join(t.TempDir(), "none.sock")}, 1, "connecting to QMP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(tt.args...)
			if code != tt.wantCode || !strings.Contains(stderr, tt.wantErr) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, stderr, tt.wantCode, tt.wantErr)
			}
		})
	}
}

// TestCompatRealQEMU runs "qapi-gen compat" against the installed QEMU
// with the vendored bindings' schema.
func TestCompatRealQEMU(t *testing.T) {
	if testing.Short() {
		t.Skip("starts QEMU; skipped in -short mode")
	}
	q := qemutest.Start(t)
	code, stdout, stderr := runCLI("compat", q.Socket)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	for _, want := range []string{"bindings: QEMU ", "(vendored)\nQEMU:     ", "\nsummary: "} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "\n  query-version\n") {
		t.Errorf("report lists query-version as missing:\n%s", stdout)
	}
}
