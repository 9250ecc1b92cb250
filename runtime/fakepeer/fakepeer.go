package fakepeer

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Protocol selects what the peer emulates.
type Protocol int

const (
	// QMP emulates QEMU's monitor: a greeting, capabilities negotiation,
	// in-band and out-of-band commands, events; lines end in "\r\n".
	QMP Protocol = iota
	// QGA emulates the guest agent: no greeting, no negotiation,
	// guest-sync-delimited answered behind a 0xFF sentinel; lines end in
	// "\n".
	QGA
)

func (p Protocol) String() string {
	if p == QGA {
		return "QGA"
	}
	return "QMP"
}

// Version is the "version" member of the QMP greeting (the same shape as
// query-version's reply).
type Version struct {
	Major, Minor, Micro int
	// Package is the distribution's package string, e.g. "Debian
	// 1:7.2+dfsg-7" or "v10.2.2".
	Package string
}

// DefaultVersion is the QEMU version the QMP greeting announces unless
// Config.Version says otherwise.
var DefaultVersion = Version{Major: 10, Minor: 2, Micro: 2, Package: "v10.2.2"}

// DefaultExpectTimeout is how long an Expect or ExpectEOF step waits for
// the client unless Config.ExpectTimeout says otherwise.
const DefaultExpectTimeout = 10 * time.Second

// Config describes a peer. The zero value is a QMP peer with the default
// greeting (QEMU 10.2.2 offering "oob") that negotiates capabilities by
// itself and then follows an empty script.
type Config struct {
	// Protocol is QMP (the default) or QGA.
	Protocol Protocol

	// Script is the sequence of steps the peer follows once the
	// connection is established (QMP: after negotiation, unless
	// ManualNegotiation is set).
	Script []Step

	// Handler, when set, answers every request that arrives after the
	// script has run to its end (with an empty Script: every request).
	// Without a Handler, a request after the end of the script is a
	// test failure and is answered with a CommandNotFound error.
	Handler Handler

	// Version is announced in the QMP greeting (default DefaultVersion).
	Version *Version
	// Capabilities are offered in the QMP greeting. nil offers
	// []string{"oob"} like every QEMU since 2.12; a non-nil empty slice
	// offers none.
	Capabilities []string
	// Greeting, when non-nil, is sent verbatim (a line terminator is
	// appended) instead of the greeting built from Version and
	// Capabilities: for testing clients against malformed greetings.
	Greeting []byte
	// ManualNegotiation leaves "qmp_capabilities" to the script: the peer
	// does not answer it by itself. Use it to script a failing or slow
	// negotiation. Without it the peer answers qmp_capabilities like
	// QEMU: it accepts a subset of the offered capabilities, answers
	// NegotiationError when set, and refuses every other command with
	// CommandNotFound until negotiation succeeded.
	ManualNegotiation bool
	// NegotiationError, when set, is the reply to qmp_capabilities.
	NegotiationError *Error

	// ManualSync leaves guest-sync and guest-sync-delimited to the
	// script (QGA): Expect them and answer with SyncReply, with Write
	// before it to inject stale data. Without it the peer answers them
	// by itself, wherever they arrive (they never reach the script):
	// guest-sync-delimited is answered by 0xFF followed by the reply, as
	// qemu-ga does. Bare 0xFF bytes are handled by the peer either way.
	ManualSync bool
	// SyncByteError makes the peer answer every bare 0xFF byte with a
	// JSON parse error line, as the QEMU 7.2 guest agent does
	// ({"error": {"class": "GenericError", "desc": "JSON parse error,
	// stray '\uFFFD'"}}). The error line precedes the 0xFF sentinel of
	// the guest-sync-delimited reply that follows. Without it a bare
	// 0xFF only resets the peer's parser.
	SyncByteError bool

	// ExpectTimeout bounds how long Expect and ExpectEOF wait for the
	// client (default DefaultExpectTimeout). When it expires the step
	// fails and the peer closes the connection.
	ExpectTimeout time.Duration

	// Errors, when non-nil, receives every failure (non-blocking: give it
	// a buffer). Failures are also reported to the testing.TB given to
	// New, and the first one is returned by Err and Wait.
	Errors chan<- error
}

// Handler answers one request in handler mode. cmd is the command name
// and args its "arguments" member (nil when absent). The peer echoes the
// request's "id" by itself. Handlers run one at a time on the peer's
// goroutine, in the order the requests arrived (as QEMU runs in-band
// commands); a handler that sleeps delays every later reply, and Close
// waits for a running handler to return.
type Handler func(cmd string, args json.RawMessage) Response

// Response is what a Handler answers.
type Response struct {
	// Return is the "return" value, marshalled with encoding/json; nil
	// sends {} (what QEMU returns for commands without a return value).
	// A json.RawMessage is sent as is.
	Return any
	// Error, when non-nil, makes the reply an error reply.
	Error *Error
	// Events are sent before the reply, EventsAfter after it.
	Events, EventsAfter []Event
	// NoReply sends no reply at all, for commands declared with
	// 'success-response': false (and for testing clients that time out).
	NoReply bool
}

// Error is a QMP error reply's "error" member.
type Error struct {
	Class string `json:"class"`
	Desc  string `json:"desc"`
}

// Event is an asynchronous QMP event.
type Event struct {
	Name string
	// Data is the "data" member, marshalled with encoding/json; nil
	// sends no data member.
	Data any
	// Time is the timestamp; the zero value uses the current time.
	Time time.Time
}

// Request is one command the peer received.
type Request struct {
	// Command is the "execute" or "exec-oob" member.
	Command string
	// OOB is set for "exec-oob".
	OOB bool
	// Args is the "arguments" member as received, nil when absent.
	Args json.RawMessage
	// ID is the "id" member as received, nil when absent.
	ID json.RawMessage
	// Raw is the whole request as received.
	Raw []byte
	// Files are the file descriptors received (SCM_RIGHTS, unix sockets
	// only) since the previous request. The peer closes them when it is
	// closed: dup them to keep them longer.
	Files []*os.File
}

// Peer is a scripted QMP or QGA server. A Peer serves exactly one
// connection, started with one of Pipe, Listen, Dial or Serve; it is safe
// to use from several goroutines.
type Peer struct {
	cfg Config
	tb  testing.TB

	stop     chan struct{} // closed by Close
	finished chan struct{} // closed when the session goroutine ends
	inbox    chan struct{} // signalled when queue grows
	wg       sync.WaitGroup

	mu        sync.Mutex
	started   bool
	closed    bool
	explicit  bool // Close was called by the user, not by the cleanup
	conn      net.Conn
	ln        net.Listener
	tmpDir    string
	queue     []msg
	received  [][]byte
	requests  []Request
	files     []*os.File
	enabled   []string
	stepsRun  int
	err       error
	closeOnce sync.Once
}

// New returns a peer described by cfg; start it with Pipe, Listen, Dial
// or Serve. tb may be nil: failures then only reach Config.Errors, Err
// and Wait, and the caller must Close the peer. With a tb, failures are
// reported with tb.Errorf and the peer is closed by tb.Cleanup, which
// also reports a script whose steps did not all run (unless the test
// closed the peer itself).
func New(tb testing.TB, cfg Config) *Peer {
	p := &Peer{
		cfg:      cfg,
		tb:       tb,
		stop:     make(chan struct{}),
		finished: make(chan struct{}),
		inbox:    make(chan struct{}, 1),
	}
	if p.cfg.ExpectTimeout <= 0 {
		p.cfg.ExpectTimeout = DefaultExpectTimeout
	}
	if tb != nil {
		tb.Helper()
		tb.Cleanup(func() { p.shutdown(false) })
	}
	return p
}

// NewQMP starts a QMP peer following script over net.Pipe and returns
// the client's end of the pipe. The peer greets, negotiates and then
// runs the script; it is closed when the test ends.
func NewQMP(tb testing.TB, script ...Step) (net.Conn, *Peer) {
	tb.Helper()
	p := New(tb, Config{Protocol: QMP, Script: script})
	return p.Pipe(), p
}

// NewQGA starts a QGA peer following script over net.Pipe and returns
// the client's end of the pipe. Synchronisation (0xFF and
// guest-sync-delimited) is answered automatically wherever it arrives.
func NewQGA(tb testing.TB, script ...Step) (net.Conn, *Peer) {
	tb.Helper()
	p := New(tb, Config{Protocol: QGA, Script: script})
	return p.Pipe(), p
}

func (p *Peer) begin() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.started {
		panic("fakepeer: a Peer serves one connection; it was already started")
	}
	p.started = true
}

// Pipe serves the peer over net.Pipe and returns the client's end.
func (p *Peer) Pipe() net.Conn {
	p.begin()
	client, server := net.Pipe()
	p.serve(server)
	return client
}

// Serve serves the peer over conn (for example one end of a socketpair)
// in the background. The peer closes conn when it is closed.
func (p *Peer) Serve(conn net.Conn) {
	p.begin()
	p.serve(conn)
}

// Listen makes the peer listen on a new unix socket in a fresh temporary
// directory and returns the socket's path. The peer serves the first
// connection it accepts, then stops listening. The directory is removed
// when the peer is closed.
func (p *Peer) Listen() (string, error) {
	p.begin()
	// Not tb.TempDir: a unix socket path must stay under ~104 bytes and
	// test names make TempDir paths long.
	dir, err := os.MkdirTemp("", "fakepeer")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, strings.ToLower(p.cfg.Protocol.String())+".sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		os.RemoveAll(dir)
		return "", err
	}
	p.mu.Lock()
	p.tmpDir, p.ln = dir, ln
	p.mu.Unlock()
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		conn, err := ln.Accept()
		ln.Close()
		if err != nil {
			close(p.finished)
			return
		}
		p.serve(conn)
	}()
	return path, nil
}

// Dial connects to a client that listens (as QEMU does with
// "-qmp unix:PATH,server=off") and serves the connection in the
// background.
func (p *Peer) Dial(network, address string) error {
	p.begin()
	conn, err := net.Dial(network, address)
	if err != nil {
		close(p.finished)
		return err
	}
	p.serve(conn)
	return nil
}

func (p *Peer) serve(conn net.Conn) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		conn.Close()
		close(p.finished)
		return
	}
	p.conn = conn
	p.mu.Unlock()
	out := newOutbox(conn, p.stop)
	p.wg.Add(3)
	go p.readLoop(conn)
	go func() {
		defer p.wg.Done()
		out.run()
	}()
	go func() {
		defer p.wg.Done()
		defer close(p.finished)
		defer conn.Close()
		defer out.close()
		s := &session{p: p, conn: conn, out: out, term: "\r\n"}
		if p.cfg.Protocol == QGA {
			s.term = "\n"
		}
		s.run()
	}()
}

// Close stops the peer: it closes the connection (and the listener),
// waits for every goroutine the peer started and closes the received
// file descriptors. It is idempotent and returns nil.
func (p *Peer) Close() error {
	p.shutdown(true)
	return nil
}

func (p *Peer) shutdown(explicit bool) {
	p.closeOnce.Do(func() {
		p.mu.Lock()
		p.closed, p.explicit = true, explicit
		conn, ln := p.conn, p.ln
		neverStarted := !p.started
		p.started = true // a later Pipe, Listen, ... panics
		p.mu.Unlock()
		if neverStarted {
			close(p.finished)
		}
		close(p.stop)
		if ln != nil {
			ln.Close()
		}
		if conn != nil {
			conn.Close()
		}
		p.wg.Wait()
		p.mu.Lock()
		files, dir := p.files, p.tmpDir
		p.files = nil
		runAll := p.stepsRun >= len(p.cfg.Script)
		failed := p.err != nil
		p.mu.Unlock()
		for _, f := range files {
			f.Close()
		}
		if dir != "" {
			os.RemoveAll(dir)
		}
		if !explicit && !neverStarted && !runAll && !failed {
			p.fail("script not finished when the test ended: %d of %d steps ran; next: %v",
				p.stepsRunLocked(), len(p.cfg.Script), p.cfg.Script[p.stepsRunLocked()])
		}
	})
}

func (p *Peer) stepsRunLocked() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stepsRun
}

// Done is closed when the peer's session has ended: the script ran and
// the client closed the connection, a step closed it, a failure ended
// it, or the peer was closed.
func (p *Peer) Done() <-chan struct{} { return p.finished }

// Wait waits until the session has ended (see Done) and returns the
// first failure, or an error saying which step the script stopped at if
// it did not run to its end.
func (p *Peer) Wait() error {
	<-p.finished
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return p.err
	}
	if p.stepsRun < len(p.cfg.Script) {
		return fmt.Errorf("fakepeer: session ended after %d of %d steps; next: %v",
			p.stepsRun, len(p.cfg.Script), p.cfg.Script[p.stepsRun])
	}
	return nil
}

// Err returns the first failure so far, or nil.
func (p *Peer) Err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// Received returns every message received so far, in order, as the
// client sent it: one JSON text per element (surrounding whitespace
// removed); for each 0xFF byte, an element ending in 0xFF that starts
// with the partial JSON text the byte discarded, if any; and stray bytes
// as they came.
func (p *Peer) Received() [][]byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([][]byte, len(p.received))
	copy(out, p.received)
	return out
}

// Requests returns every well-formed request received so far, including
// the ones the peer answered by itself (qmp_capabilities,
// guest-sync-delimited).
func (p *Peer) Requests() []Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Request(nil), p.requests...)
}

// Commands returns the command names of Requests, in order.
func (p *Peer) Commands() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]string, len(p.requests))
	for i, r := range p.requests {
		out[i] = r.Command
	}
	return out
}

// Enabled returns the capabilities the client enabled with
// qmp_capabilities (QMP, automatic negotiation).
func (p *Peer) Enabled() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.enabled...)
}

func (p *Peer) fail(format string, args ...any) {
	err := fmt.Errorf("fakepeer: "+format, args...)
	p.mu.Lock()
	if p.err == nil {
		p.err = err
	}
	p.mu.Unlock()
	if p.tb != nil {
		p.tb.Errorf("%v", err)
	}
	if p.cfg.Errors != nil {
		select {
		case p.cfg.Errors <- err:
		default:
		}
	}
}

// readLoop reads the client's bytes, splits them into messages and
// queues them for the session goroutine.
func (p *Peer) readLoop(conn net.Conn) {
	defer p.wg.Done()
	var sp splitter
	buf := make([]byte, 64<<10)
	var out []msg
	for {
		n, files, err := readWithFiles(conn, buf)
		sp.files = append(sp.files, files...)
		if len(files) > 0 {
			p.mu.Lock()
			p.files = append(p.files, files...)
			p.mu.Unlock()
		}
		out = sp.feed(buf[:n], out[:0])
		if err != nil {
			out = sp.flush(out)
			if errors.Is(err, io.ErrClosedPipe) || errors.Is(err, net.ErrClosed) {
				err = io.EOF
			}
			out = append(out, msg{kind: kindEOF, err: err})
		}
		if len(out) > 0 {
			p.mu.Lock()
			for _, m := range out {
				if m.kind != kindEOF {
					p.received = append(p.received, m.raw)
				}
			}
			p.queue = append(p.queue, out...)
			p.mu.Unlock()
			select {
			case p.inbox <- struct{}{}:
			default:
			}
		}
		if err != nil {
			return
		}
	}
}

// errStopped ends a session quietly: the peer was closed, or the
// connection went away while the peer was writing.
var errStopped = errors.New("fakepeer: stopped")

// next returns the next queued message, waiting up to timeout (0: no
// limit) for one.
func (p *Peer) next(timeout time.Duration) (msg, error) {
	var timer <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		timer = t.C
	}
	for {
		p.mu.Lock()
		if len(p.queue) > 0 {
			m := p.queue[0]
			p.queue[0] = msg{}
			p.queue = p.queue[1:]
			p.mu.Unlock()
			return m, nil
		}
		p.mu.Unlock()
		select {
		case <-p.inbox:
		case <-p.stop:
			return msg{}, errStopped
		case <-timer:
			return msg{}, errTimeout
		}
	}
}

var errTimeout = errors.New("timeout")

func (p *Peer) record(r Request) {
	p.mu.Lock()
	p.requests = append(p.requests, r)
	p.mu.Unlock()
}
