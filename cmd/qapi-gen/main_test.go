package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/qapi-go/qapi/generator"
)

// TestExitCodes holds every command to one rule: 0 success (help
// included), 1 failure (a file that cannot be read among them), 2 usage.
func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.json")
	notSchema := filepath.Join(dir, "dir.json")
	os.Mkdir(notSchema, 0o755)
	out := filepath.Join(dir, "out")
	for _, tc := range []struct {
		args []string
		want int
	}{
		{nil, 2},
		{[]string{"bogus"}, 2},
		{[]string{"help"}, 0},
		{[]string{"help", "generate"}, 0},
		{[]string{"help", "bogus"}, 2},
		{[]string{"version"}, 0},
		{[]string{"version", "-h"}, 0},
		{[]string{"version", "x"}, 2},
		{[]string{"generate", "-h"}, 0},
		{[]string{"generate", "-out", out, missing}, 1},
		{[]string{"generate", "-out", out, notSchema}, 1},
		{[]string{"generate", "-out", out, "-commands", "@" + missing, "qmp"}, 1},
		{[]string{"generate", "-out", out, "-protocol", "xyz", "qmp"}, 2},
		{[]string{"generate", "-out", out}, 2},
		{[]string{"dump", "-h"}, 0},
		{[]string{"dump", missing}, 1},
		{[]string{"dump"}, 2},
		{[]string{"dump", "-bogus", missing}, 2},
		{[]string{"compat", "-h"}, 0},
		{[]string{"compat", "-schema", missing, "sock"}, 1},
		{[]string{"compat"}, 2},
		{[]string{"update-schema", "-h"}, 0},
		{[]string{"update-schema", "-schema-dir", filepath.Join(dir, "s"), missing}, 1},
		{[]string{"update-schema"}, 2},
	} {
		code, _, stderr := runGen(tc.args...)
		if code != tc.want {
			t.Errorf("qapi-gen %q: exit %d, want %d; stderr:\n%s", tc.args, code, tc.want, stderr)
		}
	}
}

// TestFlagsAfterArgument: Go's flag package stops at the first argument,
// so a flag after it is an argument; the error says so and shows the
// order that works.
func TestFlagsAfterArgument(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"generate", "qmp", "-out", "x", "-package", "p"}, "qapi-gen generate: flags go before SCHEMA: -out after \"qmp\" is read as an argument; try:\n\tqapi-gen generate -out x -package p qmp\n"},
		{[]string{"dump", "a.json", "-lenient"}, "qapi-gen dump: flags go before FILE.json: -lenient after \"a.json\" is read as an argument; try:\n\tqapi-gen dump -lenient a.json\n"},
		{[]string{"compat", "-json", "sock", "-timeout", "5s"}, "try:\n\tqapi-gen compat -json -timeout 5s sock\n"},
	} {
		code, _, stderr := runGen(tc.args...)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("qapi-gen %q: exit %d, stderr:\n%s\nwant it to contain:\n%s", tc.args, code, stderr, tc.want)
		}
	}
}

// TestHelpAligned: the summaries of "qapi-gen help" start in one column.
func TestHelpAligned(t *testing.T) {
	_, stdout, _ := runGen("help")
	col := -1
	for _, l := range strings.Split(stdout, "\n") {
		if !strings.HasPrefix(l, "  ") {
			continue
		}
		name := strings.Fields(l)[0]
		c := len(l) - len(strings.TrimLeft(l[2+len(name):], " "))
		if col >= 0 && c != col {
			t.Errorf("summary of %s starts at column %d, others at %d:\n%s", name, c, col, stdout)
		}
		col = c
	}
	if col < 0 {
		t.Fatalf("no commands listed:\n%s", stdout)
	}
}

func TestVersion(t *testing.T) {
	code, stdout, _ := runGen("version")
	if code != 0 || !strings.HasPrefix(stdout, "qapi-gen "+generator.Version+"\n") || !strings.Contains(stdout, "vendored schema: QEMU ") {
		t.Errorf("exit %d:\n%s", code, stdout)
	}
	// Generated files name the same version.
	dir := moduleDir(t)
	if code, _, stderr := runGen("generate", "-out", dir, "-package", "p", "-commands", "guest-ping", "qga"); code != 0 {
		t.Fatalf("generate: %s", stderr)
	}
	src, err := os.ReadFile(filepath.Join(dir, "qapi.go"))
	if err != nil {
		t.Fatal(err)
	}
	// The protocol is told from the whole schema, not the subset (which
	// lacks guest-sync-delimited): the subset gets the QGA layer.
	if conn, err := os.ReadFile(filepath.Join(dir, "qapi_conn.go")); err != nil || !strings.Contains(string(conn), "runtime.DialQGA(") {
		t.Errorf("the QGA subset did not get the QGA connection layer (%v)", err)
	}
	head := strings.SplitN(string(src), "\n", 4)[:3]
	want := []string{generator.HeaderPrefix, "// Source: QEMU " + head[1][len("// Source: QEMU "):], "// Generator: qapi-gen " + generator.Version}
	if d := cmp.Diff(want, head); d != "" || !strings.HasPrefix(head[1], "// Source: QEMU ") {
		t.Errorf("header (-want +got):\n%s", d)
	}
}
