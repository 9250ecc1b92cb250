package main

import (
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/qapi-go/qapi/generator"
)

// handWritten reads the Go files of dir that qapi-gen did not generate
// and lists what they declare in package pkg (test files of the package
// included, external test packages not), so that generation fails with
// both positions instead of writing a package that does not compile. A
// missing dir declares nothing.
func handWritten(dir, pkg string) ([]generator.Declared, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".go") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	fset := token.NewFileSet()
	var out []generator.Declared
	for _, name := range names {
		p := filepath.Join(dir, name)
		src, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		if generator.IsGenerated(src) {
			continue
		}
		f, err := parser.ParseFile(fset, p, src, parser.SkipObjectResolution)
		if err != nil {
			return nil, fmt.Errorf("hand-written file: %w", err)
		}
		if f.Name.Name != pkg {
			if strings.HasSuffix(name, "_test.go") && f.Name.Name == pkg+"_test" {
				continue
			}
			return nil, fmt.Errorf("%s: package %s, but the generated package is %s (pass -package)", fset.Position(f.Name.Pos()), f.Name.Name, pkg)
		}
		out = append(out, generator.DeclarationsAt(fset, f)...)
	}
	return out, nil
}
