package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNameList(t *testing.T) {
	file := filepath.Join(t.TempDir(), "cmds.txt")
	os.WriteFile(file, []byte("# what we send\nquery-status\n\n  stop \ncont,quit\nstop\n"), 0o644)
	tests := []struct {
		v    string
		set  bool
		want []string
	}{
		{"", false, []string{}},
		{"", true, []string{}},
		{"*", true, nil},
		{"a, b,,a", true, []string{"a", "b"}},
		{"@" + file, true, []string{"query-status", "stop", "cont", "quit"}},
	}
	for _, tt := range tests {
		got, err := nameList("-commands", tt.v, tt.set)
		if err != nil {
			t.Errorf("%q: %v", tt.v, err)
			continue
		}
		if (got == nil) != (tt.want == nil) || !cmp.Equal(got, tt.want) {
			t.Errorf("nameList(%q, %v) = %#v, want %#v", tt.v, tt.set, got, tt.want)
		}
	}
	if _, err := nameList("-commands", "@"+file+".missing", true); err == nil {
		t.Error("missing @FILE accepted")
	}
}

func TestGenerateSubset(t *testing.T) {
	dir := moduleDir(t)
	list := filepath.Join(dir, "commands")
	os.WriteFile(list, []byte("query-status\nstop\ncont\n"), 0o644)
	out := filepath.Join(dir, "qmp")
	code, _, stderr := runGen("generate", "-out", out, "-commands", "@"+list, "-omit-deprecated", "qmp")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var all strings.Builder
	entries, _ := os.ReadDir(out)
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join(out, e.Name()))
		all.Write(b)
	}
	src := all.String()
	for _, want := range []string{"func (c *Conn) QueryStatus(", "func (c *Conn) Stop(", "type RunState string"} {
		if !strings.Contains(src, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	for _, unwanted := range []string{"func (c *Conn) Quit(", "type ShutdownEvent struct", "BlockdevOptions"} {
		if strings.Contains(src, unwanted) {
			t.Errorf("output has %q", unwanted)
		}
	}
	modules := 0 // files of schema modules: qapi*.go are in every package
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), "qapi") {
			modules++
		}
	}
	if modules > 4 {
		t.Errorf("%d module files for 3 commands", modules)
	}
	for _, f := range []string{"qapi.go", "qapi_conn.go", "qapi_events.go", "qapi_runtime.go"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("the subset lacks the connection layer: %v", err)
		}
	}

	code, _, stderr = runGen("generate", "-out", out, "-commands", "query-stauts", "qmp")
	if code != 1 || !strings.Contains(stderr, `unknown command "query-stauts"; did you mean query-stats, query-status?`) {
		t.Errorf("unknown command: exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = runGen("generate", "-out", out, "-events", "@"+list+".missing", "qmp")
	if code != 1 || !strings.Contains(stderr, "-events: ") {
		t.Errorf("missing list file: exit %d, stderr %q", code, stderr)
	}
	code, stdout, _ := runGen("help", "generate")
	if code != 0 || !strings.Contains(stdout, "-omit-unstable") || !strings.Contains(stdout, "go get -tool github.com/qapi-go/qapi/cmd/qapi-gen") || !strings.Contains(stdout, "//go:generate go tool qapi-gen generate") {
		t.Errorf("help generate: exit %d, missing the new flags or the go:generate line:\n%s", code, stdout)
	}
}
