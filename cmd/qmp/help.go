package main

import (
	"fmt"
	"strings"
)

// overview is the manual page of "qmp help": what the tool is, every
// subcommand's synopsis, and what they share.
func overview() string {
	var b strings.Builder
	b.WriteString(`QMP(1)                      qapi-go                      QMP(1)

NAME
    qmp - talk to a QEMU monitor or guest agent, typed by its schema

SYNOPSIS
`)
	for _, c := range sortedSubcommands() {
		for _, line := range strings.Split(c.synopsis, "\n") {
			fmt.Fprintf(&b, "    %s\n", line)
		}
	}
	b.WriteString(`    qmp help [SUBCOMMAND]

DESCRIPTION
    qmp knows every command, event and type of the QEMU ` + bindingsVersion + ` schema
    its bindings (gen/qmp, gen/qga) were generated from: it completes
    command names, argument names and enum values, checks arguments
    before QEMU sees them, and shows a command's documentation.

SUBCOMMANDS
`)
	for _, c := range sortedSubcommands() {
		fmt.Fprintf(&b, "    %-8s %s\n", c.name, c.summary)
	}
	b.WriteString(`
SOCKET
    A unix socket path (QEMU: -qmp unix:PATH,server=on,wait=off), or
    host:port for a TCP monitor. A path with a '/' or an existing file is
    always a unix socket.

ARGUMENTS
    Commands take qmp-shell's KEY=VALUE words, nested with dots
    (a.b=1 sends {"a": {"b": 1}}), or one JSON object. Values are read as
    the schema types the member (see 'qmp help call').

EXIT STATUS
    0 success; 1 an error reply from QEMU or a failed connection;
    2 a usage error (bad flags, arguments refused by the check).

FILES
    $XDG_STATE_HOME/qmp/history (default ~/.local/state/qmp/history):
    the shell's history; ga-history for the guest agent shell.

Run 'qmp help SUBCOMMAND' for the manual of one subcommand.
`)
	return b.String()
}

func runHelp(e *env, args []string) int {
	if len(args) == 0 {
		fmt.Fprint(e.stdout, overview())
		return exitOK
	}
	c, ok := subcommands[args[0]]
	if !ok {
		fmt.Fprintf(e.stderr, "qmp help: unknown subcommand %q (run 'qmp help')\n", args[0])
		return exitUsage
	}
	fmt.Fprintf(e.stdout, "NAME\n    qmp %s - %s\n\nSYNOPSIS\n", c.name, c.summary)
	for _, line := range strings.Split(c.synopsis, "\n") {
		fmt.Fprintf(e.stdout, "    %s\n", line)
	}
	fmt.Fprintf(e.stdout, "\nDESCRIPTION\n%s", indent(c.manual, "    "))
	return exitOK
}

func indent(text, prefix string) string {
	lines := strings.SplitAfter(text, "\n")
	var b strings.Builder
	for _, l := range lines {
		if strings.TrimSpace(l) != "" {
			b.WriteString(prefix)
		}
		b.WriteString(l)
	}
	return b.String()
}
