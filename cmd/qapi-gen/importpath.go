package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
)

// importPathOf is the import path of the package in dir (which need not
// exist yet), as the go command names it: the module path of the go.mod
// in dir or its nearest parent, joined with dir's path below that
// go.mod's directory. The generated server package imports the bindings
// by this path.
func importPathOf(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := abs; ; {
		gomod := filepath.Join(d, "go.mod")
		data, err := os.ReadFile(gomod)
		switch {
		case err == nil:
			mod, err := modulePath(gomod, data)
			if err != nil {
				return "", err
			}
			rel, err := filepath.Rel(d, abs)
			if err != nil {
				return "", err
			}
			if rel == "." {
				return mod, nil
			}
			return mod + "/" + filepath.ToSlash(rel), nil
		case !errors.Is(err, fs.ErrNotExist):
			return "", err
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("no go.mod in %s or any directory above it, so the import path of the bindings is unknown", abs)
		}
		d = parent
	}
}

// modulePath reads the module path from the module directive of a
// go.mod file (named file in errors) with the go command's own parser
// (golang.org/x/mod), and checks it as the go command checks import
// paths.
func modulePath(file string, data []byte) (string, error) {
	f, err := modfile.ParseLax(file, data, nil)
	if err != nil {
		return "", err
	}
	if f.Module == nil {
		return "", fmt.Errorf("%s: no module directive", file)
	}
	if err := module.CheckImportPath(f.Module.Mod.Path); err != nil {
		return "", fmt.Errorf("%s:%d: module path: %v", file, f.Module.Syntax.Start.Line, err)
	}
	return f.Module.Mod.Path, nil
}

// checkImportPath checks an import path (-import) as the go command does.
func checkImportPath(path string) error { return module.CheckImportPath(path) }
