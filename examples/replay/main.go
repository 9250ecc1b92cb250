// Command replay serves a recorded QMP or QGA conversation, so that a
// client can be tested against a QEMU build that is not installed.
//
//	replay -listen /tmp/qmp.sock RECORDING
//
// RECORDING holds JSON lines, one object per message, in order:
//
//	{"dir":"out","line":"{\"QMP\": {...}}"}
//	{"dir":"in","line":"{\"execute\":\"qmp_capabilities\"}"}
//	{"dir":"out","line":"{\"return\": {}}"}
//
// "out" lines are what the server sent, "in" lines what the client sent
// ("msg" holding the message as a JSON value is accepted in place of
// "line", so cmd/qmp mux logs replay too; other entries are skipped).
// For each client that connects, replay sends the "out" lines up to the
// next "in" line, then waits for the client's message and compares it,
// as JSON values, with the recorded one: a match goes on with the
// recording, a mismatch is answered with a GenericError naming both and
// the connection is closed. Messages are framed as QEMU frames them, so
// a recorded 0xFF byte or a request split over lines replays too. Lines
// go out with "\r\n" when the recording starts with a QMP greeting, "\n"
// otherwise.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"reflect"
	"sync"

	"github.com/qapi-go/qapi/internal/qemujson"
)

func main() {
	listen := flag.String("listen", "", "unix socket path to listen on (required)")
	flag.Parse()
	if *listen == "" || flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: replay -listen PATH RECORDING")
		os.Exit(2)
	}
	rec, err := load(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, "replay:", err)
		os.Exit(1)
	}
	ln, err := net.Listen("unix", *listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, "replay:", err)
		os.Exit(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	serve(ctx, ln, rec)
}

// step is one recorded message.
type step struct {
	out  bool
	line []byte   // out: the bytes to send, without terminator
	want []string // in: the messages the line frames to (see frame)
}

type recording struct {
	steps []step
	term  string
}

// load reads a recording, reporting the line of any malformed entry.
func load(path string) (*recording, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parse(f, path)
}

func parse(r io.Reader, name string) (*recording, error) {
	rec := &recording{term: "\n"}
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 64<<20)
	for n := 1; sc.Scan(); n++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var e struct {
			Dir  string          `json:"dir"`
			Line *string         `json:"line"`
			Msg  json.RawMessage `json:"msg"`
		}
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return nil, fmt.Errorf("%s:%d: %v", name, n, err)
		}
		var line []byte
		switch {
		case e.Line != nil:
			line = []byte(*e.Line)
		case e.Msg != nil:
			line = e.Msg
		default:
			if e.Dir == "in" || e.Dir == "out" {
				return nil, fmt.Errorf(`%s:%d: an entry with "dir" %q needs "line" or "msg"`, name, n, e.Dir)
			}
			continue
		}
		line = bytes.TrimRight(line, "\r\n")
		switch e.Dir {
		case "out":
			if len(rec.steps) == 0 && bytes.HasPrefix(line, []byte(`{"QMP"`)) {
				rec.term = "\r\n"
			}
			rec.steps = append(rec.steps, step{out: true, line: line})
		case "in":
			want := frame(line)
			if len(want) == 0 {
				return nil, fmt.Errorf("%s:%d: the \"in\" line holds no message", name, n)
			}
			rec.steps = append(rec.steps, step{want: want})
		default:
			continue // notes and the like
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	return rec, nil
}

// frame splits a recorded client line as QEMU would and returns each
// message as a comparable string: its standard JSON or "error: " and the
// error.
func frame(line []byte) []string {
	var out []string
	s := qemujson.NewStreamer(qemujson.Limits{})
	s.Feed(append(line, '\n'), func(m *qemujson.Message) { out = append(out, key(m)) })
	return out
}

func key(m *qemujson.Message) string {
	if m.Err != "" {
		return "error: " + m.Err
	}
	return string(m.JSON)
}

// sameMessage compares two message keys as JSON values (member order
// does not matter), errors as text.
func sameMessage(a, b string) bool {
	if a == b {
		return true
	}
	var va, vb any
	if json.Unmarshal([]byte(a), &va) != nil || json.Unmarshal([]byte(b), &vb) != nil {
		return false
	}
	return reflect.DeepEqual(va, vb)
}

// errorLine is a GenericError reply as QEMU prints one.
func errorLine(desc, term string) []byte {
	b := []byte(`{"error": {"class": "GenericError", "desc": `)
	b = qemujson.AppendString(b, desc)
	return append(append(b, "}}"...), term...)
}

// serve replays rec to each client that connects to ln until ctx ends.
func serve(ctx context.Context, ln net.Listener, rec *recording) error {
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			stopConn := context.AfterFunc(ctx, func() { c.Close() })
			defer stopConn()
			replay(c, rec)
		}()
	}
}

// replay plays the recording on one connection.
func replay(c net.Conn, rec *recording) {
	msgs := make(chan string, 64)
	go func() {
		defer close(msgs)
		s := qemujson.NewStreamer(qemujson.Limits{})
		buf := make([]byte, 4096)
		for {
			n, err := c.Read(buf)
			s.Feed(buf[:n], func(m *qemujson.Message) { msgs <- key(m) })
			if err != nil {
				return
			}
		}
	}()
	w := bufio.NewWriter(c)
	for _, st := range rec.steps {
		if st.out {
			w.Write(st.line)
			w.WriteString(rec.term)
			continue
		}
		if w.Flush() != nil {
			return
		}
		for _, want := range st.want {
			got, ok := <-msgs
			if !ok {
				return
			}
			if !sameMessage(want, got) {
				w.Write(errorLine("replay: expected "+want+", got "+got, rec.term))
				w.Flush()
				return
			}
		}
	}
	if w.Flush() != nil {
		return
	}
	// The recording has ended: refuse what else comes, until EOF.
	for got := range msgs {
		if _, err := c.Write(errorLine("replay: the recording has ended; got "+got, rec.term)); err != nil {
			return
		}
	}
}
