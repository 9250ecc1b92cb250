package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"time"

	"github.com/qapi-go/qapi/runtime"
)

func init() {
	register(&subcommand{
		name:     "mux",
		synopsis: "qmp mux -qemu SOCKET -listen SOCKET [-readonly-listen SOCKET] [-readonly-allow LIST] [-log FILE]",
		summary:  "let many clients share one QEMU monitor",
		manual: `QEMU's monitor serves one client at a time. qmp mux holds that one
connection (-qemu, a unix path or host:port) and serves any number of
clients on -listen (a unix socket path it creates, or host:port), each as
if it were QEMU's only client:

  - each client gets QEMU's greeting (offering "oob" when QEMU did) and
    negotiates with qmp_capabilities on its own;
  - its requests are forwarded to QEMU under the mux's own correlation:
    a client's "id" never reaches QEMU and comes back in the reply
    exactly as the client wrote it (any JSON value, byte for byte; one
    written over several lines is compacted, as messages are lines);
  - its in-band commands run in the order it sent them; exec-oob
    commands (once it enabled "oob") run out of band at once;
  - every event QEMU sends goes to every negotiated client, in QEMU's
    order; an event QEMU sends before a reply (STOP before stop's) is
    normally sent before that reply too, but clients must not rely on
    it (as with QEMU itself for DEVICE_DELETED);
  - a client that disconnects with commands in flight disturbs no one:
    what it sent before closing still runs in order (a client may
    close its sending side and read the replies), and replies that find
    it gone are dropped;
  - when QEMU closes the monitor, every client's connection is closed
    (EOF) and qmp mux exits with status 1.

-readonly-listen SOCKET serves clients that may only run the commands of
the read-only allow-list; anything else is refused with a GenericError
reply and never reaches QEMU. The default list:
    query-*  x-query-*  qom-get  qom-list  qom-list-types
    qom-list-properties  device-list-properties
(PREFIX* matches every command starting with PREFIX). -readonly-allow
replaces it: comma-separated names and patterns, or @FILE with one per
line ('#' comments).

Memory per client is bounded: a request is at most 1 MiB (a longer one
ends that client), and a client that leaves more than 8 MiB of replies
and events unread is disconnected. An idle client costs two goroutines
and about 14 KiB.

-log FILE appends every message exchanged with every client as JSON
lines: {"time":…,"client":N,"dir":"in"|"out","msg":…}; connects and
disconnects are logged with "dir":"note".

Requests are read as standard JSON (RFC 8259), one object after
another, with or without line breaks; QEMU's own extensions (single-quoted
strings) are not accepted. File descriptors (getfd, add-fd) cannot be
passed through the mux.
qmp mux runs until interrupted (exit 0) or until QEMU goes away (exit 1).
`,
		run: runMux,
	})
}

// Per-client bounds.
const (
	muxMaxRequest  = 1 << 20 // bytes of one request
	muxOutboxLimit = 8 << 20 // bytes of unread replies and events
	muxMaxInFlight = 64      // requests in flight per client (queued or running)
)

func runMux(e *env, args []string) int {
	fs := flag.NewFlagSet("mux", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	qemu := fs.String("qemu", "", "QEMU's QMP socket (unix path or host:port)")
	listen := fs.String("listen", "", "socket for clients (unix path or host:port)")
	roListen := fs.String("readonly-listen", "", "socket for read-only clients")
	roAllow := fs.String("readonly-allow", "", "read-only allow-list (names, PREFIX*, or @FILE)")
	logFile := fs.String("log", "", "append all client traffic as JSON lines to this file")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if *qemu == "" || *listen == "" || fs.NArg() != 0 {
		fmt.Fprintln(e.stderr, "qmp mux: want -qemu SOCKET -listen SOCKET (run 'qmp help mux')")
		return exitUsage
	}
	cfg := muxConfig{allow: defaultReadOnlyAllow}
	if *roAllow != "" {
		a, err := parseAllowList(*roAllow)
		if err != nil {
			fmt.Fprintf(e.stderr, "qmp mux: -readonly-allow: %v\n", err)
			return exitUsage
		}
		cfg.allow = a
	}
	if *logFile != "" {
		f, err := os.OpenFile(*logFile, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			fmt.Fprintf(e.stderr, "qmp mux: %v\n", err)
			return exitFailure
		}
		defer f.Close()
		cfg.log = newTrafficLog(f)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, sigTERM)
	defer stop()
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	up, err := dialQMP(dctx, *qemu)
	cancel()
	if err != nil {
		fmt.Fprintf(e.stderr, "qmp mux: %v\n", err)
		return exitFailure
	}
	m := newMux(up, cfg)
	for _, l := range []struct {
		addr     string
		readonly bool
	}{{*listen, false}, {*roListen, true}} {
		if l.addr == "" {
			continue
		}
		ln, err := listenSocket(l.addr)
		if err != nil {
			fmt.Fprintf(e.stderr, "qmp mux: %v\n", err)
			m.Close()
			return exitFailure
		}
		go m.Serve(ln, l.readonly)
	}
	select {
	case <-ctx.Done():
		m.Close()
		return exitOK
	case <-up.Done():
		m.Close()
		fmt.Fprintf(e.stderr, "qmp mux: QEMU went away: %v\n", up.Err())
		return exitFailure
	}
}

// listenSocket listens on a unix socket path (replacing a stale socket
// file) or host:port.
func listenSocket(addr string) (net.Listener, error) {
	network, address := socketAddress(addr)
	if network == "unix" {
		if fi, err := os.Lstat(address); err == nil && fi.Mode()&os.ModeSocket != 0 {
			os.Remove(address)
		}
	}
	return net.Listen(network, address)
}

type muxConfig struct {
	allow allowList
	log   *trafficLog
	// outbox bounds each client's unread replies and events in bytes;
	// 0 means muxOutboxLimit.
	outbox int
}

func (c muxConfig) outboxLimit() int {
	if c.outbox > 0 {
		return c.outbox
	}
	return muxOutboxLimit
}

// mux serves many clients over one upstream QMP session.
type mux struct {
	up       *runtime.QMP
	cfg      muxConfig
	greeting []byte // the greeting clients get
	oob      bool   // whether clients may enable oob

	mu        sync.Mutex
	clients   map[*muxClient]struct{}
	listeners []net.Listener
	closed    bool
	nextID    atomic.Uint64
	wg        sync.WaitGroup

	events *runtime.Subscription
	fanMu  sync.Mutex // orders event fan-out against replies (flushEvents)
}

func newMux(up *runtime.QMP, cfg muxConfig) *mux {
	m := &mux{up: up, cfg: cfg, oob: up.OOB(), clients: map[*muxClient]struct{}{}}
	var g struct {
		Version json.RawMessage `json:"version"`
	}
	json.Unmarshal(up.Greeting().Raw, &g)
	if g.Version == nil {
		g.Version = json.RawMessage(`{}`)
	}
	caps := "[]"
	if m.oob {
		caps = `["oob"]`
	}
	m.greeting = []byte(`{"QMP":{"version":` + string(g.Version) + `,"capabilities":` + caps + `}}`)
	m.events = up.SubscribeBuffer(4096)
	m.wg.Add(2)
	go m.fanOutEvents()
	go func() {
		defer m.wg.Done()
		<-up.Done()
		m.Close()
	}()
	return m
}

// fanOutEvents copies every event to every negotiated client's outbox.
func (m *mux) fanOutEvents() {
	defer m.wg.Done()
	var reported uint64
	for ev := range m.events.Events() {
		m.fanMu.Lock()
		m.fanOut(ev)
		m.fanMu.Unlock()
		if d := m.events.Dropped(); d != reported {
			m.cfg.log.note(0, fmt.Sprintf("%d events from QEMU dropped: the mux fell behind", d-reported))
			reported = d
		}
	}
}

// flushEvents fans out the events already received. A reply is sent
// after it, so that an event QEMU sent before the reply (STOP before
// stop's) reaches clients before it, as it would from QEMU. (An event
// fanOutEvents has taken but not yet sent can still come after.)
func (m *mux) flushEvents() {
	m.fanMu.Lock()
	defer m.fanMu.Unlock()
	for {
		select {
		case ev, ok := <-m.events.Events():
			if !ok {
				return
			}
			m.fanOut(ev)
		default:
			return
		}
	}
}

func (m *mux) fanOut(ev runtime.Event) {
	msg := eventJSON(ev)
	m.mu.Lock()
	for c := range m.clients {
		if c.negotiated.Load() {
			c.send(msg)
		}
	}
	m.mu.Unlock()
}

// Serve accepts clients on ln until the mux closes.
func (m *mux) Serve(ln net.Listener, readonly bool) error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		ln.Close()
		return net.ErrClosed
	}
	m.listeners = append(m.listeners, ln)
	m.mu.Unlock()
	for {
		conn, err := ln.Accept()
		if err != nil {
			return err
		}
		c := newMuxClient(m, conn, readonly)
		m.mu.Lock()
		if m.closed {
			m.mu.Unlock()
			conn.Close()
			continue
		}
		m.clients[c] = struct{}{}
		m.mu.Unlock()
		c.start()
	}
}

func (m *mux) remove(c *muxClient) {
	m.mu.Lock()
	delete(m.clients, c)
	m.mu.Unlock()
}

// Close stops accepting, ends every client (each sees EOF once what was
// queued for it is written) and closes the upstream session.
func (m *mux) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	for _, ln := range m.listeners {
		ln.Close()
	}
	clients := make([]*muxClient, 0, len(m.clients))
	for c := range m.clients {
		clients = append(clients, c)
	}
	m.mu.Unlock()
	for _, c := range clients {
		c.shutdown()
	}
	m.events.Close()
	err := m.up.Close()
	for _, c := range clients {
		c.wait()
	}
	return err
}

// Wait waits for the mux's own goroutines after Close.
func (m *mux) Wait() { m.wg.Wait() }

// errReply renders a QMP error reply.
func errReply(class, desc string, id json.RawMessage) []byte {
	b := []byte(`{"error":{"class":`)
	b = appendJSONString(b, class)
	b = append(b, `,"desc":`...)
	b = appendJSONString(b, desc)
	b = append(b, '}')
	return appendID(b, id)
}

func appendID(b []byte, id json.RawMessage) []byte {
	if id != nil {
		b = append(b, `,"id":`...)
		b = append(b, id...)
	}
	return append(b, '}')
}

func appendJSONString(b []byte, s string) []byte {
	q, _ := json.Marshal(s)
	return append(b, q...)
}

// upstreamError turns an Execute error into the reply the client gets.
func upstreamError(err error, id json.RawMessage) []byte {
	var ce *runtime.CommandError
	if errors.As(err, &ce) {
		return errReply(string(ce.Class), ce.Desc, id)
	}
	return errReply("GenericError", "qmp mux: "+err.Error(), id)
}
