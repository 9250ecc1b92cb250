package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeTree writes files (slash paths) under a new temporary directory.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestGenerateRange generates a range of two releases named by their
// VERSION files and by -also NAME=.
func TestGenerateRange(t *testing.T) {
	root := writeTree(t, map[string]string{
		"old/VERSION":               "1.0.3\n",
		"old/qapi/qapi-schema.json": "{ 'struct': 'Info', 'data': { 'gone': 'int' } }\n{ 'command': 'query-info', 'returns': 'Info' }\n",
		"new/VERSION":               "2.0.0\n",
		"new/qapi/qapi-schema.json": "{ 'struct': 'Info', 'data': { 'added': 'int' } }\n{ 'command': 'query-info', 'returns': 'Info' }\n",
	})
	oldSchema := filepath.Join(root, "old", "qapi", "qapi-schema.json")
	newSchema := filepath.Join(root, "new", "qapi", "qapi-schema.json")
	for _, also := range []string{oldSchema, "1.0=" + oldSchema} {
		out := filepath.Join(moduleDir(t), "p")
		code, _, stderr := runGen("generate", "-out", out, "-also", also, newSchema)
		if code != 0 {
			t.Fatalf("-also %s: exit %d: %s", also, code, stderr)
		}
		src, err := os.ReadFile(filepath.Join(out, "qapi_schema.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"Gone *int64", "Added *int64", "Removed in QEMU 2.0: only older QEMU sends it.", "Not in QEMU 1.0."} {
			if !strings.Contains(string(src), want) {
				t.Errorf("-also %s: output lacks %q", also, want)
			}
		}
		report, err := os.ReadFile(filepath.Join(out, "VERSIONS.md"))
		if err != nil || !strings.Contains(string(report), "One Go API for QEMU 1.0, 2.0") {
			t.Errorf("VERSIONS.md: %v\n%s", err, report)
		}
		// A later run without the range removes the report.
		if code, _, stderr := runGen("generate", "-out", out, "-release", "2.0", newSchema); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if _, err := os.Stat(filepath.Join(out, "VERSIONS.md")); err == nil {
			t.Error("stale VERSIONS.md kept")
		}
	}
}

// TestGenerateRangeErrors checks bad ranges: each is an error naming the
// release and the file, and nothing is written.
func TestGenerateRangeErrors(t *testing.T) {
	root := writeTree(t, map[string]string{
		"good/VERSION":                 "1.0.0\n",
		"good/qapi/qapi-schema.json":   "{ 'command': 'x' }\n",
		"broken/VERSION":               "1.1.0\n",
		"broken/qapi/qapi-schema.json": "{ 'command': 'x' }\n{ 'nonsense': 1 }\n",
		"noversion/qapi-schema.json":   "{ 'command': 'x' }\n",
		"same/VERSION":                 "1.0.0\n",
		"same/qapi/qapi-schema.json":   "{ 'command': 'x' }\n",
		"enum/VERSION":                 "1.2.0\n",
		"enum/qapi/qapi-schema.json":   "{ 'enum': 'Thing', 'data': [ 'a' ] }\n",
		"member/VERSION":               "1.3.0\n",
		"member/qapi/qapi-schema.json": "{ 'command': 'x' }\n{ 'struct': 'Thing', 'data': { 'a': 'str' } }\n",
		"new/VERSION":                  "2.0.0\n",
		"new/qapi/qapi-schema.json":    "{ 'command': 'x' }\n{ 'struct': 'Thing', 'data': { 'a': 'int' } }\n",
	})
	p := func(dir string) string { return filepath.Join(root, dir, "qapi", "qapi-schema.json") }
	newest := p("new")
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"older schema does not parse", []string{"-also", p("broken")}, []string{"QEMU 1.1 (" + p("broken") + ") does not parse", "qapi-schema.json:2"}},
		{"no release name", []string{"-also", filepath.Join(root, "noversion", "qapi-schema.json")}, []string{"no VERSION file", "-also 7.2="}},
		{"schema given twice", []string{"-also", p("good"), "-also", p("good")},
			[]string{"QEMU 1.0: schema " + p("good") + " given twice: with -also #1 (" + p("good") + ", QEMU 1.0) and -also #2 (" + p("good") + ", QEMU 1.0)"}},
		{"schema given twice as two releases", []string{"-also", "1.0=" + p("good"), "-also", "1.1=" + p("good")},
			[]string{"QEMU 1.1: schema " + p("good") + " given twice: with -also #1 (" + p("good") + ", QEMU 1.0) and -also #2 (" + p("good") + ", QEMU 1.1)"}},
		{"newest given with -also", []string{"-also", newest}, []string{"QEMU 2.0: schema " + newest + " given twice: as the newest release (QEMU 2.0, the argument) and with -also #1 (QEMU 2.0)"}},
		{"release given twice", []string{"-also", p("good"), "-also", p("same")}, []string{"QEMU 1.0: release given twice"}},
		{"older than the newest", []string{"-also", "3.0=" + p("good")}, []string{"out of order", "QEMU 2.0"}},
		{"unresolvable", []string{"-also", p("enum")}, []string{"QEMU 1.2: " + p("enum") + ":1: Thing is an enum here but a struct in QEMU 2.0 (" + newest + ":2)"}},
		{"unresolvable member type", []string{"-also", p("member")},
			[]string{"QEMU 1.3: " + p("member") + ":2: Thing.a is str here but int in a newer release (up to QEMU 2.0; " + newest + ":2)", "int does not take str"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "p")
			code, _, stderr := runGen(append(append([]string{"generate", "-out", out}, tt.args...), newest)...)
			if code != 1 {
				t.Errorf("exit %d, want 1; stderr %s", code, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("%s was written", out)
			}
			// An output directory that exists is left as it was.
			dir := writeTree(t, map[string]string{"p/qapi_schema.go": "// Code generated by qapi-gen. DO NOT EDIT.\n\npackage p\n"})
			out = filepath.Join(dir, "p")
			if code, _, _ := runGen(append(append([]string{"generate", "-out", out}, tt.args...), newest)...); code != 1 {
				t.Errorf("into an existing directory: exit %d, want 1", code)
			}
			entries, err := os.ReadDir(out)
			if err != nil || len(entries) != 1 || entries[0].Name() != "qapi_schema.go" {
				t.Errorf("%s changed: %v %v", out, entries, err)
			}
			if b, err := os.ReadFile(filepath.Join(out, "qapi_schema.go")); err != nil || !strings.HasSuffix(string(b), "package p\n") {
				t.Errorf("qapi_schema.go changed: %q %v", b, err)
			}
		})
	}
	for _, bad := range []string{"x=" + p("good"), "1.0="} {
		if code, _, stderr := runGen("generate", "-out", t.TempDir(), "-also", bad, newest); code != 2 {
			t.Errorf("-also %s: exit %d, want 2: %s", bad, code, stderr)
		}
	}
}
