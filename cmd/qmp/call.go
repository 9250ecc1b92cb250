package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/qapi-go/qapi/runtime"
)

func init() {
	register(&subcommand{
		name:     "call",
		synopsis: "qmp call [-timeout D] [-compact] [-no-check] [-oob] SOCKET COMMAND [KEY=VALUE ... | JSON]",
		summary:  "run one command and print its result as JSON",
		manual: `Connects to the QMP socket SOCKET (a unix socket path, or host:port),
runs COMMAND once and prints its result ("return" value) as JSON on
standard output: indented, or on one line with -compact.

Arguments are qmp-shell's KEY=VALUE words, nested with dots
(server.host=localhost), or one JSON object. A value is read as the schema
types its member: "id=123" sends the string "123" to a str member and the
number 123 to an int one; objects and arrays are written as JSON
(opts={"a":1}); booleans as true/false (on/off, yes/no too). Values of
untyped members are JSON when they parse as JSON, strings otherwise.

Before anything is sent, the arguments are checked against the schema the
bindings were generated from (QEMU ` + bindingsVersion + `): unknown and missing
members, types, enum values, integer ranges, union branches. A command
the bindings do not know is sent unchecked; -no-check sends any command
unchecked (for a QEMU whose schema differs).

-oob sends the command out of band (exec-oob), -timeout bounds the whole
call (default 30s).

Exit status: 0 on success; 1 when QEMU answered with an error (its class
and description are printed on standard error) or the connection failed;
2 for a usage error, including arguments refused by the check.

Example:
    qmp call /run/vm/qmp.sock query-status
    qmp call /run/vm/qmp.sock balloon value=1073741824
    qmp call /run/vm/qmp.sock device_del '{"id": "disk0"}'
`,
		run: func(e *env, args []string) int { return runCall(e, "call", args, qmpTarget) },
	})
}

const bindingsVersion = "10.2.2"

// target is a protocol the call, shell and events verbs talk: how to dial
// it and which catalog checks its commands.
type target struct {
	name    string
	catalog func() (*catalog, error)
	dial    func(ctx context.Context, socket string) (session, error)
}

var qmpTarget = &target{
	name:    "QMP",
	catalog: loadQMPCatalog,
	dial: func(ctx context.Context, socket string) (session, error) {
		return dialQMP(ctx, socket)
	},
}

// callFlags are the flags of call, shared by "qmp call" and "qmp ga call".
type callFlags struct {
	timeout          time.Duration
	compact, noCheck bool
	oob              bool
}

func runCall(e *env, verb string, args []string, tg *target) int {
	fs := flag.NewFlagSet(verb, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	var f callFlags
	fs.DurationVar(&f.timeout, "timeout", 30*time.Second, "bound on the whole call")
	fs.BoolVar(&f.compact, "compact", false, "print the result on one line")
	fs.BoolVar(&f.noCheck, "no-check", false, "send the arguments unchecked")
	fs.BoolVar(&f.oob, "oob", false, "send the command out of band (exec-oob)")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if fs.NArg() < 2 {
		fmt.Fprintf(e.stderr, "qmp %s: want SOCKET COMMAND [ARGS]\n", verb)
		return exitUsage
	}
	socket, words := fs.Arg(0), fs.Args()[1:]
	cat, err := tg.catalog()
	if err != nil {
		fmt.Fprintf(e.stderr, "qmp %s: %v\n", verb, err)
		return exitFailure
	}
	req, err := parseCommandWords(cat, words, !f.noCheck)
	if err != nil {
		fmt.Fprintf(e.stderr, "qmp %s: %v\n", verb, err)
		return exitUsage
	}
	if f.oob {
		req.OOB = true
	}
	ctx, cancel := context.WithTimeout(context.Background(), f.timeout)
	defer cancel()
	s, err := tg.dial(ctx, socket)
	if err != nil {
		fmt.Fprintf(e.stderr, "qmp %s: %v\n", verb, err)
		return exitFailure
	}
	defer s.Close()
	res, err := execute(ctx, s, cat, req)
	if err != nil {
		reportCallError(e.stderr, verb, err)
		return exitFailure
	}
	writeResult(e.stdout, res, f.compact)
	return exitOK
}

// parseCommandWords reads COMMAND [KEY=VALUE ... | JSON] and checks the
// arguments when check is set.
func parseCommandWords(cat *catalog, words []string, check bool) (*request, error) {
	if len(words) == 0 {
		return nil, errors.New("no command")
	}
	if strings.HasPrefix(words[0], "{") {
		if len(words) > 1 {
			return nil, errors.New("a JSON request takes no further words")
		}
		req, err := parseJSONRequest(words[0])
		if err != nil {
			return nil, err
		}
		return req, checkRequest(cat, req, check)
	}
	req := &request{Command: words[0]}
	cmd := cat.lookup(req.Command)
	if len(words) == 2 && strings.HasPrefix(words[1], "{") {
		v, err := decodeJSONValue(words[1])
		if err != nil {
			return nil, fmt.Errorf("JSON arguments: %v", jsonErrorText(err))
		}
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("JSON arguments: want an object, got %s", jsonKindOf(v))
		}
		req.Args = obj
	} else {
		args, err := buildArgs(cmd, words[1:])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", req.Command, err)
		}
		req.Args = args
	}
	return req, checkRequest(cat, req, check)
}

func checkRequest(cat *catalog, req *request, check bool) error {
	if !check {
		return nil
	}
	if err := checkArgs(cat.lookup(req.Command), req.Args); err != nil {
		return fmt.Errorf("%s: %w", req.Command, err)
	}
	return nil
}

// execute sends req and returns the raw result ("{}" for commands that
// return nothing, null for those that send no reply).
func execute(ctx context.Context, s session, cat *catalog, req *request) (json.RawMessage, error) {
	var opts []runtime.CallOption
	if req.OOB {
		opts = append(opts, runtime.OutOfBand())
	}
	if cmd := cat.lookup(req.Command); cmd != nil && cmd.NoReply {
		opts = append(opts, runtime.NoReply())
	}
	var args any
	if req.Args != nil {
		args = json.RawMessage(encodeJSON(req.Args))
	}
	res, err := s.Execute(ctx, req.Command, args, opts...)
	if err == nil && res == nil {
		res = json.RawMessage("null")
	}
	return res, err
}

func reportCallError(w io.Writer, verb string, err error) {
	var ce *runtime.CommandError
	if errors.As(err, &ce) {
		fmt.Fprintf(w, "qmp %s: %s: %s\n", verb, ce.Class, ce.Desc)
		return
	}
	fmt.Fprintf(w, "qmp %s: %v\n", verb, err)
}

func writeResult(w io.Writer, res json.RawMessage, compact bool) {
	var b bytes.Buffer
	var err error
	if compact {
		err = json.Compact(&b, res)
	} else {
		err = json.Indent(&b, res, "", "  ")
	}
	if err != nil {
		b.Reset()
		b.Write(res)
	}
	b.WriteByte('\n')
	w.Write(b.Bytes())
}
