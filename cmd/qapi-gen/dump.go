package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/qapi-go/qapi/parser"
)

const dumpUsage = `usage: qapi-gen dump [-lenient] FILE.json

Dump reads the QAPI schema FILE.json (and the files it includes), checks
it, and prints it as QEMU's tests/qapi-schema/test-qapi.py does: the
modules and definitions, then the doc comments. On a schema error it
prints nothing on standard output, prints the error on standard error
exactly as QEMU's front end does, and exits with status 1.

  -lenient  accept the doc comments and naming of older QEMU releases
            (problems become warnings, printed on standard error)
`

func init() {
	register(&subcommand{
		name:    "dump",
		summary: "print a checked schema as QEMU's test-qapi.py does",
		usage:   dumpUsage,
		run:     runDump,
	})
}

func runDump(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("dump", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	lenient := fs.Bool("lenient", false, "")
	if code, stop := parseArgs("dump", fs, args, "FILE.json", stdout, stderr); stop {
		return code
	}
	if os.Getenv("GOGC") == "" {
		// A dump is a short-lived process that allocates a few tens of
		// MB: collecting garbage only past a generous limit saves a
		// quarter of its CPU time.
		defer debug.SetGCPercent(debug.SetGCPercent(-1))
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(512 << 20))
	}
	opts := parser.Options{Mode: parser.Strict}
	if *lenient {
		opts.Mode = parser.Lenient
	}
	s, err := parser.Parse(fs.Arg(0), opts)
	if err != nil {
		fmt.Fprint(stderr, err.Error()+"\n")
		return 1
	}
	for _, w := range s.Warnings {
		fmt.Fprint(stderr, "warning: "+w.Error()+"\n")
	}
	ew := &errWriter{w: stdout}
	bw := bufio.NewWriter(ew)
	parser.Dump(bw, s)
	bw.Flush()
	if ew.err != nil {
		fmt.Fprintf(stderr, "qapi-gen dump: %v\n", ew.err)
		return 1
	}
	return 0
}

// errWriter remembers the first write error.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}
