// Package gomodtest makes throwaway Go modules that use this checkout
// through a replace directive, for tests that must compile generated code
// the way a user's module would. The module gets this repository's go.sum
// and every go command runs with GOPROXY=off, so nothing needs a network
// (NewBare starts from an empty module instead, as a user does).
package gomodtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// RepoRoot is the directory of this module's go.mod.
func RepoRoot(tb testing.TB) string {
	tb.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		tb.Fatalf("go env GOMOD: %v", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		tb.Fatalf("go env GOMOD: not inside a module")
	}
	return filepath.Dir(gomod)
}

// Module is a temporary module requiring github.com/qapi-go/qapi.
type Module struct {
	Dir string
	// Env is added to the go command's environment after the defaults
	// (GOFLAGS=-mod=mod GOWORK=off GOPROXY=off), so it can override them.
	Env []string
	tb  testing.TB
}

// New makes a module with module path path in a fresh temporary directory.
func New(tb testing.TB, path string) *Module {
	tb.Helper()
	root := RepoRoot(tb)
	m := &Module{Dir: tb.TempDir(), tb: tb}
	m.WriteFile("go.mod", []byte("module "+path+"\n\ngo 1.24\n\n"+
		"require github.com/qapi-go/qapi v0.0.0\n\n"+
		"replace github.com/qapi-go/qapi => "+root+"\n"))
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		tb.Fatalf("go.sum: %v", err)
	}
	m.WriteFile("go.sum", sum)
	return m
}

// NewBare makes a module as a user starts one: a go.mod with only the
// module path, the go version and a replace directive pointing
// github.com/qapi-go/qapi at this checkout, no require and no go.sum.
// Its go commands run with the user's defaults (no -mod=mod) and
// without the checksum database (GOSUMDB=off: this machine cannot reach
// it; the sums come from the module cache), so a go.sum entry that the
// documented workflow fails to add is a failure here too.
func NewBare(tb testing.TB, path string) *Module {
	tb.Helper()
	root := RepoRoot(tb)
	m := &Module{Dir: tb.TempDir(), tb: tb, Env: []string{"GOFLAGS=", "GOSUMDB=off"}}
	m.WriteFile("go.mod", []byte("module "+path+"\n\ngo 1.24\n\n"+
		"replace github.com/qapi-go/qapi => "+root+"\n"))
	return m
}

// WriteFile writes name (slash-separated, relative to the module) and
// creates its directory.
func (m *Module) WriteFile(name string, data []byte) {
	m.tb.Helper()
	p := filepath.Join(m.Dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		m.tb.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		m.tb.Fatal(err)
	}
}

// Go runs the go command in the module and returns its combined output;
// a failure fails the test with that output.
func (m *Module) Go(args ...string) string {
	m.tb.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = m.Dir
	cmd.Env = append(append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off", "GOPROXY=off"), m.Env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		m.tb.Fatalf("go %s in %s: %v\n%s", strings.Join(args, " "), m.Dir, err, out)
	}
	return string(out)
}
