package generator_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/qapi-go/qapi/generator"
	"github.com/qapi-go/qapi/parser"
)

var update = flag.Bool("update", false, "rewrite golden files and generator/internal/testgen")

// TestTestgenUpToDate checks that the checked-in package
// internal/testgen, on which the round-trip tests run, and its server
// package internal/testgen/testgenserver are what the generator produces
// from testdata/testgen/schema.json.
func TestTestgenUpToDate(t *testing.T) {
	const dir, serverDir = "internal/testgen", "internal/testgen/testgenserver"
	s, err := parser.Parse("testdata/testgen/schema.json", parser.Options{Mode: parser.Strict})
	if err != nil {
		t.Fatal(err)
	}
	cfg := generator.Config{Package: "testgen", Source: "generator/testdata/testgen/schema.json"}
	files, err := generator.Generate(s, cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := generator.GenerateServer(s, cfg, generator.ServerConfig{Package: "testgenserver", BindingsImport: "github.com/qapi-go/qapi/generator/internal/testgen"})
	if err != nil {
		t.Fatal(err)
	}
	checkGenerated(t, dir, files)
	checkGenerated(t, serverDir, srv)
}

// checkGenerated compares the generated files in dir with files, or with
// -update writes files there and removes the generated files it lacks.
func checkGenerated(t *testing.T, dir string, files []generator.File) {
	t.Helper()
	want := map[string]string{}
	for _, f := range files {
		want[f.Name] = string(f.Content)
	}
	got := map[string]string{}
	ents, err := os.ReadDir(dir)
	if err != nil && !(*update && os.IsNotExist(err)) {
		t.Fatal(err)
	}
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".go") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if generator.IsGenerated(b) {
			got[e.Name()] = string(b)
		}
	}
	if *update {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name := range got {
			if _, ok := want[name]; !ok {
				os.Remove(filepath.Join(dir, name))
			}
		}
		for name, src := range want {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("%s is stale (run go test ./generator -run TestTestgenUpToDate -update); diff (-want +got):\n%s", dir, d)
	}
}
