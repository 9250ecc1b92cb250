package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/qapi-go/qapi/internal/qemutree"
	"github.com/qapi-go/qapi/parser"
)

func init() {
	register(&subcommand{
		name:    "update-schema",
		summary: "vendor another QEMU release's schema files",
		usage: `usage: qapi-gen update-schema [-schema-dir DIR] [-older OLDER] PATH

Replaces the vendored schema in DIR (default: schema) with the schema of
the QEMU release at PATH, a QEMU source tree or a release tarball (.tar.xz,
.tar.bz2, .tar.gz or .tar; .tar.xz needs the xz program):

  DIR/qapi/*.json            <- PATH/qapi/*.json (stale files are removed)
  DIR/qga/qapi-schema.json   <- PATH/qga/qapi-schema.json
  DIR/VERSION                <- PATH/VERSION (the release number)
  DIR/COPYING                <- PATH/COPYING, when PATH has one

Other files in DIR (README.md, schema.go) are kept.

With -older, the release at PATH joins the range of releases the
bindings span at the top: it must be newer than the one in DIR, whose
schema first moves to OLDER/qemu-VERSION (VERSION, qapi/*.json,
qga/qapi-schema.json), where "make generate" reads the older releases.

Then run "make generate" and review the diff; see docs/updating-qemu.md.
`,
		run: runUpdateSchema,
	})
}

func runUpdateSchema(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("update-schema", flag.ContinueOnError)
	dir := fl.String("schema-dir", "schema", "vendored schema `directory` to update")
	older := fl.String("older", "", "`directory` of older releases to move the vendored one into")
	if code, stop := parseArgs("update-schema", fl, args, "PATH", stdout, stderr); stop {
		return code
	}
	rel, err := qemutree.Read(fl.Arg(0))
	if err != nil {
		fmt.Fprintf(stderr, "qapi-gen update-schema: %v\n", err)
		return 1
	}
	if err := checkRelease(rel); err != nil {
		fmt.Fprintf(stderr, "qapi-gen update-schema: QEMU %s's schema does not parse; nothing changed:\n%v\n", rel.Version, err)
		return 1
	}
	var moved string
	if *older != "" {
		if moved, err = keepOlder(*dir, *older, rel.Version); err != nil {
			fmt.Fprintf(stderr, "qapi-gen update-schema: %v; nothing changed\n", err)
			return 1
		}
	}
	ch, err := qemutree.Install(rel, *dir)
	if err != nil {
		if moved != "" {
			os.RemoveAll(moved)
		}
		fmt.Fprintf(stderr, "qapi-gen update-schema: %v\n", err)
		return 1
	}
	if moved != "" {
		fmt.Fprintf(stdout, "%s: QEMU %s kept as an older release of the range\n", moved, ch.OldVersion)
	}
	old := ch.OldVersion
	if old == "" {
		old = "(none)"
	}
	fmt.Fprintf(stdout, "%s: QEMU %s -> %s: %d added, %d removed, %d modified\n",
		*dir, old, ch.NewVersion, len(ch.Added), len(ch.Removed), len(ch.Modified))
	for _, l := range []struct {
		mark  string
		names []string
	}{{"A", ch.Added}, {"D", ch.Removed}, {"M", ch.Modified}} {
		for _, n := range l.names {
			fmt.Fprintf(stdout, "  %s %s\n", l.mark, n)
		}
	}
	if ch.CopyingUpdated {
		fmt.Fprintln(stdout, "  M COPYING")
	}
	fmt.Fprintln(stdout, "next: make generate, then review the diff (docs/updating-qemu.md)")
	return 0
}

// checkRelease parses both schemas of rel in lenient mode (what
// generation uses) before anything in the schema directory is replaced,
// so that a release the front end cannot read is refused up front.
func checkRelease(rel *qemutree.Release) error {
	fsys := rel.FS()
	var errs []error
	for _, root := range []string{"qapi/qapi-schema.json", "qga/qapi-schema.json"} {
		if _, err := parser.Parse(root, parser.Options{Mode: parser.Lenient, FS: fsys}); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// keepOlder copies the release vendored in dir into older/qemu-VERSION,
// so that it stays in the range when newVersion replaces it, and returns
// that directory. newVersion must be newer; the directory must not exist.
func keepOlder(dir, older, newVersion string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, "VERSION"))
	if err != nil {
		return "", fmt.Errorf("-older: %v", err)
	}
	cur := strings.TrimSpace(string(b))
	if !validRelease(cur) {
		return "", fmt.Errorf("-older: %s holds %q, not a QEMU version", filepath.Join(dir, "VERSION"), cur)
	}
	if !newerRelease(newVersion, cur) {
		return "", fmt.Errorf("-older: QEMU %s is not newer than the vendored %s: a release joins the range at the top (add an older one to %s by hand)", newVersion, cur, older)
	}
	dst := filepath.Join(older, "qemu-"+cur)
	if _, err := os.Stat(dst); err == nil {
		return "", fmt.Errorf("-older: %s exists already", dst)
	}
	var files []string
	for _, pattern := range []string{"qapi/*.json", "qga/qapi-schema.json"} {
		m, err := filepath.Glob(filepath.Join(dir, filepath.FromSlash(pattern)))
		if err != nil {
			return "", err
		}
		files = append(files, m...)
	}
	files = append(files, filepath.Join(dir, "VERSION"))
	for _, f := range files {
		rel, _ := filepath.Rel(dir, f)
		b, err := os.ReadFile(f)
		if err == nil {
			err = os.MkdirAll(filepath.Dir(filepath.Join(dst, rel)), 0o755)
		}
		if err == nil {
			err = os.WriteFile(filepath.Join(dst, rel), b, 0o644)
		}
		if err != nil {
			os.RemoveAll(dst)
			return "", fmt.Errorf("-older: %v", err)
		}
	}
	return dst, nil
}

// newerRelease reports whether version a is newer than b.
func newerRelease(a, b string) bool {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) || i < len(pb); i++ {
		var x, y int
		if i < len(pa) {
			x, _ = strconv.Atoi(pa[i])
		}
		if i < len(pb) {
			y, _ = strconv.Atoi(pb[i])
		}
		if x != y {
			return x > y
		}
	}
	return false
}
