package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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
// go.mod file (named file in errors), as the go command does: the first
// "module PATH" line, PATH bare or quoted, comments ignored.
func modulePath(file string, data []byte) (string, error) {
	for i, line := range strings.Split(string(data), "\n") {
		if c := strings.Index(line, "//"); c >= 0 {
			line = line[:c]
		}
		fields := strings.Fields(line)
		if len(fields) == 0 || fields[0] != "module" {
			continue
		}
		at := fmt.Sprintf("%s:%d", file, i+1)
		if len(fields) != 2 {
			return "", fmt.Errorf("%s: want one module path after \"module\"", at)
		}
		path := fields[1]
		if path[0] == '"' || path[0] == '`' {
			p, err := strconv.Unquote(path)
			if err != nil {
				return "", fmt.Errorf("%s: invalid quoted module path %s", at, path)
			}
			path = p
		}
		if err := checkImportPath(path); err != nil {
			return "", fmt.Errorf("%s: module path: %v", at, err)
		}
		return path, nil
	}
	return "", fmt.Errorf("%s: no module directive", file)
}

// checkImportPath checks the shape of an import path: slash-separated
// elements, none empty, "." or "..", of the characters Go's module
// paths allow (letters, digits, and -._~+).
func checkImportPath(path string) error {
	if path == "" {
		return errors.New("empty import path")
	}
	for _, elem := range strings.Split(path, "/") {
		if elem == "" || elem == "." || elem == ".." {
			return fmt.Errorf("import path %q has an empty, \".\" or \"..\" element", path)
		}
		for _, r := range elem {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-._~+", r)) {
				return fmt.Errorf("import path %q has the character %q, which Go import paths do not allow", path, r)
			}
		}
	}
	return nil
}
