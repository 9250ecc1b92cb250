package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/qapi-go/qapi/generator"
	"github.com/qapi-go/qapi/parser"
	"github.com/qapi-go/qapi/schema"
)

const generateUsage = `usage: qapi-gen generate [-package NAME] [-out DIR] [-protocol qmp|qga]
                        [-omit-prose] [-strict] [-also [RELEASE=]OLDER_SCHEMA]...
                        [-release RELEASE] [-commands LIST] [-events LIST]
                        [-omit-deprecated] [-omit-unstable] SCHEMA

Generate reads a QAPI schema and writes Go bindings for it into DIR: one
file per schema module plus qapi.go (client, tables, helpers). SCHEMA is
the path of a schema's root file (such as qapi/qapi-schema.json of a QEMU
tree), or "qmp" or "qga" for the schema vendored in package schema.

With -also, the bindings span a range of QEMU releases: SCHEMA is the
newest (its docs are the docs) and each -also names an older release's
root schema file. One Go API results that works with every release of
the range: a member is a plain value only if every release that has its
owner requires it, whatever some releases lack says so in its doc and in
the Commands and Events tables, renamed types keep their old names as
deprecated aliases, and DIR/VERSIONS.md lists the range and every place
whose wire type changed (see "Releases" in package generator).

  -also [RELEASE=]FILE  an older release's schema (repeatable, any order;
                 always read leniently). RELEASE, such as 7.2, defaults to
                 the VERSION file of FILE's QEMU tree (beside FILE or one
                 directory up)
  -release RELEASE  the release SCHEMA comes from (default: its VERSION
                 file, or the vendored release for "qmp" and "qga")

Files in DIR that start with the generated-file header and that this run
does not produce are removed; other files (hand-written ones) are kept,
and what they declare in the package is reserved: a generated name that
takes one is an error naming both.

  -out DIR       output directory (default ".")
  -package NAME  Go package name (default: the base name of DIR)
  -protocol P    qmp or qga: the connection layer to generate (default:
                 told from the whole schema; qga when it has
                 guest-sync-delimited)
  -omit-prose    leave QEMU's documentation text out: doc comments keep
                 only names, types, Since, deprecated/unstable and build
                 conditions (see "Licensing" in README.md)
  -strict        check the schema as QEMU 10.2.2 does: doc-comment and
                 naming problems are errors (by default they are warnings,
                 printed on standard error, so that every release reads)

Subsets and policy (all off by default: the whole schema is generated):

  -commands LIST     generate only these commands (wire names, such as
                     query-status,blockdev-add) and the types they reach;
                     LIST is comma-separated, or @FILE with one name per
                     line ('#' starts a comment line), or * for all
  -events LIST       likewise for events (SHUTDOWN,STOP). When only one of
                     -commands and -events is given, none of the other kind
                     is generated
  -omit-deprecated   leave out commands, events, optional members and enum
                     values (with their union branches) that have the
                     'deprecated' feature; required members are kept
  -omit-unstable     likewise for the 'unstable' feature

An unknown name is an error that lists close matches. See the "Subsets
and policy" section of package generator for the exact rules.

Use from go generate in another module: add the generator as a tool,

  go get -tool github.com/qapi-go/qapi/cmd/qapi-gen

then put one directive in a Go file of the package,

  //go:generate go tool qapi-gen generate -package qmp -out . ../qemu/qapi/qapi-schema.json

and run "go generate ./...". The output imports only
github.com/qapi-go/qapi/runtime and the standard library; the package
it makes, full or subset, has the connection layer (Conn, Dial, New,
Accept; for QMP Subscribe, Watch and CallAndWait) and re-exports the
runtime's errors and options.
`

func init() {
	register(&subcommand{
		name:    "generate",
		summary: "generate Go bindings for a schema",
		usage:   generateUsage,
		run:     runGenerate,
	})
}

func runGenerate(args []string, stdout, stderr io.Writer) int {
	fset := flag.NewFlagSet("generate", flag.ContinueOnError)
	fset.SetOutput(io.Discard)
	pkg := fset.String("package", "", "")
	out := fset.String("out", ".", "")
	strict := fset.Bool("strict", false, "")
	protocol := fset.String("protocol", "", "")
	omitProse := fset.Bool("omit-prose", false, "")
	var also alsoFlag
	fset.Var(&also, "also", "")
	release := fset.String("release", "", "")
	var selFlags selectionFlags
	selFlags.register(fset)
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "qapi-gen generate: "+format+"\n", a...)
		fmt.Fprint(stderr, synopsis(generateUsage))
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintln(stderr, "qapi-gen generate: "+err.Error())
		return 1
	}
	if code, stop := parseArgs("generate", fset, args, "SCHEMA", stdout, stderr); stop {
		return code
	}
	if *out == "" {
		return usageErr("-out is empty")
	}
	sel, err := selFlags.selection()
	if err != nil {
		if errors.Is(err, errListFile) {
			return fail(err)
		}
		return usageErr("%v", err)
	}
	opts := parser.Options{Mode: parser.Lenient}
	if *strict {
		opts.Mode = parser.Strict
	}
	if *release != "" && !validRelease(*release) {
		return usageErr("-release %q is not a version such as 10.2", *release)
	}
	file := fset.Arg(0)
	var source, newestFile string
	newest := *release
	switch file {
	case "qmp", "qga":
		root := schema.QMPRoot
		if file == "qga" {
			root = schema.QGARoot
		}
		opts.FS = schema.Files
		source = "QEMU " + schema.Version() + " " + root
		file = root
		if newest == "" {
			newest = schema.Version()
		}
	default:
		st, err := os.Stat(file)
		if err != nil {
			return fail(fmt.Errorf("schema: %w", err))
		}
		if st.IsDir() {
			return fail(fmt.Errorf("schema %s is a directory, want a .json file", file))
		}
		source = filepath.ToSlash(file)
		newestFile = file
	}
	if *pkg == "" {
		abs, err := filepath.Abs(*out)
		if err != nil {
			return usageErr("%v", err)
		}
		*pkg = filepath.Base(abs)
		if !validPackage(*pkg) {
			return usageErr("cannot use directory name %q as package name: pass -package", *pkg)
		}
	} else if !validPackage(*pkg) {
		return usageErr("invalid package name %q", *pkg)
	}
	if st, err := os.Stat(*out); err == nil && !st.IsDir() {
		return usageErr("-out %s is not a directory", *out)
	}
	proto := generator.DetectProtocol
	if *protocol != "" {
		if proto, err = generator.ParseProtocol(*protocol); err != nil {
			return usageErr("-protocol: %v", err)
		}
	}
	beside, err := handWritten(*out, *pkg)
	if err != nil {
		fmt.Fprintln(stderr, "qapi-gen generate: "+err.Error())
		return 1
	}

	s, err := parser.Parse(file, opts)
	if err != nil {
		fmt.Fprintln(stderr, err.Error())
		return 1
	}
	for _, w := range s.Warnings {
		fmt.Fprintln(stderr, "warning: "+w.Error())
	}
	var rng *generator.Range
	if len(also) > 0 {
		if newest == "" {
			if newest, err = releaseOf(newestFile); err != nil {
				fmt.Fprintln(stderr, "qapi-gen generate: "+err.Error()+" (or pass -release)")
				return 1
			}
		}
		if rng, err = mergeReleases(s, generator.ShortRelease(newest), newestFile, also, stderr); err != nil {
			fmt.Fprintln(stderr, "qapi-gen generate: "+err.Error())
			return 1
		}
		s = rng.Schema
		source += " with QEMU " + strings.Join(rng.Releases[:len(rng.Releases)-1], ", ")
	}
	if proto == generator.DetectProtocol {
		proto = generator.Detect(s) // before subsetting, which may drop the telling command
	}
	if !sel.IsZero() {
		if s, err = generator.Subset(s, sel); err != nil {
			fmt.Fprintln(stderr, "qapi-gen generate: "+err.Error())
			return 1
		}
	}
	files, err := generator.Generate(s, generator.Config{Package: *pkg, Source: source, Protocol: proto, HandWritten: beside, OmitProse: *omitProse, Range: rng})
	if err != nil {
		fmt.Fprintln(stderr, "qapi-gen generate: "+err.Error())
		return 1
	}
	if err := writeFiles(*out, files); err != nil {
		fmt.Fprintln(stderr, "qapi-gen generate: "+err.Error())
		return 1
	}
	return 0
}

func validPackage(s string) bool {
	if s == "" || s == "_" || s == "main" || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// writeFiles writes files into dir (unchanged files are left alone) and
// removes the generated files of earlier runs that files no longer has.
func writeFiles(dir string, files []generator.File) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	keep := map[string]bool{}
	for _, f := range files {
		keep[f.Name] = true
		p := filepath.Join(dir, f.Name)
		if old, err := os.ReadFile(p); err == nil {
			if bytes.Equal(old, f.Content) {
				continue
			}
			if !generator.IsGenerated(old) {
				return fmt.Errorf("%s exists and was not generated by qapi-gen; not overwriting it", p)
			}
		} else if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		if err := os.WriteFile(p, f.Content, 0o644); err != nil {
			return err
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".go") && e.Name() != generator.VersionsFile || keep[e.Name()] {
			continue
		}
		p := filepath.Join(dir, e.Name())
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if generator.IsGenerated(src) {
			if err := os.Remove(p); err != nil {
				return err
			}
		}
	}
	return nil
}
