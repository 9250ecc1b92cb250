package generator_test

import (
	"bytes"
	"go/format"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"golang.org/x/tools/txtar"

	"github.com/qapi-go/qapi/generator"
	"github.com/qapi-go/qapi/internal/gomodtest"
	"github.com/qapi-go/qapi/parser"
	"github.com/qapi-go/qapi/schema"
)

// release is a schema every generator change must keep compiling.
type release struct {
	pkg  string // Go package (and directory) name in the temporary module
	file string // root schema file, relative to the repository root, or "qmp"/"qga"
}

var releases = []release{
	{"qmp10_2", "qmp"},
	{"qga10_2", "qga"},
	{"qapitest", "testdata/qapi-schema/qapi-schema-test.json"},
	{"qmp10_0", "testdata/schemas/qemu-10.0.13/qapi/qapi-schema.json"},
	{"qga10_0", "testdata/schemas/qemu-10.0.13/qga/qapi-schema.json"},
	{"qmp7_2", "testdata/schemas/qemu-7.2.0/qapi/qapi-schema.json"},
	{"qga7_2", "testdata/schemas/qemu-7.2.0/qga/qapi-schema.json"},
	{"qga5_0", "testdata/schemas/qga-5.0/qapi-schema.json"},
}

// parseRelease parses r in lenient mode.
func parseRelease(t testing.TB, root string, r release) (*parser.Schema, string) {
	t.Helper()
	opts := parser.Options{Mode: parser.Lenient}
	file := filepath.Join(root, r.file)
	source := r.file
	switch r.file {
	case "qmp":
		opts.FS, file, source = schema.Files, schema.QMPRoot, "QEMU "+schema.Version()+" "+schema.QMPRoot
	case "qga":
		opts.FS, file, source = schema.Files, schema.QGARoot, "QEMU "+schema.Version()+" "+schema.QGARoot
	}
	s, err := parser.Parse(file, opts)
	if err != nil {
		t.Fatalf("%s: %v", r.file, err)
	}
	return s, source
}

// TestReleasesCompile generates every release, with its server package,
// into one temporary module and runs go vet (which type-checks, so it
// also builds) over it.
func TestReleasesCompile(t *testing.T) {
	if testing.Short() {
		t.Skip("builds several large packages")
	}
	root := gomodtest.RepoRoot(t)
	mod := gomodtest.New(t, "qapigentest")
	tmp := mod.Dir
	servers := map[string]string{} // server package directory -> bindings directory
	for _, r := range releases {
		s, source := parseRelease(t, root, r)
		cfg := generator.Config{Package: r.pkg, Source: source}
		files, err := generator.Generate(s, cfg)
		if err != nil {
			t.Fatalf("%s: %v", r.file, err)
		}
		srv, err := generator.GenerateServer(s, cfg, generator.ServerConfig{Package: r.pkg + "server", BindingsImport: "qapigentest/" + r.pkg})
		if err != nil {
			t.Fatalf("%s: server: %v", r.file, err)
		}
		if r.file == "qmp" {
			again, err := generator.Generate(s, generator.Config{Package: r.pkg, Source: source})
			if err != nil || len(again) != len(files) {
				t.Fatalf("second run: %v", err)
			}
			for i := range files {
				if files[i].Name != again[i].Name || !bytes.Equal(files[i].Content, again[i].Content) {
					t.Errorf("output not deterministic: %s", files[i].Name)
				}
			}
		}
		dir := filepath.Join(tmp, r.pkg)
		servers[filepath.Join(dir, r.pkg+"server")] = dir
		for _, f := range srv {
			if formatted, err := format.Source(f.Content); err != nil || !bytes.Equal(formatted, f.Content) {
				t.Errorf("%sserver/%s: not gofmt'd (%v)", r.pkg, f.Name, err)
			}
			if !generator.IsGenerated(f.Content) {
				t.Errorf("%sserver/%s: missing header", r.pkg, f.Name)
			}
			mod.WriteFile(r.pkg+"/"+r.pkg+"server/"+f.Name, f.Content)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if formatted, err := format.Source(f.Content); err != nil || !bytes.Equal(formatted, f.Content) {
				t.Errorf("%s/%s: not gofmt'd (%v)", r.pkg, f.Name, err)
			}
			if !generator.IsGenerated(f.Content) || !bytes.Contains(f.Content[:200], []byte("// Source: "+source+"\n")) {
				t.Errorf("%s/%s: missing header", r.pkg, f.Name)
			}
			if err := os.WriteFile(filepath.Join(dir, f.Name), f.Content, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	// The golden cases too, whole (with qapi.go), so that every construct
	// is known to compile on its own.
	paths, _ := filepath.Glob("testdata/golden/*.txtar")
	for _, path := range paths {
		ar, err := txtar.ParseFile(path)
		if err != nil {
			t.Fatal(err)
		}
		fsys := fstest.MapFS{}
		for _, f := range ar.Files {
			if strings.HasSuffix(f.Name, ".json") {
				fsys[f.Name] = &fstest.MapFile{Data: f.Data}
			}
		}
		s, err := parser.Parse("schema.json", parser.Options{Mode: parser.Lenient, FS: fsys})
		if err != nil {
			continue
		}
		pkg := "golden_" + strings.TrimSuffix(filepath.Base(path), ".txtar")
		files, err := generator.Generate(s, generator.Config{Package: pkg})
		if err != nil {
			continue // error cases
		}
		dir := filepath.Join(tmp, pkg)
		os.MkdirAll(dir, 0o755)
		for _, f := range files {
			if err := os.WriteFile(filepath.Join(dir, f.Name), f.Content, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	ents, _ := os.ReadDir(tmp)
	for _, e := range ents {
		if e.IsDir() {
			generator.CheckDocLinks(t, filepath.Join(tmp, e.Name()), nil)
		}
	}
	for srv, bindings := range servers {
		generator.CheckDocLinks(t, srv, map[string]string{"qapigentest/" + filepath.Base(bindings): bindings})
	}
	mod.Go("build", "./...")
	mod.Go("vet", "./...")
}

// TestEmbeddedSchemaFS makes sure the vendored schema is what the CLI's
// "qmp"/"qga" shortcuts read.
func TestEmbeddedSchemaFS(t *testing.T) {
	if _, err := fs.Stat(schema.Files, schema.QMPRoot); err != nil {
		t.Fatal(err)
	}
}
