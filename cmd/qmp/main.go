// Command qmp is the operator's tool for QEMU's monitor (QMP) and guest
// agent (QGA), typed by the schema the bindings in gen/qmp and gen/qga were
// generated from: an interactive shell with completion and argument checks,
// one-shot calls for scripts, an event listener, guest agent file transfer
// and exec, and a multiplexer that lets many clients share one monitor.
//
// Run "qmp help" for the manual, "qmp help SUBCOMMAND" for one verb.
package main

import (
	"fmt"
	"io"
	"os"
	"sort"
)

// Exit codes shared by every subcommand.
const (
	exitOK      = 0
	exitFailure = 1 // a command error from QEMU, a lost connection
	exitUsage   = 2 // bad flags or arguments
)

// subcommand is one verb of qmp. Each lives in its own file and registers
// itself from init.
type subcommand struct {
	name     string
	synopsis string // the usage line(s), shown by "qmp help"
	summary  string // one line for "qmp help"
	manual   string // the full text of "qmp help NAME"
	run      func(env *env, args []string) int
}

// env is what a subcommand talks to: its streams and environment, so that
// tests run subcommands in process.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
}

var subcommands = map[string]*subcommand{}

func register(c *subcommand) { subcommands[c.name] = c }

func main() {
	os.Exit(run(&env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}, os.Args[1:]))
}

func run(e *env, args []string) int {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, overview())
		return exitUsage
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		return runHelp(e, args[1:])
	}
	c, ok := subcommands[args[0]]
	if !ok {
		fmt.Fprintf(e.stderr, "qmp: unknown subcommand %q (run 'qmp help')\n", args[0])
		return exitUsage
	}
	return c.run(e, args[1:])
}

func sortedSubcommands() []*subcommand {
	cs := make([]*subcommand, 0, len(subcommands))
	for _, c := range subcommands {
		cs = append(cs, c)
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].name < cs[j].name })
	return cs
}
