package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

// parseArgs parses a command's flags and checks that exactly one
// positional argument, named what ("SCHEMA"), follows them. It prints
// what went wrong and returns the exit code when the command must stop:
// 0 for -h (usage on stdout), 2 for a usage error (usage on stderr).
//
// Go's flag package stops at the first argument that is not a flag, so
// "generate qmp -out x" reads -out as a second argument; that mistake
// gets a hint with the order that works.
func parseArgs(name string, fl *flag.FlagSet, args []string, what string, stdout, stderr io.Writer) (code int, stop bool) {
	fl.SetOutput(io.Discard)
	usage := subcommands[name].usage
	fail := func(format string, a ...any) (int, bool) {
		fmt.Fprintf(stderr, "qapi-gen %s: "+format+"\n", append([]any{name}, a...)...)
		fmt.Fprint(stderr, synopsis(usage))
		return 2, true
	}
	if err := fl.Parse(args); err != nil {
		if err == flag.ErrHelp {
			fmt.Fprint(stdout, usage)
			return 0, true
		}
		return fail("%v", err)
	}
	rest := fl.Args()
	if len(rest) == 1 {
		return 0, false
	}
	if len(rest) > 1 && strings.HasPrefix(rest[1], "-") {
		fixed := append(append(append([]string{name}, args[:len(args)-len(rest)]...), rest[1:]...), rest[0])
		return fail("flags go before %s: %s after %q is read as an argument; try:\n\tqapi-gen %s", what, rest[1], rest[0], strings.Join(fixed, " "))
	}
	return fail("want exactly one %s argument, got %d", what, len(rest))
}

// synopsis is the first paragraph of a usage text: the usage line(s).
func synopsis(usage string) string {
	if i := strings.Index(usage, "\n\n"); i >= 0 {
		return usage[:i+1]
	}
	return usage
}
