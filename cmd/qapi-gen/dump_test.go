package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestDumpCorpus runs every case of QEMU's tests/qapi-schema corpus through
// "qapi-gen dump CASE.json" in the corpus directory, as test-qapi.py
// does, and compares stdout with CASE.out and stderr with CASE.err.
func TestDumpCorpus(t *testing.T) {
	dir, err := filepath.Abs("../../testdata/qapi-schema")
	if err != nil {
		t.Fatal(err)
	}
	cases, err := filepath.Glob(filepath.Join(dir, "*.err"))
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) != 211 {
		t.Errorf("found %d cases, want 211", len(cases))
	}
	t.Chdir(dir)
	for _, errFile := range cases {
		name := strings.TrimSuffix(filepath.Base(errFile), ".err")
		t.Run(name, func(t *testing.T) {
			wantErr := readFile(t, name+".err")
			wantOut := readFile(t, name+".out")
			var stdout, stderr bytes.Buffer
			code := run([]string{"dump", name + ".json"}, &stdout, &stderr)
			wantCode := 0
			if wantErr != "" {
				wantCode = 1
			}
			if code != wantCode {
				t.Errorf("exit code %d, want %d", code, wantCode)
			}
			if diff := cmp.Diff(wantOut, stdout.String()); diff != "" {
				t.Errorf("stdout mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(wantErr, stderr.String()); diff != "" {
				t.Errorf("stderr mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestDumpUsage(t *testing.T) {
	for _, args := range [][]string{
		{"dump"},
		{"dump", "a.json", "b.json"},
		{"dump", "-bogus", "a.json"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(args, &stdout, &stderr); code != 2 {
			t.Errorf("%q: exit code %d, want 2", args, code)
		}
		if !strings.Contains(stderr.String(), "usage: qapi-gen dump") {
			t.Errorf("%q: no usage line in %q", args, stderr.String())
		}
		if stdout.Len() != 0 {
			t.Errorf("%q: stdout %q, want nothing", args, stdout.String())
		}
	}
}
