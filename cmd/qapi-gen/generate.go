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
                        [-omit-deprecated] [-omit-unstable] [-import PATH]
                        [-server-out DIR] [-server-package NAME] [-no-server]
                        SCHEMA

Generate reads a QAPI schema and writes Go bindings for it into DIR: one
file per schema module plus qapi.go (client, tables, helpers). SCHEMA is
the path of a schema's root file (such as qapi/qapi-schema.json of a QEMU
tree), or "qmp" or "qga" for the schema vendored in package schema.

It also writes the server side of the bindings (a Server interface with
one method per command, UnimplementedServer, Register, EmitEvent) as a
package of its own, by default DIR/PACKAGEserver (DIR/qmpserver for
package qmp), which imports the bindings: programs that only call QEMU
never compile it.

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

The server package:

  -import PATH          the import path of the bindings in DIR, which the
                        server package imports (default: the module path
                        of the go.mod in DIR or above, joined with DIR's
                        path below it)
  -server-out DIR       where to write the server package (default:
                        DIR/PACKAGEserver); hand-written files there are
                        kept and reserve their names, as in DIR
  -server-package NAME  its Go package name (default: the base name of
                        its directory)
  -no-server            write no server package

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
github.com/qapi-go/qapi/runtime (and its codec and server packages) and
the standard library; the package it makes, full or subset, has the
connection layer (Conn, Dial, New, Accept; for QMP Subscribe, Watch and
CallAndWait) and re-exports the runtime's errors and options, and the
server package beside it (./qmpserver here) serves what it has.
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
	importPath := fset.String("import", "", "")
	serverOut := fset.String("server-out", "", "")
	serverPkg := fset.String("server-package", "", "")
	noServer := fset.Bool("no-server", false, "")
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
	srv, code := serverFlags(fset, *out, *pkg, *importPath, *serverOut, *serverPkg, *noServer, usageErr)
	if code >= 0 {
		return code
	}
	beside, err := handWritten(*out, *pkg)
	if err != nil {
		fmt.Fprintln(stderr, "qapi-gen generate: "+err.Error())
		return 1
	}
	if srv != nil {
		if srv.HandWritten, err = handWritten(srv.dir, srv.Package); err != nil {
			fmt.Fprintln(stderr, "qapi-gen generate: "+err.Error())
			return 1
		}
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
	cfg := generator.Config{Package: *pkg, Source: source, Protocol: proto, HandWritten: beside, OmitProse: *omitProse, Range: rng}
	files, err := generator.Generate(s, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "qapi-gen generate: "+err.Error())
		return 1
	}
	outputs := []output{{*out, files}}
	if srv != nil {
		if srv.BindingsImport == "" {
			if srv.BindingsImport, err = importPathOf(*out); err != nil {
				return fail(fmt.Errorf("%v: pass -import PATH, or -no-server", err))
			}
		}
		files, err := generator.GenerateServer(s, cfg, srv.ServerConfig)
		if err != nil {
			fmt.Fprintln(stderr, "qapi-gen generate: "+err.Error())
			return 1
		}
		outputs = append(outputs, output{srv.dir, files})
	}
	// Nothing is written unless every file can be.
	for _, o := range outputs {
		if err := checkOverwrite(o.dir, o.files); err != nil {
			fmt.Fprintln(stderr, "qapi-gen generate: "+err.Error())
			return 1
		}
	}
	for _, o := range outputs {
		if err := writeFiles(o.dir, o.files); err != nil {
			fmt.Fprintln(stderr, "qapi-gen generate: "+err.Error())
			return 1
		}
	}
	return 0
}

// output is the files of one generated package and their directory.
type output struct {
	dir   string
	files []generator.File
}

// serverOutput is where and how the server package is generated.
type serverOutput struct {
	generator.ServerConfig
	dir string
}

// serverFlags reads the server package's flags: nil when -no-server
// turns it off. It returns the exit code of a usage error (2) when the
// command must stop, -1 otherwise. BindingsImport is left empty when
// -import is not given: the caller takes it from go.mod.
func serverFlags(fset *flag.FlagSet, out, pkg, importPath, dir, name string, off bool,
	usageErr func(string, ...any) int) (*serverOutput, int) {
	if off {
		for _, f := range []string{"import", "server-out", "server-package"} {
			if isSet(fset, f) {
				return nil, usageErr("-%s has no effect with -no-server", f)
			}
		}
		return nil, -1
	}
	if isSet(fset, "server-out") && dir == "" {
		return nil, usageErr("-server-out is empty")
	}
	if dir == "" {
		dir = filepath.Join(out, pkg+"server")
	}
	same, err := sameDir(dir, out)
	if err != nil {
		return nil, usageErr("%v", err)
	}
	if same {
		return nil, usageErr("-server-out %s is the bindings' directory: the server package needs one of its own", dir)
	}
	if st, err := os.Stat(dir); err == nil && !st.IsDir() {
		return nil, usageErr("-server-out %s is not a directory", dir)
	}
	if name == "" {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return nil, usageErr("%v", err)
		}
		name = filepath.Base(abs)
		if !validPackage(name) {
			return nil, usageErr("cannot use directory name %q as the server's package name: pass -server-package", name)
		}
	} else if !validPackage(name) {
		return nil, usageErr("invalid server package name %q", name)
	}
	if isSet(fset, "import") {
		if err := checkImportPath(importPath); err != nil {
			return nil, usageErr("-import: %v", err)
		}
	}
	return &serverOutput{ServerConfig: generator.ServerConfig{Package: name, BindingsImport: importPath}, dir: dir}, -1
}

// isSet reports whether the command line set flag name.
func isSet(fset *flag.FlagSet, name string) bool {
	set := false
	fset.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// sameDir reports whether a and b are the same directory path.
func sameDir(a, b string) (bool, error) {
	aa, err := filepath.Abs(a)
	if err != nil {
		return false, err
	}
	bb, err := filepath.Abs(b)
	if err != nil {
		return false, err
	}
	return aa == bb, nil
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

// checkOverwrite fails when one of files would overwrite a file in dir
// that qapi-gen did not generate.
func checkOverwrite(dir string, files []generator.File) error {
	for _, f := range files {
		p := filepath.Join(dir, f.Name)
		old, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		if !generator.IsGenerated(old) {
			return fmt.Errorf("%s exists and was not generated by qapi-gen; not overwriting it", p)
		}
	}
	return nil
}

// writeFiles writes files into dir (unchanged files are left alone) and
// removes the generated files of earlier runs that files no longer has.
// Hand-written files are never overwritten (see checkOverwrite).
func writeFiles(dir string, files []generator.File) error {
	if err := checkOverwrite(dir, files); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	keep := map[string]bool{}
	for _, f := range files {
		keep[f.Name] = true
		p := filepath.Join(dir, f.Name)
		if old, err := os.ReadFile(p); err == nil && bytes.Equal(old, f.Content) {
			continue
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
