package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/chzyer/readline"

	"github.com/qapi-go/qapi/compat"
	"github.com/qapi-go/qapi/introspect"
	"github.com/qapi-go/qapi/runtime"
)

func init() {
	register(&subcommand{
		name:     "shell",
		synopsis: "qmp shell [-no-check] [-history FILE] SOCKET",
		summary:  "interactive shell with completion, checks and docs",
		manual: `Connects to the QMP socket SOCKET and reads commands from the terminal,
with line editing, history and Tab completion of command names, argument
names (nested ones after a dot) and enum and boolean values.

A line is a command in qmp-shell's syntax, COMMAND KEY=VALUE ... (see
'qmp help call' for how values are read), or a QMP request written as
JSON: {"execute": "query-status"} ("exec-oob" sends it out of band).
Arguments are checked against the schema before they are sent; an error
names the member and the type it expects (-no-check turns this off).
Replies are printed as indented JSON; events are printed as they arrive,
above the line being typed, which is redrawn intact.

Shell words:
    help             this list
    help COMMAND     the command's documentation, arguments, Since,
                     deprecation, and whether this QEMU has it (from
                     query-qmp-schema, compared as 'qapi-gen compat' does)
    quit, exit, ^D   leave

History is kept in $XDG_STATE_HOME/qmp/history (default
~/.local/state/qmp/history), or in the FILE given with -history.
`,
		run: func(e *env, args []string) int { return runShell(e, "shell", args, qmpTarget) },
	})
}

// historyPath is the history file of a shell: in the user's state
// directory (XDG_STATE_HOME, default ~/.local/state), under qmp/.
func historyPath(getenv func(string) string, name string) (string, error) {
	dir := getenv("XDG_STATE_HOME")
	if dir == "" {
		home := getenv("HOME")
		if home == "" {
			var err error
			if home, err = os.UserHomeDir(); err != nil {
				return "", err
			}
		}
		dir = filepath.Join(home, ".local", "state")
	}
	dir = filepath.Join(dir, "qmp")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	return filepath.Join(dir, name), nil
}

// shellStdin leaves the process's own stdin to readline, which wraps it
// so that Close can end a Readline in progress.
func shellStdin(r io.Reader) io.ReadCloser {
	if f, ok := r.(*os.File); ok && f == os.Stdin {
		return nil
	}
	return io.NopCloser(r)
}

// shell is one interactive session.
type shell struct {
	tg      *target
	cat     *catalog
	s       session
	qmp     *runtime.QMP // nil for a guest agent
	rl      *readline.Instance
	out     io.Writer // through readline, so that the input line survives
	noCheck bool

	liveOnce sync.Once
	live     *liveSchema
}

func runShell(e *env, verb string, args []string, tg *target) int {
	fs := flag.NewFlagSet(verb, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	noCheck := fs.Bool("no-check", false, "send arguments unchecked")
	history := fs.String("history", "", "history file (default: in the user's state directory)")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if fs.NArg() != 1 {
		fmt.Fprintf(e.stderr, "qmp %s: want SOCKET\n", verb)
		return exitUsage
	}
	cat, err := tg.catalog()
	if err != nil {
		fmt.Fprintf(e.stderr, "qmp %s: %v\n", verb, err)
		return exitFailure
	}
	if *history == "" {
		name := "history"
		if tg != qmpTarget {
			name = "ga-history"
		}
		if *history, err = historyPath(e.getenv, name); err != nil {
			fmt.Fprintf(e.stderr, "qmp %s: warning: no history: %v\n", verb, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	s, err := tg.dial(ctx, fs.Arg(0))
	cancel()
	if err != nil {
		fmt.Fprintf(e.stderr, "qmp %s: %v\n", verb, err)
		return exitFailure
	}
	defer s.Close()
	sh := &shell{tg: tg, cat: cat, s: s, noCheck: *noCheck}
	sh.qmp, _ = s.(*runtime.QMP)
	prompt := "(QEMU) "
	if sh.qmp == nil {
		prompt = "(QGA) "
	}
	rl, err := readline.NewEx(&readline.Config{
		Prompt:          prompt,
		HistoryFile:     *history,
		HistoryLimit:    1000,
		AutoComplete:    &completer{cat: cat, builtins: []string{"help", "quit", "exit"}},
		InterruptPrompt: "^C",
		EOFPrompt:       "",
		Stdin:           shellStdin(e.stdin),
		Stdout:          e.stdout,
		Stderr:          e.stderr,
	})
	if err != nil {
		fmt.Fprintf(e.stderr, "qmp %s: %v\n", verb, err)
		return exitFailure
	}
	defer rl.Close()
	sh.rl, sh.out = rl, &lockedWriter{w: rl.Stdout()}
	if sh.qmp != nil {
		v := sh.qmp.Greeting().Version
		fmt.Fprintf(sh.out, "Connected to QEMU %d.%d.%d; bindings from QEMU %s. 'help' for help, Tab completes.\n",
			v.Major, v.Minor, v.Micro, bindingsVersion)
		sub := sh.qmp.SubscribeBuffer(1024)
		defer sub.Close()
		go sh.printEvents(sub)
	} else {
		fmt.Fprintf(sh.out, "Connected to the guest agent; bindings from QEMU %s. 'help' for help, Tab completes.\n", bindingsVersion)
	}
	go func() {
		// When the peer goes away, say so and end the Readline in progress.
		<-s.Done()
		fmt.Fprintf(sh.out, "connection closed\n")
		rl.Close()
	}()
	for {
		line, err := rl.Readline()
		if errors.Is(err, readline.ErrInterrupt) {
			continue
		}
		if err != nil {
			select {
			case <-s.Done():
				return exitFailure
			default:
			}
			return exitOK
		}
		if sh.handle(strings.TrimSpace(line)) {
			return exitOK
		}
	}
}

// printEvents prints events as they come, through readline, which clears
// the input line, prints above it and redraws it.
func (sh *shell) printEvents(sub *runtime.Subscription) {
	for ev := range sub.Events() {
		sh.out.Write(append(eventJSON(ev), '\n'))
	}
}

// handle runs one line; it reports whether the shell should end.
func (sh *shell) handle(line string) (quit bool) {
	switch {
	case line == "":
		return false
	case line == "quit" || line == "exit":
		return true
	case line == "help":
		fmt.Fprint(sh.out, shellHelp)
		return false
	case strings.HasPrefix(line, "help "):
		for _, name := range strings.Fields(line)[1:] {
			writeCommandHelp(sh.out, sh.cat, name, sh.liveSchema())
		}
		return false
	}
	var req *request
	var err error
	if strings.HasPrefix(line, "{") {
		if req, err = parseJSONRequest(line); err == nil {
			err = checkRequest(sh.cat, req, !sh.noCheck)
		}
	} else {
		var words []string
		if words, err = splitWords(line); err == nil {
			req, err = parseCommandWords(sh.cat, words, !sh.noCheck)
		}
	}
	if err != nil {
		fmt.Fprintf(sh.out, "error: %v\n", err)
		return false
	}
	// ^C while a command runs cancels the wait for its reply.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	res, err := execute(ctx, sh.s, sh.cat, req)
	if err != nil {
		var ce *runtime.CommandError
		if errors.As(err, &ce) {
			fmt.Fprintf(sh.out, "error: %s: %s\n", ce.Class, ce.Desc)
		} else {
			fmt.Fprintf(sh.out, "error: %v\n", err)
		}
		return false
	}
	writeResult(sh.out, res, false)
	return false
}

// liveSchema fetches the peer's schema once, for help.
func (sh *shell) liveSchema() *liveSchema {
	if sh.qmp == nil {
		return nil
	}
	sh.liveOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		live, err := introspect.Fetch(ctx, sh.qmp)
		if err != nil {
			fmt.Fprintf(sh.out, "(query-qmp-schema failed: %v)\n", err)
			return
		}
		sh.live = &liveSchema{schema: live, report: compat.Compare(sh.cat.schema, live)}
	})
	return sh.live
}

const shellHelp = `COMMAND KEY=VALUE ...   run a command (Tab completes names and values;
                        nested members as a.b=VALUE, JSON values as-is)
{"execute": ...}        send a request written as JSON
help COMMAND            the command's documentation and availability
quit, exit, ^D          leave
`

// lockedWriter serialises whole writes: events arrive on their own
// goroutine and must not cut into a reply being printed.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
