// Command qapi-gen reads a QEMU QAPI schema and generates Go bindings
// (generate), prints the checked schema as QEMU's test-qapi.py does
// (dump), and more; run "qapi-gen help" for the list.
package main

import (
	"fmt"
	"io"
	"os"
	"sort"
)

// subcommand is one verb of qapi-gen. Each lives in its own file and
// registers itself from init.
type subcommand struct {
	name    string
	summary string // one line for "qapi-gen help"
	usage   string // full usage text for "qapi-gen help NAME"
	// run executes the verb with its arguments and returns the exit code,
	// the same in every verb: 0 success, 1 failure (a schema error, a
	// file that cannot be read or written, a peer that fails), 2 usage
	// error (unknown flag, wrong number of arguments, invalid value).
	run func(args []string, stdout, stderr io.Writer) int
}

var subcommands = map[string]*subcommand{}

func register(c *subcommand) { subcommands[c.name] = c }

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	if args[0] == "help" || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" {
		if len(args) > 1 {
			if c, ok := subcommands[args[1]]; ok {
				fmt.Fprint(stdout, c.usage)
				return 0
			}
			fmt.Fprintf(stderr, "qapi-gen: unknown command %q\n", args[1])
			usage(stderr)
			return 2
		}
		usage(stdout)
		return 0
	}
	c, ok := subcommands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "qapi-gen: unknown command %q\n", args[0])
		usage(stderr)
		return 2
	}
	return c.run(args[1:], stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: qapi-gen COMMAND [ARGS]")
	fmt.Fprintln(w, "commands:")
	names := make([]string, 0, len(subcommands))
	for n := range subcommands {
		names = append(names, n)
	}
	sort.Strings(names)
	width := 0
	for _, n := range names {
		width = max(width, len(n))
	}
	for _, n := range names {
		fmt.Fprintf(w, "  %-*s  %s\n", width, n, subcommands[n].summary)
	}
	fmt.Fprintln(w, `run "qapi-gen help COMMAND" for a command's usage`)
}
