package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"net"
	"strconv"
	"sync"
)

// Version is QEMU's version as its greeting states it.
type Version struct {
	Major, Minor, Micro int
	// Package is the distribution's package version, e.g.
	// "Debian 1:7.2+dfsg-7".
	Package string
}

func (v Version) String() string {
	s := strconv.Itoa(v.Major) + "." + strconv.Itoa(v.Minor) + "." + strconv.Itoa(v.Micro)
	if v.Package != "" {
		s += " (" + v.Package + ")"
	}
	return s
}

// Greeting is the QMP server's greeting.
type Greeting struct {
	Version Version
	// Capabilities are those QEMU offers, e.g. ["oob"].
	Capabilities []string
	// Raw is the greeting's "QMP" member as received.
	Raw json.RawMessage
}

// QMP is a QMP session. It implements Caller; any number of goroutines may
// use it at once.
type QMP struct {
	session
	greeting   Greeting
	greetingCh chan error
	greeted    bool // the reader's
	oob        bool

	// mu guards the calls waiting for replies and the request buffers.
	// In-band calls wait in a FIFO in the order their requests were
	// written, out-of-band ones by id (see the package doc).
	mu     sync.Mutex
	fifo   ring
	oobMap map[uint64]*call
	nextID uint64

	// Writing (write.go): wbufs[wcur] collects requests; writing says a
	// writer is flushing, alone that a request is written alone; wcond
	// is signalled when either ends.
	wcond   sync.Cond
	wbufs   [2]reqBuf
	wcur    int
	writing bool
	alone   bool
	closed  bool           // Close has begun: no writer may take over
	writers sync.WaitGroup // writers that took over from a caller

	events eventHub
}

var _ Caller = (*QMP)(nil)

// DialQMP connects to a QMP socket and negotiates the session.
func DialQMP(ctx context.Context, network, address string, opts ...Option) (*QMP, error) {
	c, err := Dial(ctx, network, address)
	if err != nil {
		return nil, err
	}
	return NewQMP(ctx, c, opts...)
}

// AcceptQMP waits for a QEMU to connect to ln (QEMU started with
// "-qmp unix:PATH,server=off") and negotiates the session.
func AcceptQMP(ctx context.Context, ln net.Listener, opts ...Option) (*QMP, error) {
	c, err := Accept(ctx, ln)
	if err != nil {
		return nil, err
	}
	return NewQMP(ctx, c, opts...)
}

// NewQMP runs a QMP session over conn, which it takes over (and closes on
// failure): it reads the greeting and sends qmp_capabilities, enabling
// "oob" when QEMU offers it unless WithoutOOB is given. ctx bounds the
// handshake only.
func NewQMP(ctx context.Context, conn net.Conn, opts ...Option) (*QMP, error) {
	q := &QMP{greetingCh: make(chan error, 1)}
	q.init(conn, buildOptions(opts))
	q.wcond.L = &q.mu
	q.wbufs[0].init()
	q.wbufs[1].init()
	q.events.init(q.log, "qmp")
	go q.readLoop()
	fail := func(err error) (*QMP, error) {
		q.Close()
		return nil, err
	}
	select {
	case err := <-q.greetingCh:
		if err != nil {
			return fail(err)
		}
	case <-ctx.Done():
		return fail(&greetingError{addr: remoteAddr(conn), err: ctx.Err()})
	case <-q.done:
		return fail(q.connErr())
	}
	var args any
	if !q.opts.noOOB {
		for _, c := range q.greeting.Capabilities {
			if c == "oob" {
				args = json.RawMessage(`{"enable":["oob"]}`)
				q.oob = true
			}
		}
	}
	if err := q.Call(ctx, "qmp_capabilities", args, nil); err != nil {
		q.oob = false
		return fail(err)
	}
	return q, nil
}

// greetingError says that no QMP greeting arrived before the handshake's
// context ended: the socket is silent (a guest agent's, or a QEMU that
// is not up), or slower than the context allows.
type greetingError struct {
	addr string
	err  error
}

func (e *greetingError) Error() string {
	return "qmp: no greeting arrived from " + e.addr + " within the context (is this a QMP socket?): " + e.err.Error()
}

func (e *greetingError) Unwrap() error { return e.err }

func remoteAddr(c net.Conn) string {
	if a := c.RemoteAddr(); a != nil && a.String() != "" {
		return a.Network() + " " + a.String()
	}
	return "the peer"
}

// Greeting returns the server's greeting.
func (q *QMP) Greeting() Greeting { return q.greeting }

// OOB reports whether the session negotiated out-of-band execution.
func (q *QMP) OOB() bool { return q.oob }

// Close closes the connection: pending calls fail with a *ConnError
// wrapping ErrClosed, subscriptions end, and the reader goroutine has
// exited when Close returns. Close is idempotent.
func (q *QMP) Close() error {
	q.fail(ErrClosed)
	<-q.readerDone
	q.mu.Lock()
	q.closed = true // no writer registers after this (flushBuf)
	q.mu.Unlock()
	q.writers.Wait()
	return nil
}

// Call implements Caller.
func (q *QMP) Call(ctx context.Context, command string, args, result any, opts ...CallOption) error {
	o := ApplyCallOptions(opts)
	c, err := q.roundTrip(ctx, command, args, o)
	if c == nil {
		return err
	}
	err = c.result(command, result)
	putCall(c)
	return err
}

// Execute runs command with args (nil, or anything encoding/json turns
// into an object) and returns the reply's raw "return" value.
func (q *QMP) Execute(ctx context.Context, command string, args any, opts ...CallOption) (json.RawMessage, error) {
	o := ApplyCallOptions(opts)
	c, err := q.roundTrip(ctx, command, args, o)
	if c == nil {
		return nil, err
	}
	raw, err := c.raw(command)
	putCall(c)
	return raw, err
}

// roundTrip sends the request and waits for its reply; it returns the
// completed call, or nil and an error (nil, nil for NoReply).
func (q *QMP) roundTrip(ctx context.Context, command string, args any, o CallOptions) (*call, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if o.OOB && !q.oob {
		return nil, errors.New("runtime: " + command + ": out-of-band execution was not negotiated")
	}
	var c *call
	if !o.NoReply {
		c = getCall()
	}
	if err := q.send(ctx, command, args, o, c); err != nil {
		return nil, err // c, if registered, is left to the garbage collector
	}
	if c == nil {
		return nil, nil
	}
	select {
	case <-c.ch:
		return c, nil
	case <-ctx.Done():
		// Abandoned: the reader drops its reply when it comes, and the
		// call is not reused.
		c.abandoned.Store(true)
		return nil, ctx.Err()
	}
}

// fail ends the session with cause and fails every pending call.
func (q *QMP) fail(cause error) {
	if !q.markFailed(cause) {
		return
	}
	e := q.err.Load()
	q.mu.Lock()
	q.wcond.Broadcast() // callers waiting for their turn to write
	var pending []*call
	for c := q.fifo.pop(); c != nil; c = q.fifo.pop() {
		pending = append(pending, c)
	}
	for id, c := range q.oobMap {
		pending = append(pending, c)
		delete(q.oobMap, id)
	}
	q.mu.Unlock()
	for _, c := range pending {
		c.failWith(e)
	}
	q.events.closeAll()
	select {
	case q.greetingCh <- e:
	default:
	}
}

// readLoop is the session's reader goroutine: it reads every message
// until the connection fails, and fails the session then.
func (q *QMP) readLoop() {
	defer close(q.readerDone)
	for {
		msg, err := q.fr.next()
		if err == nil {
			err = q.handle(msg)
		} else if err == errTooLong {
			err = protoErr("message over the maximum size", msg, ErrMessageTooLarge)
		}
		if err != nil {
			q.fail(err)
			return
		}
	}
}

// handle dispatches one message; an error fails the session.
func (q *QMP) handle(msg []byte) error {
	if len(trimSpace(msg)) == 0 {
		return nil
	}
	q.logRecv(msg)
	f, err := decodeMessage(msg)
	if err != nil {
		return err
	}
	switch {
	case !q.greeted:
		return q.handleGreeting(msg, f)
	case f.ret != nil || f.err != nil:
		class, desc, err := checkReply(msg, f)
		if err != nil {
			return err
		}
		return q.deliver(msg, f, class, desc)
	case f.qmp != nil:
		// A second greeting. QEMU keeps a monitor's output buffer across
		// connections: when a client (a readiness probe, a health check)
		// connects and leaves before QEMU wrote its greeting, the next
		// client gets that greeting before its own. It answers no call,
		// so dropping it cannot misroute anything.
		q.logDrop("greeting after the first ignored", msg)
		return nil
	case f.event != nil:
		name, ok := unquote(f.event)
		if !ok {
			return protoErr("event name is not a string", msg, nil)
		}
		if q.events.wanted(name) {
			q.events.dispatch(parseEvent(name, f))
		}
		return nil
	}
	return protoErr("message is neither a reply nor an event", msg, nil)
}

func (q *QMP) handleGreeting(msg []byte, f fields) error {
	if f.qmp == nil {
		return protoErr("expected the QMP greeting", msg, nil)
	}
	q.greeted = true
	var g struct {
		Version struct {
			QEMU struct {
				Major int `json:"major"`
				Minor int `json:"minor"`
				Micro int `json:"micro"`
			} `json:"qemu"`
			Package string `json:"package"`
		} `json:"version"`
		Capabilities []string `json:"capabilities"`
	}
	if err := json.Unmarshal(f.qmp, &g); err != nil {
		return protoErr("malformed greeting", msg, err)
	}
	q.greeting = Greeting{
		Version:      Version{g.Version.QEMU.Major, g.Version.QEMU.Minor, g.Version.QEMU.Micro, g.Version.Package},
		Capabilities: g.Capabilities,
		Raw:          append(json.RawMessage(nil), f.qmp...),
	}
	select {
	case q.greetingCh <- nil:
	default: // the session failed first: fail sent its error
	}
	return nil
}

// deliver hands a reply to its caller: by id for out-of-band calls, else
// to the oldest in-band call. A reply it cannot attribute (no call
// waits, or an id no call has) fails the session: it means the peer and
// the session disagree about which reply answers what, and handing it
// to anyone could give a caller another's reply.
func (q *QMP) deliver(msg []byte, f fields, class, desc string) error {
	var c *call
	q.mu.Lock()
	if f.id != nil {
		if id, ok := parseID(f.id); ok {
			c = q.oobMap[id]
			delete(q.oobMap, id)
		}
	} else {
		c = q.fifo.pop()
	}
	q.mu.Unlock()
	if c == nil {
		if f.id != nil {
			return protoErr("reply with an id no call is waiting for", msg, nil)
		}
		return protoErr("reply while no call is waiting", msg, nil)
	}
	if c.abandoned.Load() {
		q.logDrop("reply to a cancelled call dropped", msg)
		return nil
	}
	c.setReply(msg, f, class, desc, q.fr.take(msg))
	c.complete()
	return nil
}

// Subscribe returns a subscription to the events named (all events when
// none is), with the session's event buffer (WithEventBuffer,
// WithEventBufferBytes).
func (q *QMP) Subscribe(names ...string) *Subscription {
	return q.events.add(q.opts.eventBuffer, q.opts.eventBytes, names, nil)
}

// SubscribeBuffer is Subscribe with a buffer of size events (and the
// session's bound in bytes).
func (q *QMP) SubscribeBuffer(size int, names ...string) *Subscription {
	return q.events.add(size, q.opts.eventBytes, names, nil)
}

// CallAndWait runs command like Call and waits for both its reply and the
// first event named event for which match returns true (any such event
// when match is nil), whichever order they come in: it subscribes before
// sending, so an event QEMU sends before the reply (STOP before stop's
// reply; DEVICE_DELETED before or after device_del's) is not missed.
// match runs on the session's reader goroutine: keep it quick and do not
// call the session from it. A command error returns at once.
func (q *QMP) CallAndWait(ctx context.Context, command string, args, result any, event string, match func(Event) bool, opts ...CallOption) (Event, error) {
	// One event at most, itself within the maximum message size: no
	// bound in bytes, which could drop the very event awaited.
	sub := q.events.add(1, math.MaxInt, []string{event}, match)
	defer sub.Close()
	if err := q.Call(ctx, command, args, result, opts...); err != nil {
		return Event{}, err
	}
	select {
	case ev, ok := <-sub.ch:
		if !ok {
			return Event{}, q.connErr()
		}
		return ev, nil
	case <-ctx.Done():
		return Event{}, ctx.Err()
	}
}

// Done is closed when the connection is gone: closed by either side, or
// failed.
func (q *QMP) Done() <-chan struct{} { return q.done }

// Err is nil while the connection is up, then the *ConnError that ended
// it (wrapping the cause: ErrClosed after Close, io.EOF, a reset, a
// *ProtocolError, ...).
func (q *QMP) Err() error { return q.errValue() }
