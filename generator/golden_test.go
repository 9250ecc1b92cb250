package generator_test

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/tools/txtar"

	"github.com/qapi-go/qapi/generator"
	"github.com/qapi-go/qapi/parser"
)

// TestGolden runs every testdata/golden/*.txtar archive: the .json files
// are the schema (schema.json is the root), the .go files the expected
// output. qapi.go (tables, helpers) and the connection layer's files
// (the same in every case) are compared only when the archive has them,
// and so is the server package, as server/qapi_server.go (importing the
// bindings as example.com/golden). An archive with an "error" file
// expects Generate (or Parse) to fail with that text. -update rewrites
// the expected sections.
// serverGolden is the name of the server package's file in an archive.
const serverGolden = "server/" + generator.ServerFile

func TestGolden(t *testing.T) {
	paths, err := filepath.Glob("testdata/golden/*.txtar")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	for _, path := range paths {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txtar"), func(t *testing.T) {
			ar, err := txtar.ParseFile(path)
			if err != nil {
				t.Fatal(err)
			}
			fsys := fstest.MapFS{}
			want := map[string]string{}
			wantErr, hasErr := "", false
			for _, f := range ar.Files {
				switch {
				case strings.HasSuffix(f.Name, ".json"):
					fsys[f.Name] = &fstest.MapFile{Data: f.Data}
				case strings.HasSuffix(f.Name, ".go"):
					want[f.Name] = string(f.Data)
				case f.Name == "error":
					wantErr, hasErr = string(f.Data), true
				}
			}
			// The files every package has (CommonFile and the connection
			// layer) are compared only when the archive lists them.
			common := map[string]bool{generator.CommonFile: true}
			for _, n := range generator.ConnFiles {
				common[n] = true
			}
			got := map[string]string{}
			gotErr := ""
			s, err := parser.Parse("schema.json", parser.Options{Mode: parser.Lenient, FS: fsys})
			if err == nil {
				cfg := generator.Config{Package: "golden", Source: "schema.json"}
				var files []generator.File
				files, err = generator.Generate(s, cfg)
				for _, f := range files {
					if _, listed := want[f.Name]; listed || !common[f.Name] {
						got[f.Name] = string(f.Content)
					}
				}
				if _, listed := want[serverGolden]; listed && err == nil {
					files, err = generator.GenerateServer(s, cfg, generator.ServerConfig{Package: "goldenserver", BindingsImport: "example.com/golden"})
					for _, f := range files {
						got["server/"+f.Name] = string(f.Content)
					}
				}
			}
			if err != nil {
				gotErr = err.Error() + "\n"
			}
			if *update {
				var files []txtar.File
				for _, f := range ar.Files {
					if strings.HasSuffix(f.Name, ".json") {
						files = append(files, f)
					}
				}
				if gotErr != "" || hasErr {
					files = append(files, txtar.File{Name: "error", Data: []byte(gotErr)})
				}
				names := make([]string, 0, len(got))
				for n := range got {
					names = append(names, n)
				}
				sort.Strings(names)
				for _, n := range names {
					files = append(files, txtar.File{Name: n, Data: []byte(got[n])})
				}
				ar.Files = files
				if err := os.WriteFile(path, txtar.Format(ar), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if gotErr != wantErr {
				t.Errorf("error = %q, want %q", gotErr, wantErr)
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("output differs (-want +got); run go test ./generator -run TestGolden -update to accept:\n%s", d)
			}
		})
	}
}
