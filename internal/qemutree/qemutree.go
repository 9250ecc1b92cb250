// Package qemutree reads the QAPI schema files of one QEMU release out of
// a QEMU source tree or a release tarball, and installs them into a
// vendored schema directory laid out like this repository's schema/:
//
//	DIR/qapi/*.json           the QMP schema (root qapi/qapi-schema.json)
//	DIR/qga/qapi-schema.json  the guest agent schema
//	DIR/VERSION               the release number ("10.2.2")
//	DIR/COPYING               QEMU's copy of the GPL v2 (when the source has one)
//
// Everything else in DIR (README.md, the embedding Go package) is left
// alone. It backs "qapi-gen update-schema" and "make update-schema".
package qemutree

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing/fstest"
)

// Release is the schema of one QEMU release, held in memory.
type Release struct {
	// Version is the release number from the source's VERSION file.
	Version string
	// QAPI maps the base names of qapi/*.json ("block-core.json") to
	// their contents.
	QAPI map[string][]byte
	// QGA is qga/qapi-schema.json.
	QGA []byte
	// Copying is the top-level COPYING file, nil when the source has none.
	Copying []byte
	// Source is the path the release was read from.
	Source string
}

// maxFile bounds the size of one file read from a tree or tarball: the
// largest schema file (block-core.json) is about 200 KB, so anything
// beyond this is not a schema file and is refused rather than held in
// memory.
const maxFile = 16 << 20

var versionRE = regexp.MustCompile(`^[0-9]+\.[0-9]+(\.[0-9]+)?([.-][0-9A-Za-z.+~-]+)?$`)

// Read reads a release from path: a directory (a QEMU source tree) or a
// tarball (.tar, .tar.gz/.tgz, .tar.bz2/.tbz2, .tar.xz/.txz; the
// compression is recognised from the file's first bytes, not its name).
func Read(path string) (*Release, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return ReadTree(path)
	}
	return ReadTarball(path)
}

// ReadTree reads a release from a QEMU source tree.
func ReadTree(dir string) (*Release, error) {
	fsys := os.DirFS(dir)
	r := &Release{QAPI: map[string][]byte{}, Source: dir}
	v, err := readSmall(fsys, "VERSION")
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s: not a QEMU source tree: no VERSION file", dir)
		}
		return nil, err
	}
	r.Version = string(v)
	ents, err := fs.ReadDir(fsys, "qapi")
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s: not a QEMU source tree: no qapi/ directory", dir)
		}
		return nil, err
	}
	for _, e := range ents {
		if !e.Type().IsRegular() || !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		b, err := readSmall(fsys, "qapi/"+e.Name())
		if err != nil {
			return nil, err
		}
		r.QAPI[e.Name()] = b
	}
	if r.QGA, err = readSmall(fsys, "qga/qapi-schema.json"); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if r.Copying, err = readSmall(fsys, "COPYING"); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return r, r.check()
}

func readSmall(fsys fs.FS, name string) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readLimited(f, name)
}

func readLimited(r io.Reader, name string) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxFile+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(b) > maxFile {
		return nil, fmt.Errorf("%s: larger than %d bytes; not a schema file", name, maxFile)
	}
	return b, nil
}

// check validates a release read from a tree or tarball.
func (r *Release) check() error {
	r.Version = strings.TrimSpace(r.Version)
	var missing []string
	if r.Version == "" {
		missing = append(missing, "VERSION")
	}
	if r.QAPI["qapi-schema.json"] == nil {
		missing = append(missing, "qapi/qapi-schema.json")
	}
	if r.QGA == nil {
		missing = append(missing, "qga/qapi-schema.json")
	}
	if len(missing) > 0 {
		return fmt.Errorf("%s: not a QEMU source tree or release tarball: missing %s", r.Source, strings.Join(missing, ", "))
	}
	if !versionRE.MatchString(r.Version) {
		return fmt.Errorf("%s: VERSION holds %q, not a QEMU release number", r.Source, r.Version)
	}
	return nil
}

// ReadTarball reads a release from a tarball, streaming its members: only
// the schema files, VERSION and COPYING are kept in memory.
//
// The tarball's members are expected under one top-level directory
// ("qemu-10.2.2/qapi/...", as QEMU's and Debian's release tarballs are
// made) or at the top level ("qapi/...", "./qapi/...").
func ReadTarball(file string) (r *Release, err error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	br := bufio.NewReader(f)
	magic, _ := br.Peek(6)

	var in io.Reader = br
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		defer zr.Close()
		in = zr
	case bytes.HasPrefix(magic, []byte("BZh")):
		in = bzip2.NewReader(br)
	case bytes.Equal(magic, []byte{0xfd, '7', 'z', 'X', 'Z', 0}):
		// The standard library has gzip and bzip2 but no xz, and QEMU
		// releases ship as .tar.xz. Rather than depend on a third-party
		// xz decoder for this one maintainer task, decompress with the
		// system's xz (xz-utils; also what "tar -J" runs) and stream its
		// output through archive/tar, so nothing is extracted to disk.
		xr, wait, err := xzReader(br)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		defer func() {
			if werr := wait(); werr != nil && err == nil {
				err = fmt.Errorf("%s: %w", file, werr)
			}
		}()
		in = xr
	}
	r, err = readTar(in, file)
	return r, err
}

// xzReader starts "xz -dc" reading from in and returns its output and a
// function that waits for it to exit (draining unread output first).
func xzReader(in io.Reader) (io.Reader, func() error, error) {
	xz, err := exec.LookPath("xz")
	if err != nil {
		return nil, nil, errors.New("an .xz tarball needs the xz program (Debian: apt-get install xz-utils); or unpack it and pass the directory")
	}
	cmd := exec.Command(xz, "-dc")
	cmd.Stdin = in
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, err
	}
	wait := func() error {
		// Drain what the tar reader left (padding, or everything when it
		// stopped on an error) so that xz is not killed by SIGPIPE.
		_, _ = io.Copy(io.Discard, out)
		if err := cmd.Wait(); err != nil {
			if msg := strings.TrimSpace(stderr.String()); msg != "" {
				return fmt.Errorf("xz: %s", msg)
			}
			return fmt.Errorf("xz: %w", err)
		}
		return nil
	}
	return out, wait, nil
}

// readTar collects candidate releases keyed by their top-level prefix
// ("" or "qemu-10.2.2/") and picks the one that is a QEMU tree.
func readTar(in io.Reader, file string) (*Release, error) {
	tr := tar.NewReader(in)
	cands := map[string]*Release{}
	cand := func(prefix string) *Release {
		c := cands[prefix]
		if c == nil {
			c = &Release{QAPI: map[string][]byte{}, Source: file}
			cands[prefix] = c
		}
		return c
	}
	n := 0
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if n == 0 {
				return nil, fmt.Errorf("%s: not a tarball: %w", file, err)
			}
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		n++
		if h.Typeflag != tar.TypeReg {
			continue
		}
		prefix, rel, ok := splitMember(h.Name)
		if !ok {
			continue
		}
		var dst *[]byte
		switch {
		case rel == "VERSION":
			b, err := readLimited(tr, h.Name)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", file, err)
			}
			cand(prefix).Version = string(b)
			continue
		case rel == "COPYING":
			dst = &cand(prefix).Copying
		case rel == "qga/qapi-schema.json":
			dst = &cand(prefix).QGA
		case strings.HasPrefix(rel, "qapi/") && strings.HasSuffix(rel, ".json") && !strings.Contains(rel[len("qapi/"):], "/"):
			b, err := readLimited(tr, h.Name)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", file, err)
			}
			cand(prefix).QAPI[rel[len("qapi/"):]] = b
			continue
		default:
			continue
		}
		b, err := readLimited(tr, h.Name)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		*dst = b
	}
	var found []string
	for p, c := range cands {
		if c.Version != "" && c.QAPI["qapi-schema.json"] != nil {
			found = append(found, p)
		}
	}
	sort.Strings(found)
	switch len(found) {
	case 0:
		// Report what is missing from the most promising candidate.
		best := &Release{QAPI: map[string][]byte{}, Source: file}
		for _, c := range cands {
			if c.QAPI["qapi-schema.json"] != nil || (best.Version == "" && c.Version != "") {
				best = c
			}
		}
		if err := best.check(); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%s: not a QEMU release tarball", file)
	case 1:
		r := cands[found[0]]
		return r, r.check()
	default:
		return nil, fmt.Errorf("%s: holds more than one QEMU tree (%s)", file, strings.Join(found, ", "))
	}
}

// splitMember splits a tar member name into its top-level prefix and the
// path relative to it. Names are accepted at depth 0 ("qapi/x.json") and
// under one directory ("qemu-10.2.2/qapi/x.json"); the caller decides
// which prefix is the tree.
func splitMember(name string) (prefix, rel string, ok bool) {
	name = strings.TrimPrefix(name, "./")
	if name == "" || strings.HasPrefix(name, "/") {
		return "", "", false
	}
	name = path.Clean(name)
	if strings.HasPrefix(name, "../") || name == ".." {
		return "", "", false
	}
	if isTreeFile(name) {
		return "", name, true
	}
	i := strings.IndexByte(name, '/')
	if i < 0 {
		return "", "", false
	}
	prefix, rel = name[:i+1], name[i+1:]
	if isTreeFile(rel) {
		return prefix, rel, true
	}
	return "", "", false
}

func isTreeFile(rel string) bool {
	switch rel {
	case "VERSION", "COPYING", "qga/qapi-schema.json":
		return true
	}
	return strings.HasPrefix(rel, "qapi/") && strings.HasSuffix(rel, ".json") && strings.Count(rel, "/") == 1
}

// Changes describes what Install did to the schema directory.
type Changes struct {
	OldVersion, NewVersion string
	// Added, Removed and Modified list paths relative to the schema
	// directory ("qapi/uefi.json", "qga/qapi-schema.json"), sorted.
	Added, Removed, Modified []string
	// CopyingUpdated reports whether COPYING was rewritten.
	CopyingUpdated bool
}

// Install replaces the schema files under dir with r's: every
// dir/qapi/*.json (stale ones are removed), dir/qga/qapi-schema.json and
// dir/VERSION, and dir/COPYING when r has one. Other files in dir are not
// touched. dir must exist.
//
// Each file is written to a temporary file and renamed into place, so an
// interrupted run leaves every file either old or new; the diff shows
// which.
func Install(r *Release, dir string) (*Changes, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	st, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("%s: not a directory", dir)
	}
	ch := &Changes{NewVersion: r.Version}
	if old, err := os.ReadFile(filepath.Join(dir, "VERSION")); err == nil {
		ch.OldVersion = strings.TrimSpace(string(old))
	}
	for _, sub := range []string{"qapi", "qga"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return nil, err
		}
	}

	want := map[string][]byte{"qga/qapi-schema.json": r.QGA}
	for name, b := range r.QAPI {
		want["qapi/"+name] = b
	}
	old, err := filepath.Glob(filepath.Join(dir, "qapi", "*.json"))
	if err != nil {
		return nil, err
	}
	for _, p := range old {
		rel := "qapi/" + filepath.Base(p)
		if _, ok := want[rel]; !ok {
			if err := os.Remove(p); err != nil {
				return nil, err
			}
			ch.Removed = append(ch.Removed, rel)
		}
	}
	names := make([]string, 0, len(want))
	for n := range want {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, rel := range names {
		changed, existed, err := writeFile(filepath.Join(dir, filepath.FromSlash(rel)), want[rel])
		if err != nil {
			return nil, err
		}
		switch {
		case !existed:
			ch.Added = append(ch.Added, rel)
		case changed:
			ch.Modified = append(ch.Modified, rel)
		}
	}
	if r.Copying != nil {
		changed, _, err := writeFile(filepath.Join(dir, "COPYING"), r.Copying)
		if err != nil {
			return nil, err
		}
		ch.CopyingUpdated = changed
	}
	if _, _, err := writeFile(filepath.Join(dir, "VERSION"), []byte(r.Version+"\n")); err != nil {
		return nil, err
	}
	sort.Strings(ch.Removed)
	return ch, nil
}

// writeFile writes b to name through a temporary file and a rename,
// reporting whether the content changed and whether the file existed.
func writeFile(name string, b []byte) (changed, existed bool, err error) {
	old, rerr := os.ReadFile(name)
	existed = rerr == nil
	if existed && bytes.Equal(old, b) {
		return false, true, nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(name), ".tmp-"+filepath.Base(name)+"-*")
	if err != nil {
		return false, existed, err
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return false, existed, err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return false, existed, err
	}
	if err := tmp.Close(); err != nil {
		return false, existed, err
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		return false, existed, err
	}
	return true, existed, nil
}

// FS returns r's schema files as a file system laid out like the schema
// directory (qapi/*.json, qga/qapi-schema.json), e.g. to parse the
// release before installing it.
func (r *Release) FS() fs.FS {
	m := fstest.MapFS{"qga/qapi-schema.json": {Data: r.QGA, Mode: 0o444}}
	for n, b := range r.QAPI {
		m["qapi/"+n] = &fstest.MapFile{Data: b, Mode: 0o444}
	}
	return m
}
