package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/qapi-go/qapi/compat"
	"github.com/qapi-go/qapi/parser"
	"github.com/qapi-go/qapi/runtime"
	"github.com/qapi-go/qapi/schema"
)

const compatUsage = `usage: qapi-gen compat [-schema qmp|PATH] [-json] [-timeout D] SOCKET

Compat connects to a running QEMU's QMP monitor, asks it for its schema
(query-qmp-schema) and reports how it differs from the schema the bindings
are generated from: commands and events the QEMU lacks, commands and
events it has that the bindings lack, and, inside the commands and events
both have, members whose type or optionality differs, members, enum
values, union branches and alternatives only one side has.

SOCKET is the monitor's address: a unix socket path (QEMU started with
-qmp unix:PATH,server=on,wait=off), unix:PATH, or tcp:HOST:PORT.

  -schema qmp|PATH  the bindings' schema: "qmp" (default) for the vendored
                    QMP schema that gen/qmp is generated from, or the root
                    file of another schema (e.g. the one your own
                    go:generate directive uses)
  -json             print the report as JSON instead of text
  -timeout D        give up connecting and asking after D (default 30s)

The exit status is 0 when the report was made (whatever it says), 1 when
the schema or the QEMU could not be read, 2 on usage errors.
`

func init() {
	register(&subcommand{
		name:    "compat",
		summary: "compare the bindings' schema with a running QEMU's",
		usage:   compatUsage,
		run:     runCompat,
	})
}

func runCompat(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("compat", flag.ContinueOnError)
	schemaArg := fl.String("schema", "qmp", "")
	asJSON := fl.Bool("json", false, "")
	timeout := fl.Duration("timeout", 30*time.Second, "")
	if code, stop := parseArgs("compat", fl, args, "SOCKET", stdout, stderr); stop {
		return code
	}
	if *schemaArg == "qga" {
		fmt.Fprintln(stderr, "qapi-gen compat: the guest agent has no query-qmp-schema; compat works on QMP schemas only")
		return 2
	}
	if *timeout <= 0 {
		fmt.Fprintln(stderr, "qapi-gen compat: -timeout must be positive")
		return 2
	}
	network, address := compatAddress(fl.Arg(0))

	var (
		bindings *parser.Schema
		desc     string
		err      error
	)
	if *schemaArg == "qmp" {
		bindings, err = compat.EmbeddedQMP()
		desc = "QEMU " + schema.Version() + " " + schema.QMPRoot + " (vendored)"
	} else {
		if st, serr := os.Stat(*schemaArg); serr != nil || st.IsDir() {
			fmt.Fprintf(stderr, "qapi-gen compat: -schema %s: want \"qmp\" or a schema's root .json file\n", *schemaArg)
			return 1
		}
		bindings, err = parser.Parse(*schemaArg, parser.Options{Mode: parser.Lenient})
		desc = *schemaArg
	}
	if err != nil {
		fmt.Fprintf(stderr, "qapi-gen compat: %v\n", err)
		return 1
	}

	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	q, err := runtime.DialQMP(ctx, network, address)
	if err != nil {
		fmt.Fprintf(stderr, "qapi-gen compat: connecting to QMP at %s: %v\n", fl.Arg(0), err)
		return 1
	}
	defer q.Close()
	r, err := compat.Check(ctx, q, bindings)
	if err != nil {
		fmt.Fprintf(stderr, "qapi-gen compat: %v\n", err)
		return 1
	}
	r.Bindings = desc
	r.QEMU = q.Greeting().Version.String()
	if *asJSON {
		err = r.WriteJSON(stdout)
	} else {
		err = r.WriteText(stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "qapi-gen compat: %v\n", err)
		return 1
	}
	return 0
}

// compatAddress splits "unix:PATH", "tcp:HOST:PORT" or a bare path.
func compatAddress(s string) (network, address string) {
	switch {
	case strings.HasPrefix(s, "unix:"):
		return "unix", strings.TrimPrefix(s, "unix:")
	case strings.HasPrefix(s, "tcp:"):
		return "tcp", strings.TrimPrefix(s, "tcp:")
	}
	return "unix", s
}
