package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"github.com/qapi-go/qapi/gen/qga"
)

func init() {
	register(&subcommand{
		name: "ga",
		synopsis: `qmp ga shell [-no-check] [-history FILE] SOCKET
qmp ga call [-timeout D] [-compact] [-no-check] SOCKET COMMAND [KEY=VALUE ... | JSON]
qmp ga cat [-timeout D] SOCKET PATH
qmp ga put [-timeout D] [-mode MODE] SOCKET PATH
qmp ga exec [-timeout D] [-stdin] SOCKET PROGRAM [ARG ...]`,
		summary: "the same for a guest agent, plus file copies and exec",
		manual: `Talks to a QEMU guest agent: SOCKET is the host end of the VM's agent
channel (-chardev socket,path=SOCKET,server=on,wait=off,id=qga0 with
-device virtserialport,chardev=qga0,name=org.qemu.guest_agent.0), or the
socket of a qemu-ga run with -m unix-listen.

The agent has no greeting and may hold stale bytes from a previous
client, so every connection first resynchronises the channel (0xFF and
guest-sync-delimited, discarding everything before the answer), and so
does every call after one that timed out, as the library does.

    shell    the interactive shell of 'qmp shell' for guest-* commands
             (history in $XDG_STATE_HOME/qmp/ga-history); the agent cannot
             describe itself, so 'help COMMAND' shows the schema only.
    call     one command, as 'qmp call' (same exit status).
    cat      writes the guest file PATH to standard output, streamed in
             chunks (guest-file-open/read/close).
    put      writes standard input to the guest file PATH (created or
             truncated; -mode is guest-file-open's mode, default "w").
    exec     runs PROGRAM with ARGs in the guest (guest-exec), waits for
             it and writes its output to standard output and standard
             error; -stdin sends standard input as the program's input.

-timeout bounds the whole operation (default 30s for call, none for cat,
put and exec: they end on ^C).

Exit status of cat, put and call: 0, 1 (agent error or connection failure)
or 2 (usage). Exit status of exec: the program's own; 128+N when signal N
killed it; 125 when qmp could not run it (usage, connection, the agent
refused), with the reason on standard error.
`,
		run: runGA,
	})
}

var qgaTarget = &target{
	name:    "QGA",
	catalog: loadQGACatalog,
	dial: func(ctx context.Context, socket string) (session, error) {
		return dialQGA(ctx, socket)
	},
}

// exitExecFailure is qmp ga exec's status when it could not run the program.
const exitExecFailure = 125

func runGA(e *env, args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(e.stderr, "qmp ga: want shell, call, cat, put or exec (run 'qmp help ga')")
		return exitUsage
	}
	verb, rest := args[0], args[1:]
	switch verb {
	case "shell":
		return runShell(e, "ga shell", rest, qgaTarget)
	case "call":
		return runCall(e, "ga call", rest, qgaTarget)
	case "cat":
		return runGACat(e, rest)
	case "put":
		return runGAPut(e, rest)
	case "exec":
		return runGAExec(e, rest)
	}
	fmt.Fprintf(e.stderr, "qmp ga: unknown subcommand %q (run 'qmp help ga')\n", verb)
	return exitUsage
}

// gaContext is the context of a long ga operation: cancelled by ^C or
// SIGTERM, and by the timeout when there is one.
func gaContext(timeout time.Duration) (context.Context, context.CancelFunc) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, sigTERM)
	if timeout <= 0 {
		return ctx, stop
	}
	tctx, cancel := context.WithTimeout(ctx, timeout)
	return tctx, func() { cancel(); stop() }
}

// gaVerb is the part that cat, put and exec share: flags, the argument
// count, a context, a synchronised agent session.
type gaVerb struct {
	name           string
	fs             *flag.FlagSet
	timeout        *time.Duration
	minArgs        int
	exact          bool
	want           string // the arguments, for the usage message
	usage, failure int    // exit statuses
	ctx            context.Context
	cancel         context.CancelFunc
	conn           *qga.Conn
}

func newGAVerb(e *env, name, want string, minArgs int, exact bool) *gaVerb {
	v := &gaVerb{name: name, fs: flag.NewFlagSet(name, flag.ContinueOnError), want: want, minArgs: minArgs, exact: exact,
		usage: exitUsage, failure: exitFailure}
	v.fs.SetOutput(e.stderr)
	v.timeout = v.fs.Duration("timeout", 0, "bound on the whole operation (0: none)")
	return v
}

// start parses args and connects; it returns false with the exit status
// when that failed (the reason is on stderr).
func (v *gaVerb) start(e *env, args []string) (int, bool) {
	if err := v.fs.Parse(args); err != nil {
		return v.usage, false
	}
	if n := v.fs.NArg(); n < v.minArgs || (v.exact && n != v.minArgs) {
		fmt.Fprintf(e.stderr, "qmp %s: want %s\n", v.name, v.want)
		return v.usage, false
	}
	v.ctx, v.cancel = gaContext(*v.timeout)
	ga, err := dialQGA(v.ctx, v.fs.Arg(0))
	if err != nil {
		v.cancel()
		fmt.Fprintf(e.stderr, "qmp %s: %v\n", v.name, err)
		return v.failure, false
	}
	v.conn = qga.NewConn(ga)
	return 0, true
}

func (v *gaVerb) close() {
	if v.conn != nil {
		v.conn.Close()
		v.cancel()
	}
}

func runGACat(e *env, args []string) int {
	v := newGAVerb(e, "ga cat", "SOCKET PATH", 2, true)
	if code, ok := v.start(e, args); !ok {
		return code
	}
	defer v.close()
	if _, err := v.conn.CopyFromGuest(v.ctx, e.stdout, v.fs.Arg(1)); err != nil {
		reportCallError(e.stderr, "ga cat", err)
		return exitFailure
	}
	return exitOK
}

func runGAPut(e *env, args []string) int {
	v := newGAVerb(e, "ga put", "SOCKET PATH (the data on standard input)", 2, true)
	mode := v.fs.String("mode", "w", `guest-file-open mode ("w", "a", ...)`)
	if code, ok := v.start(e, args); !ok {
		return code
	}
	defer v.close()
	w, err := v.conn.OpenWriter(v.ctx, v.fs.Arg(1), *mode)
	if err != nil {
		reportCallError(e.stderr, "ga put", err)
		return exitFailure
	}
	_, err = io.Copy(w, e.stdin)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		reportCallError(e.stderr, "ga put", err)
		return exitFailure
	}
	return exitOK
}

func runGAExec(e *env, args []string) int {
	v := newGAVerb(e, "ga exec", "SOCKET PROGRAM [ARG ...]", 2, false)
	v.usage, v.failure = exitExecFailure, exitExecFailure
	withStdin := v.fs.Bool("stdin", false, "send standard input as the program's input")
	if code, ok := v.start(e, args); !ok {
		return code
	}
	defer v.close()
	cmd := qga.Command{Path: v.fs.Arg(1), Args: v.fs.Args()[2:]}
	if *withStdin {
		in, err := io.ReadAll(e.stdin)
		if err != nil {
			fmt.Fprintf(e.stderr, "qmp ga exec: reading standard input: %v\n", err)
			return exitExecFailure
		}
		cmd.Stdin = in
	}
	res, err := v.conn.Run(v.ctx, cmd)
	if err != nil {
		reportCallError(e.stderr, "ga exec", err)
		return exitExecFailure
	}
	e.stdout.Write(res.Stdout)
	e.stderr.Write(res.Stderr)
	for _, t := range []struct {
		truncated bool
		name      string
	}{{res.StdoutTruncated, "standard output"}, {res.StderrTruncated, "standard error"}} {
		if t.truncated {
			fmt.Fprintf(e.stderr, "qmp ga exec: warning: the agent kept only the start of the program's %s\n", t.name)
		}
	}
	switch {
	case res.Signal != 0:
		return 128 + res.Signal
	case res.ExitCode < 0 || res.ExitCode > 255:
		return exitExecFailure
	}
	return res.ExitCode
}
