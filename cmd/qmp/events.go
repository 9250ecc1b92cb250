package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"time"

	"github.com/qapi-go/qapi/runtime"
)

func init() {
	register(&subcommand{
		name:     "events",
		synopsis: "qmp events [-count N] SOCKET [NAME ...]",
		summary:  "print events as JSON lines until interrupted",
		manual: `Connects to the QMP socket SOCKET and prints every event QEMU sends, or
only those named, as JSON lines, exactly as QEMU sends them:
    {"event":"STOP","data":{},"timestamp":{"seconds":1700000000,"microseconds":1}}

It runs until interrupted (SIGINT or SIGTERM: exit status 0), until -count
events were printed (0, the default, means no limit), or until QEMU closes
the connection (exit status 1). A NAME the bindings do not know is
accepted with a warning (a newer QEMU may send it).
`,
		run: runEvents,
	})
}

func runEvents(e *env, args []string) int {
	fs := flag.NewFlagSet("events", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	count := fs.Int("count", 0, "stop after this many events (0: no limit)")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if fs.NArg() < 1 {
		fmt.Fprintln(e.stderr, "qmp events: want SOCKET [NAME ...]")
		return exitUsage
	}
	names := fs.Args()[1:]
	if cat, err := loadQMPCatalog(); err == nil {
		for _, n := range names {
			if !containsString(cat.events, n) {
				fmt.Fprintf(e.stderr, "qmp events: warning: the bindings know no event %q\n", n)
			}
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, sigTERM)
	defer stop()
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	q, err := dialQMP(dctx, fs.Arg(0))
	cancel()
	if err != nil {
		fmt.Fprintf(e.stderr, "qmp events: %v\n", err)
		return exitFailure
	}
	defer q.Close()
	sub := q.SubscribeBuffer(1024, names...)
	defer sub.Close()
	n := 0
	for {
		select {
		case <-ctx.Done():
			return exitOK
		case ev, ok := <-sub.Events():
			if !ok {
				fmt.Fprintf(e.stderr, "qmp events: %v\n", q.Err())
				return exitFailure
			}
			line := append(eventJSON(ev), '\n')
			if _, err := e.stdout.Write(line); err != nil {
				return exitFailure
			}
			if d := sub.Dropped(); d > 0 {
				fmt.Fprintf(e.stderr, "qmp events: warning: %d events dropped (output too slow)\n", d)
			}
			n++
			if *count > 0 && n >= *count {
				return exitOK
			}
		}
	}
}

// eventJSON renders an event in QEMU's wire form, member order included.
func eventJSON(ev runtime.Event) []byte {
	b := make([]byte, 0, 96+len(ev.Data))
	b = append(b, `{"event":`...)
	b = strconv.AppendQuote(b, ev.Name)
	if ev.Data != nil {
		b = append(b, `,"data":`...)
		b = append(b, ev.Data...)
	}
	b = append(b, `,"timestamp":{"seconds":`...)
	sec, usec := int64(-1), int64(-1)
	if !ev.Timestamp.IsZero() {
		sec, usec = ev.Timestamp.Unix(), int64(ev.Timestamp.Nanosecond()/1000)
	}
	b = strconv.AppendInt(b, sec, 10)
	b = append(b, `,"microseconds":`...)
	b = strconv.AppendInt(b, usec, 10)
	b = append(b, "}}"...)
	return b
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
