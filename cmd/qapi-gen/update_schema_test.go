package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/qapi-go/qapi/internal/gomodtest"
)

// copyTree copies the regular files under src into dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if info.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// readDir returns the regular files under dir, by slash path.
func readDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || !info.Mode().IsRegular() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		b, err := os.ReadFile(p)
		out[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// fakeQEMU10 builds a minimal QEMU 10.0.13 source tree from the vendored
// 10.0 schema copies (testdata/schemas/qemu-10.0.13), with a VERSION file
// and some of the non-schema neighbours a real tree has.
func fakeQEMU10(t *testing.T) string {
	t.Helper()
	src := filepath.Join("..", "..", "testdata", "schemas", "qemu-10.0.13")
	if _, err := os.Stat(filepath.Join(src, "qapi", "qapi-schema.json")); err != nil {
		t.Fatalf("vendored QEMU 10.0.13 schema missing: %v", err)
	}
	tree := filepath.Join(t.TempDir(), "qemu-10.0.13")
	copyTree(t, src, tree)
	for name, data := range map[string]string{
		"VERSION":             "10.0.13\n",
		"qapi/meson.build":    "# not a schema\n",
		"qga/commands.c":      "/* not a schema */\n",
		"tests/qapi-schema/x": "{}\n",
	} {
		p := filepath.Join(tree, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return tree
}

func runCLI(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return code, o.String(), e.String()
}

func TestUpdateSchemaUsage(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"no path", []string{"update-schema"}, 2, "want exactly one PATH"},
		{"two paths", []string{"update-schema", "a", "b"}, 2, "want exactly one PATH"},
		{"bad flag", []string{"update-schema", "-nope", "x"}, 2, "flag provided but not defined"},
		{"missing path", []string{"update-schema", "-schema-dir", t.TempDir(), filepath.Join(t.TempDir(), "nope")}, 1, "no such file"},
		{"not a tree", []string{"update-schema", "-schema-dir", t.TempDir(), t.TempDir()}, 1, "not a QEMU source tree"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(tt.args...)
			if code != tt.wantCode || !strings.Contains(stderr, tt.wantErr) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, stderr, tt.wantCode, tt.wantErr)
			}
		})
	}
}

// TestUpdateSchemaRefusesBrokenSchema checks that a release the front end
// rejects leaves the schema directory alone.
func TestUpdateSchemaRefusesBrokenSchema(t *testing.T) {
	tree := fakeQEMU10(t)
	os.WriteFile(filepath.Join(tree, "qapi", "common.json"), []byte("{ 'enum': 'Broken', 'data': [ 'x' ] }\n{ 'nonsense': 1 }\n"), 0o644)
	dir := filepath.Join(t.TempDir(), "schema")
	copyTree(t, filepath.Join("..", "..", "schema"), dir)
	before := readDir(t, dir)
	code, _, stderr := runCLI("update-schema", "-schema-dir", dir, tree)
	if code != 1 || !strings.Contains(stderr, "does not parse; nothing changed") {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	if diff := cmp.Diff(before, readDir(t, dir)); diff != "" {
		t.Errorf("schema dir changed (-before +after):\n%s", diff)
	}
}

// TestUpdateSchema10 runs "qapi-gen update-schema" on a QEMU 10.0.13 tree
// and on tarballs of it, over a copy of the vendored 10.2.2 schema/, then
// generates bindings from the result into a temporary module and builds
// it (the whole "make update-schema && make generate" procedure).
func TestUpdateSchema10(t *testing.T) {
	tree := fakeQEMU10(t)
	want := readDir(t, filepath.Join("..", "..", "testdata", "schemas", "qemu-10.0.13"))
	delete(want, "VERSION") // checked on its own below
	orig := readDir(t, filepath.Join("..", "..", "schema"))

	check := func(t *testing.T, dir string) {
		t.Helper()
		got := readDir(t, dir)
		for _, keep := range []string{"README.md", "schema.go", "COPYING"} {
			if got[keep] != orig[keep] {
				t.Errorf("%s changed", keep)
			}
			delete(got, keep)
		}
		if v := got["VERSION"]; v != "10.0.13\n" {
			t.Errorf("VERSION = %q, want 10.0.13", v)
		}
		delete(got, "VERSION")
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("schema files differ from QEMU 10.0.13's (-want +got):\n%s", diff)
		}
	}

	sources := []struct {
		name string
		make func(t *testing.T) string
	}{
		{"tree", func(t *testing.T) string { return tree }},
		{"tar.xz", func(t *testing.T) string { return systemTarball(t, tree, "J", "xz", "qemu-10.0.13.tar.xz") }},
		{"tar.bz2", func(t *testing.T) string { return systemTarball(t, tree, "j", "bzip2", "qemu-10.0.13.tar.bz2") }},
	}
	var updated string
	keep := t.TempDir() // outlives the subtests
	for _, src := range sources {
		t.Run(src.name, func(t *testing.T) {
			path := src.make(t)
			dir := filepath.Join(keep, src.name, "schema")
			copyTree(t, filepath.Join("..", "..", "schema"), dir)
			code, stdout, stderr := runCLI("update-schema", "-schema-dir", dir, path)
			if code != 0 {
				t.Fatalf("update-schema: exit %d\n%s", code, stderr)
			}
			if !strings.Contains(stdout, "QEMU 10.2.2 -> 10.0.13") {
				t.Errorf("summary does not name the versions:\n%s", stdout)
			}
			check(t, dir)
			if src.name == "tree" {
				updated = dir
			}
		})
	}
	if updated == "" {
		t.Fatal("update from the tree failed")
	}

	t.Run("generate and build", func(t *testing.T) {
		if testing.Short() {
			t.Skip("builds the generated QEMU 10.0 bindings; skipped in -short mode")
		}
		buildGenerated(t, updated)
	})
}

func systemTarball(t *testing.T, tree, flag, tool, name string) string {
	t.Helper()
	for _, p := range []string{"tar", tool} {
		if _, err := exec.LookPath(p); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s not installed and CI=true: this test must run: %v", p, err)
			}
			t.Skipf("%s not installed: %v", p, err)
		}
	}
	out := filepath.Join(t.TempDir(), name)
	cmd := exec.Command("tar", "-c"+flag+"f", out, "-C", filepath.Dir(tree), filepath.Base(tree))
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tar: %v\n%s", err, b)
	}
	return out
}

// buildGenerated generates QMP and QGA bindings from the schema directory
// into a temporary module that uses this checkout through a replace
// directive, copies the schema directory (with its embedding package) in
// too, and runs go build and go vet on it.
func buildGenerated(t *testing.T, schemaDir string) {
	t.Helper()
	m := gomodtest.New(t, "example.com/updated")
	mod := m.Dir
	copyTree(t, schemaDir, filepath.Join(mod, "schema"))
	for _, g := range []struct{ pkg, root string }{
		{"qmp", "qapi/qapi-schema.json"},
		{"qga", "qga/qapi-schema.json"},
	} {
		code, _, stderr := runCLI("generate", "-package", g.pkg, "-out", filepath.Join(mod, g.pkg), filepath.Join(schemaDir, filepath.FromSlash(g.root)))
		if code != 0 {
			t.Fatalf("generate %s: exit %d\n%s", g.pkg, code, stderr)
		}
	}
	m.Go("build", "./...")
	m.Go("vet", "./...")
}

// TestUpdateSchemaOlder checks -older: a newer release replaces the
// vendored one, which moves into the directory of older releases, and
// the range (the Makefile's generate) then spans both; a release that is
// not newer, or an older directory that exists already, changes nothing.
func TestUpdateSchemaOlder(t *testing.T) {
	tree := fakeQEMU10(t)
	if err := os.WriteFile(filepath.Join(tree, "VERSION"), []byte("11.0.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "schema")
	copyTree(t, filepath.Join("..", "..", "schema"), dir)
	orig := readDir(t, dir)
	older := filepath.Join(t.TempDir(), "schemas")

	// Not newer: refused.
	old10 := fakeQEMU10(t)
	code, _, stderr := runCLI("update-schema", "-schema-dir", dir, "-older", older, old10)
	if code != 1 || !strings.Contains(stderr, "QEMU 10.0.13 is not newer than the vendored 10.2.2") || !strings.Contains(stderr, "nothing changed") {
		t.Errorf("older release: exit %d, stderr %q", code, stderr)
	}
	if diff := cmp.Diff(orig, readDir(t, dir)); diff != "" {
		t.Errorf("schema dir changed (-before +after):\n%s", diff)
	}

	code, stdout, stderr := runCLI("update-schema", "-schema-dir", dir, "-older", older, tree)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "qemu-10.2.2: QEMU 10.2.2 kept as an older release of the range") {
		t.Errorf("stdout does not say where 10.2.2 went:\n%s", stdout)
	}
	kept := readDir(t, filepath.Join(older, "qemu-10.2.2"))
	for name, data := range orig {
		if name == "README.md" || name == "schema.go" || name == "COPYING" {
			continue
		}
		if kept[name] != data {
			t.Errorf("%s not kept unchanged", name)
		}
	}
	if v := readDir(t, dir)["VERSION"]; v != "11.0.0\n" {
		t.Errorf("VERSION = %q", v)
	}
	// The range: 10.2.2 (kept) and 11.0.0.
	out := filepath.Join(moduleDir(t), "qmp")
	code, _, stderr = runCLI("generate", "-out", out, "-also", filepath.Join(older, "qemu-10.2.2", "qapi", "qapi-schema.json"),
		filepath.Join(dir, "qapi", "qapi-schema.json"))
	if code != 0 {
		t.Fatalf("generate the range: exit %d: %s", code, stderr)
	}
	if b, err := os.ReadFile(filepath.Join(out, "VERSIONS.md")); err != nil || !strings.Contains(string(b), "One Go API for QEMU 10.2, 11.0") {
		t.Errorf("VERSIONS.md: %v\n%s", err, b)
	}

	// Again: the older directory exists.
	if err := os.WriteFile(filepath.Join(tree, "VERSION"), []byte("11.1.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(older, "qemu-11.0.0"), 0o755)
	code, _, stderr = runCLI("update-schema", "-schema-dir", dir, "-older", older, tree)
	if code != 1 || !strings.Contains(stderr, "qemu-11.0.0 exists already") {
		t.Errorf("existing older dir: exit %d, stderr %q", code, stderr)
	}
}

// TestMakeUpdateSchema runs the documented workflow (docs/updating-qemu.md)
// on a copy of this repository: "make update-schema QEMU=TREE" with a
// release newer than the vendored one, then "make generate". The new
// release tops the range of both packages, the vendored one joins
// testdata/schemas, every older release stays, and the bindings build.
// (The "new" release is the 10.0 schema under VERSION 11.0.0: what is
// tested is the workflow, not a real QEMU's changes.)
func TestMakeUpdateSchema(t *testing.T) {
	if testing.Short() {
		t.Skip("copies the repository and regenerates the bindings")
	}
	if _, err := exec.LookPath("make"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("make is not installed")
		}
		t.Skip("make is not installed")
	}
	tree := fakeQEMU10(t)
	if err := os.WriteFile(filepath.Join(tree, "VERSION"), []byte("11.0.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	root := gomodtest.RepoRoot(t)
	repo := filepath.Join(t.TempDir(), "qapi")
	skip := map[string]bool{".git": true, "testdata/replies": true, "testdata/qapi-schema": true, "testdata/golden": true}
	err := filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if skip[filepath.ToSlash(rel)] {
			if info.IsDir() {
				return filepath.SkipDir
			}
			return nil // .git is a file in a worktree
		}
		target := filepath.Join(repo, rel)
		switch {
		case info.IsDir():
			return os.MkdirAll(target, 0o755)
		case !info.Mode().IsRegular():
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	olderBefore, err := filepath.Glob(filepath.Join(repo, "testdata", "schemas", "*", "VERSION"))
	if err != nil || len(olderBefore) == 0 {
		t.Fatalf("no older releases in the copy: %v", err)
	}
	run := func(name string, args ...string) {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir = repo
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off", "GOPROXY=off")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
	}
	run("make", "update-schema", "QEMU="+tree)
	run("make", "generate")
	run("go", "build", "./gen/...")

	if v, err := os.ReadFile(filepath.Join(repo, "schema", "VERSION")); err != nil || string(v) != "11.0.0\n" {
		t.Errorf("schema/VERSION: %q %v", v, err)
	}
	if v, err := os.ReadFile(filepath.Join(repo, "testdata", "schemas", "qemu-10.2.2", "VERSION")); err != nil || strings.TrimSpace(string(v)) != "10.2.2" {
		t.Errorf("the vendored release was not kept in testdata/schemas: %q %v", v, err)
	}
	for _, tc := range []struct{ pkg, want string }{
		{"qmp", "One Go API for QEMU 7.2, 10.0, 10.2, 11.0 (oldest to newest); the docs are QEMU 11.0's."},
		{"qga", "One Go API for QEMU 5.0, 7.2, 10.0, 10.2, 11.0 (oldest to newest); the docs are QEMU 11.0's."},
	} {
		b, err := os.ReadFile(filepath.Join(repo, "gen", tc.pkg, "VERSIONS.md"))
		if err != nil || !strings.Contains(string(b), tc.want) {
			t.Errorf("gen/%s/VERSIONS.md lacks %q: %v\n%.600s", tc.pkg, tc.want, err, b)
		}
		src, err := os.ReadFile(filepath.Join(repo, "gen", tc.pkg, "qapi.go"))
		if err != nil || !strings.Contains(string(src), `"11.0"`) {
			t.Errorf("gen/%s/qapi.go: Releases lacks 11.0: %v", tc.pkg, err)
		}
	}
}
