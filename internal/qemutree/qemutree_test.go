package qemutree

import (
	"archive/tar"
	"compress/gzip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// fakeTree writes a minimal QEMU source tree: the schema files of a small
// release, plus the kind of neighbours a real tree has (C files in qapi/
// and qga/, a storage-daemon schema, a test corpus) that must be ignored.
func fakeTree(t *testing.T, version string) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"VERSION":                                 version + "\n",
		"COPYING":                                 "GNU GENERAL PUBLIC LICENSE\n",
		"qapi/qapi-schema.json":                   "{ 'include': 'common.json' }\n",
		"qapi/common.json":                        "{ 'enum': 'OnOff', 'data': ['on', 'off'] }\n",
		"qapi/new.json":                           "{ 'command': 'x-new' }\n",
		"qapi/meson.build":                        "# not a schema\n",
		"qapi/qmp-dispatch.c":                     "/* not a schema */\n",
		"qga/qapi-schema.json":                    "{ 'command': 'guest-ping' }\n",
		"qga/main.c":                              "/* agent */\n",
		"storage-daemon/qapi/qapi-schema.json":    "{ 'include': '../../qapi/common.json' }\n",
		"tests/qapi-schema/qapi-schema-test.json": "{ 'command': 'test' }\n",
	}
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

func wantRelease(version string) *Release {
	return &Release{
		Version: version,
		QAPI: map[string][]byte{
			"qapi-schema.json": []byte("{ 'include': 'common.json' }\n"),
			"common.json":      []byte("{ 'enum': 'OnOff', 'data': ['on', 'off'] }\n"),
			"new.json":         []byte("{ 'command': 'x-new' }\n"),
		},
		QGA:     []byte("{ 'command': 'guest-ping' }\n"),
		Copying: []byte("GNU GENERAL PUBLIC LICENSE\n"),
	}
}

var ignoreSource = cmpopts.IgnoreFields(Release{}, "Source")

// tarTree packs dir into a tarball under top-level directory top ("" for
// none) with Go's archive/tar and gzip.
func tarGz(t *testing.T, dir, top, out string) {
	t.Helper()
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zw := gzip.NewWriter(f)
	tw := tar.NewWriter(zw)
	err = filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if rel == "." {
			return nil
		}
		h, err := tar.FileInfoHeader(info, "")
		if err != nil {
			return err
		}
		h.Name = top + filepath.ToSlash(rel)
		if info.IsDir() {
			h.Name += "/"
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if info.Mode().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			_, err = tw.Write(b)
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
}

// systemTar packs parent/base with the system tar and a compression flag
// (-j, -J), skipping the test when the tools are missing.
func systemTar(t *testing.T, flag, tool, parent, base, out string) {
	t.Helper()
	for _, p := range []string{"tar", tool} {
		if _, err := exec.LookPath(p); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s not installed and CI=true: this test must run: %v", p, err)
			}
			t.Skipf("%s not installed: %v", p, err)
		}
	}
	cmd := exec.Command("tar", "-c"+flag+"f", out, "-C", parent, base)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tar: %v\n%s", err, b)
	}
}

func TestRead(t *testing.T) {
	tree := fakeTree(t, "10.0.13")
	// A tree with a versioned top-level directory, as release tarballs have.
	parent := t.TempDir()
	named := filepath.Join(parent, "qemu-10.0.13")
	if err := os.Rename(tree, named); err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	tests := []struct {
		name string
		make func(t *testing.T) string
	}{
		{"tree", func(t *testing.T) string { return named }},
		{"tar.gz", func(t *testing.T) string {
			out := filepath.Join(tmp, "q.tar.gz")
			tarGz(t, named, "qemu-10.0.13/", out)
			return out
		}},
		{"tar.gz without top directory", func(t *testing.T) string {
			out := filepath.Join(tmp, "flat.tgz")
			tarGz(t, named, "./", out)
			return out
		}},
		{"tar.bz2", func(t *testing.T) string {
			out := filepath.Join(tmp, "q.tar.bz2")
			systemTar(t, "j", "bzip2", parent, "qemu-10.0.13", out)
			return out
		}},
		{"tar.xz", func(t *testing.T) string {
			out := filepath.Join(tmp, "q.tar.xz")
			systemTar(t, "J", "xz", parent, "qemu-10.0.13", out)
			return out
		}},
		{"plain tar, misleading name", func(t *testing.T) string {
			out := filepath.Join(tmp, "q.tar.xz.really-plain")
			systemTar(t, "", "tar", parent, "qemu-10.0.13", out)
			return out
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.make(t)
			got, err := Read(p)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(wantRelease("10.0.13"), got, ignoreSource); diff != "" {
				t.Errorf("Read(%s) mismatch (-want +got):\n%s", p, diff)
			}
		})
	}
}

func TestReadErrors(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(t *testing.T, dir string) string
		wantErr string
	}{
		{"no VERSION", func(t *testing.T, dir string) string {
			os.Remove(filepath.Join(dir, "VERSION"))
			return dir
		}, "not a QEMU source tree: no VERSION file"},
		{"no qapi dir", func(t *testing.T, dir string) string {
			os.RemoveAll(filepath.Join(dir, "qapi"))
			return dir
		}, "no qapi/ directory"},
		{"no qga schema", func(t *testing.T, dir string) string {
			os.Remove(filepath.Join(dir, "qga", "qapi-schema.json"))
			return dir
		}, "missing qga/qapi-schema.json"},
		{"no root schema", func(t *testing.T, dir string) string {
			os.Remove(filepath.Join(dir, "qapi", "qapi-schema.json"))
			return dir
		}, "missing qapi/qapi-schema.json"},
		{"bad VERSION", func(t *testing.T, dir string) string {
			os.WriteFile(filepath.Join(dir, "VERSION"), []byte("banana\n"), 0o644)
			return dir
		}, `VERSION holds "banana"`},
		{"missing path", func(t *testing.T, dir string) string {
			return filepath.Join(dir, "nope")
		}, "no such file"},
		{"not a tarball", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "x.tar.gz")
			os.WriteFile(p, []byte("hello, this is not a tar file at all\n"), 0o644)
			return p
		}, "not a tarball"},
		{"corrupt gzip", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "x.tar.gz")
			os.WriteFile(p, []byte{0x1f, 0x8b, 0, 1, 2, 3}, 0o644)
			return p
		}, "x.tar.gz"},
		{"tarball without a tree", func(t *testing.T, dir string) string {
			src := t.TempDir()
			os.WriteFile(filepath.Join(src, "README"), []byte("hi"), 0o644)
			p := filepath.Join(dir, "x.tar.gz")
			tarGz(t, src, "other/", p)
			return p
		}, "missing VERSION, qapi/qapi-schema.json, qga/qapi-schema.json"},
		{"tarball with two trees", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "two.tar.gz")
			f, _ := os.Create(p)
			zw := gzip.NewWriter(f)
			tw := tar.NewWriter(zw)
			for _, top := range []string{"a/", "b/"} {
				for name, data := range map[string]string{"VERSION": "1.0.0", "qapi/qapi-schema.json": "{}", "qga/qapi-schema.json": "{}"} {
					tw.WriteHeader(&tar.Header{Name: top + name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg})
					tw.Write([]byte(data))
				}
			}
			tw.Close()
			zw.Close()
			f.Close()
			return p
		}, "more than one QEMU tree"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := fakeTree(t, "10.0.13")
			_, err := Read(tt.setup(t, dir))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Read: err = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestInstall(t *testing.T) {
	dir := t.TempDir()
	old := map[string]string{
		"README.md":             "keep me\n",
		"schema.go":             "package schema\n",
		"VERSION":               "10.2.2\n",
		"COPYING":               "GNU GENERAL PUBLIC LICENSE\n",
		"qapi/qapi-schema.json": "{ 'include': 'common.json' }\n",
		"qapi/common.json":      "{ 'enum': 'OnOff', 'data': ['on', 'off', 'auto'] }\n",
		"qapi/stale.json":       "{ 'command': 'gone' }\n",
		"qga/qapi-schema.json":  "{ 'command': 'guest-ping' }\n",
	}
	for name, data := range old {
		p := filepath.Join(dir, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ch, err := Install(wantRelease("10.0.13"), dir)
	if err != nil {
		t.Fatal(err)
	}
	wantCh := &Changes{
		OldVersion: "10.2.2",
		NewVersion: "10.0.13",
		Added:      []string{"qapi/new.json"},
		Removed:    []string{"qapi/stale.json"},
		Modified:   []string{"qapi/common.json"},
	}
	if diff := cmp.Diff(wantCh, ch); diff != "" {
		t.Errorf("Changes mismatch (-want +got):\n%s", diff)
	}
	got := map[string]string{}
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && info.Mode().IsRegular() {
			rel, _ := filepath.Rel(dir, p)
			b, _ := os.ReadFile(p)
			got[filepath.ToSlash(rel)] = string(b)
		}
		return nil
	})
	want := map[string]string{
		"README.md":             "keep me\n",
		"schema.go":             "package schema\n",
		"VERSION":               "10.0.13\n",
		"COPYING":               "GNU GENERAL PUBLIC LICENSE\n",
		"qapi/qapi-schema.json": "{ 'include': 'common.json' }\n",
		"qapi/common.json":      "{ 'enum': 'OnOff', 'data': ['on', 'off'] }\n",
		"qapi/new.json":         "{ 'command': 'x-new' }\n",
		"qga/qapi-schema.json":  "{ 'command': 'guest-ping' }\n",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("schema dir after Install (-want +got):\n%s", diff)
	}

	// Installing the same release again changes nothing.
	ch, err = Install(wantRelease("10.0.13"), dir)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&Changes{OldVersion: "10.0.13", NewVersion: "10.0.13"}, ch); diff != "" {
		t.Errorf("second Install (-want +got):\n%s", diff)
	}
}

func TestInstallRefusesIncompleteRelease(t *testing.T) {
	dir := t.TempDir()
	r := wantRelease("10.0.13")
	r.QGA = nil
	if _, err := Install(r, dir); err == nil {
		t.Fatal("Install of a release without a QGA schema succeeded")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("Install wrote %d entries before failing", len(ents))
	}
	if _, err := Install(wantRelease("10.0.13"), filepath.Join(dir, "missing")); err == nil {
		t.Fatal("Install into a missing directory succeeded")
	}
}

func TestSplitMember(t *testing.T) {
	tests := []struct {
		in          string
		prefix, rel string
		ok          bool
	}{
		{"qemu-10.2.2/qapi/block.json", "qemu-10.2.2/", "qapi/block.json", true},
		{"./qapi/block.json", "", "qapi/block.json", true},
		{"qemu-10.2.2/VERSION", "qemu-10.2.2/", "VERSION", true},
		{"qemu-10.2.2/qga/qapi-schema.json", "qemu-10.2.2/", "qga/qapi-schema.json", true},
		{"qemu-10.2.2/storage-daemon/qapi/qapi-schema.json", "", "", false},
		{"storage-daemon/qapi/qapi-schema.json", "storage-daemon/", "qapi/qapi-schema.json", true},
		{"qemu-10.2.2/qapi/meson.build", "", "", false},
		{"qemu-10.2.2/qapi/sub/x.json", "", "", false},
		{"/etc/passwd", "", "", false},
		{"../qapi/x.json", "", "", false},
		{"qemu/../../qapi/x.json", "", "", false},
	}
	for _, tt := range tests {
		p, r, ok := splitMember(tt.in)
		if p != tt.prefix || r != tt.rel || ok != tt.ok {
			t.Errorf("splitMember(%q) = %q, %q, %v; want %q, %q, %v", tt.in, p, r, ok, tt.prefix, tt.rel, tt.ok)
		}
	}
}
