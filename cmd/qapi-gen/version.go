package main

import (
	"fmt"
	"io"
	"runtime/debug"

	"github.com/qapi-go/qapi/generator"
	"github.com/qapi-go/qapi/schema"
)

const versionUsage = `usage: qapi-gen version

Version prints the generator's version (the one generated files name in
their header), the version of the module it was built from, as Go
records it, and the QEMU release of the schema vendored in it (what the
schema arguments "qmp" and "qga" read).
`

func init() {
	register(&subcommand{
		name:    "version",
		summary: "print the generator's version",
		usage:   versionUsage,
		run:     runVersion,
	})
}

func runVersion(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		if args[0] == "-h" || args[0] == "-help" || args[0] == "--help" {
			fmt.Fprint(stdout, versionUsage)
			return 0
		}
		fmt.Fprintf(stderr, "qapi-gen version: unexpected argument %q\n%s", args[0], versionUsage[:len("usage: qapi-gen version\n")])
		return 2
	}
	fmt.Fprintf(stdout, "qapi-gen %s\n", generator.Version)
	if bi, ok := debug.ReadBuildInfo(); ok {
		mod := bi.Main
		for _, d := range bi.Deps {
			if d.Path == "github.com/qapi-go/qapi" {
				mod = *d // built as a tool of another module
			}
		}
		if mod.Path != "" {
			v := mod.Version
			if mod.Replace != nil {
				v += " => " + mod.Replace.Path
				if mod.Replace.Version != "" {
					v += " " + mod.Replace.Version
				}
			}
			fmt.Fprintf(stdout, "module %s %s\n", mod.Path, v)
		}
		fmt.Fprintf(stdout, "built with %s\n", bi.GoVersion)
	}
	fmt.Fprintf(stdout, "vendored schema: QEMU %s\n", schema.Version())
	return 0
}
