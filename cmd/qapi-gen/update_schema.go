package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/qapi-go/qapi/internal/qemutree"
	"github.com/qapi-go/qapi/parser"
)

func init() {
	register(&subcommand{
		name:    "update-schema",
		summary: "vendor another QEMU release's schema files",
		usage: `usage: qapi-gen update-schema [-schema-dir DIR] PATH

Replaces the vendored schema in DIR (default: schema) with the schema of
the QEMU release at PATH, a QEMU source tree or a release tarball (.tar.xz,
.tar.bz2, .tar.gz or .tar; .tar.xz needs the xz program):

  DIR/qapi/*.json            <- PATH/qapi/*.json (stale files are removed)
  DIR/qga/qapi-schema.json   <- PATH/qga/qapi-schema.json
  DIR/VERSION                <- PATH/VERSION (the release number)
  DIR/COPYING                <- PATH/COPYING, when PATH has one

Other files in DIR (README.md, schema.go) are kept. Then run
"make generate" and review the diff; see docs/updating-qemu.md.
`,
		run: runUpdateSchema,
	})
}

func runUpdateSchema(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("update-schema", flag.ContinueOnError)
	dir := fl.String("schema-dir", "schema", "vendored schema `directory` to update")
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
	ch, err := qemutree.Install(rel, *dir)
	if err != nil {
		fmt.Fprintf(stderr, "qapi-gen update-schema: %v\n", err)
		return 1
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
