package runtime

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
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
	greeted    bool // guarded by the read token
	oob        bool

	// Correlation (see the package doc): in-band calls wait in FIFO
	// order, out-of-band ones by id.
	pmu    sync.Mutex
	fifo   ring
	oobMap map[uint64]*call

	// Writing is group commit: a caller appends its request to the
	// current buffer and, if nobody is writing, becomes the writer and
	// writes buffers until none is left; concurrent callers' requests go
	// out together in one write. The byte order of requests is the FIFO
	// order since both are decided under wmu.
	wmu      sync.Mutex
	wcond    sync.Cond // signalled when flushing ends
	wbufs    [2]reqBuf
	wcur     int
	flushing bool
	nextID   uint64         // guarded by wmu
	writers  sync.WaitGroup // writers that took over from a caller (flush)

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
	q.wcond.L = &q.wmu
	q.wbufs[0].init()
	q.wbufs[1].init()
	q.events.log = q.log
	q.events.count = &q.subscribers
	q.step = q.readStep
	go q.background()
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
		return fail(ctx.Err())
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
	// A writer that took over from a caller (see flush) registers under
	// wmu while the session is up: once Close has held wmu after the
	// session failed, none can register any more.
	q.wmu.Lock()
	q.wmu.Unlock()
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
// completed call, or nil and an error.
func (q *QMP) roundTrip(ctx context.Context, command string, args any, o CallOptions) (*call, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if o.OOB && !q.oob {
		return nil, errors.New("runtime: " + command + ": out-of-band execution was not negotiated")
	}
	// Files must travel with this request's own write, and NoReply calls
	// return once their request is written: both write alone.
	alone := len(o.Files) > 0 || o.NoReply
	q.wmu.Lock()
	if alone && q.flushing && q.err.Load() == nil {
		stop := context.AfterFunc(ctx, func() {
			q.wmu.Lock()
			q.wcond.Broadcast()
			q.wmu.Unlock()
		})
		for q.flushing && q.err.Load() == nil && ctx.Err() == nil {
			q.wcond.Wait()
		}
		stop()
	}
	if e := q.err.Load(); e != nil {
		q.wmu.Unlock()
		return nil, e
	}
	if alone && q.flushing { // ctx ended while waiting
		q.wmu.Unlock()
		return nil, ctx.Err()
	}
	var id uint64
	if o.OOB {
		q.nextID++
		id = q.nextID
	}
	w := &q.wbufs[q.wcur]
	if err := appendRequest(&w.b, w.enc, "", command, args, o.OOB, id); err != nil {
		q.wmu.Unlock()
		return nil, err
	}
	var c *call
	if !o.NoReply {
		c = getCall()
		q.pmu.Lock()
		if o.OOB {
			if q.oobMap == nil {
				q.oobMap = make(map[uint64]*call)
			}
			q.oobMap[id] = c
		} else {
			q.fifo.push(c)
		}
		q.pmu.Unlock()
	}
	writer := !q.flushing
	q.flushing = true
	q.wmu.Unlock()
	if writer {
		if err := q.flush(ctx, o.Files); err != nil && c == nil {
			if err == errHandedOff {
				return nil, ctxErr(ctx)
			}
			return nil, q.connErr()
		}
	}
	if c == nil {
		return nil, nil
	}
	if err := q.await(ctx, c); err != nil {
		return nil, err
	}
	return c, nil
}

// flush writes request buffers until none is pending (the caller set
// q.flushing); files go with the first write. A write error fails the
// session. When ctx ends mid-write (a peer that has stopped reading), a
// goroutine of its own takes the writing over and flush returns
// errHandedOff: a QMP request cut short cannot be taken back, so the rest
// must still go out, but the caller need not wait for it.
func (q *QMP) flush(ctx context.Context, files []*os.File) error {
	for {
		q.wmu.Lock()
		w := &q.wbufs[q.wcur]
		if w.b.Len() == 0 {
			q.flushing = false
			q.wcond.Broadcast()
			q.wmu.Unlock()
			return nil
		}
		q.wcur ^= 1
		q.wmu.Unlock()
		if err := q.flushBuf(ctx, w, files); err != nil {
			return err
		}
		files = nil
	}
}

var errHandedOff = errors.New("write handed over")

// flushBuf writes w's buffer (see flush).
func (q *QMP) flushBuf(ctx context.Context, w *reqBuf, files []*os.File) error {
	n, err := q.writeCtx(ctx, w.b.Bytes(), files)
	if err == errWriteInterrupted {
		w.b.Next(n)
		q.wmu.Lock()
		if q.err.Load() == nil { // see Close
			q.writers.Add(1)
			go func() {
				defer q.writers.Done()
				if q.flushBuf(context.Background(), w, nil) == nil {
					q.flush(context.Background(), nil)
				}
			}()
			q.wmu.Unlock()
			return errHandedOff
		}
		q.wmu.Unlock()
		err = q.connErr()
	}
	if w.b.Cap() > keepLineBuffer {
		w.b = bytes.Buffer{}
	} else {
		w.b.Reset()
	}
	if err != nil {
		q.fail(err)
		q.wmu.Lock()
		q.flushing = false
		q.wcond.Broadcast()
		q.wmu.Unlock()
		return err
	}
	return nil
}

// fail ends the session with cause and fails every pending call.
func (q *QMP) fail(cause error) {
	if !q.markFailed(cause) {
		return
	}
	e := q.err.Load()
	q.wmu.Lock()
	q.wcond.Broadcast() // writers waiting to write alone
	q.wmu.Unlock()
	q.pmu.Lock()
	for c := q.fifo.pop(); c != nil; c = q.fifo.pop() {
		c.err = e
		c.complete()
	}
	for id, c := range q.oobMap {
		c.err = e
		c.complete()
		delete(q.oobMap, id)
	}
	q.pmu.Unlock()
	q.events.closeAll()
	select {
	case q.greetingCh <- e:
	default:
	}
}

// readStep reads one message and handles it (whoever holds the read
// token calls it). It reports whether a call completed; an error other
// than errInterrupted means the session has failed.
func (q *QMP) readStep() (completed bool, err error) {
	msg, err := q.fr.next()
	if err != nil {
		if isDeadline(err) && q.err.Load() == nil {
			return false, errInterrupted
		}
		if err == errTooLong {
			err = protoErr("message over the maximum size", msg, ErrMessageTooLarge)
		}
		q.fail(err)
		return false, err
	}
	if len(trimSpace(msg)) == 0 {
		return false, nil
	}
	if q.debug() {
		q.log.Debug("qmp: recv", "msg", string(msg))
	}
	f, err := decodeMessage(msg)
	if err != nil {
		q.fail(err)
		return false, err
	}
	switch {
	case !q.greeted:
		if f.qmp == nil {
			err := protoErr("expected the QMP greeting", msg, nil)
			q.fail(err)
			return false, err
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
			err := protoErr("malformed greeting", msg, err)
			q.fail(err)
			return false, err
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
	case f.ret != nil || f.err != nil:
		class, desc, err := checkReply(msg, f)
		if err != nil {
			q.fail(err)
			return false, err
		}
		return q.deliver(msg, f, class, desc), nil
	case f.event != nil:
		name, ok := unquote(f.event)
		if !ok {
			err := protoErr("event name is not a string", msg, nil)
			q.fail(err)
			return false, err
		}
		if q.events.wanted(name) {
			ev, _ := parseEvent(f)
			q.events.dispatch(ev)
		}
	default:
		err := protoErr("message is neither a reply nor an event", msg, nil)
		q.fail(err)
		return false, err
	}
	return false, nil
}

// deliver hands a reply to its caller: by id for out-of-band calls, else
// to the oldest in-band call.
func (q *QMP) deliver(msg []byte, f fields, class, desc string) bool {
	var c *call
	q.pmu.Lock()
	if f.id != nil {
		if id, ok := parseID(f.id); ok {
			c = q.oobMap[id]
			delete(q.oobMap, id)
		}
	} else {
		c = q.fifo.pop()
	}
	q.pmu.Unlock()
	if c == nil {
		q.log.Debug("qmp: reply nobody waits for dropped", "msg", string(msg))
		return false
	}
	if c.state.Load() == callAbandoned {
		q.log.Debug("qmp: reply to a cancelled call dropped", "msg", string(msg))
		return false
	}
	c.setReply(msg, f, class, desc, q.fr.take(msg))
	if !c.complete() {
		q.log.Debug("qmp: reply to a cancelled call dropped", "msg", string(msg))
		return false
	}
	return true
}

// Subscribe returns a subscription to the events named (all events when
// none is), with the session's event buffer size (WithEventBuffer).
func (q *QMP) Subscribe(names ...string) *Subscription {
	q.watch()
	sub := q.events.add(q.opts.eventBuffer, names, nil)
	q.promptEvents()
	return sub
}

// SubscribeBuffer is Subscribe with a buffer of size events.
func (q *QMP) SubscribeBuffer(size int, names ...string) *Subscription {
	q.watch()
	sub := q.events.add(size, names, nil)
	q.promptEvents()
	return sub
}

// CallAndWait runs command like Call and waits for both its reply and the
// first event named event for which match returns true (any such event
// when match is nil), whichever order they come in: it subscribes before
// sending, so an event QEMU sends before the reply (STOP before stop's
// reply; DEVICE_DELETED before or after device_del's) is not missed.
// match runs on the session's reader goroutine: keep it quick and do not
// call the session from it. A command error returns at once.
func (q *QMP) CallAndWait(ctx context.Context, command string, args, result any, event string, match func(Event) bool, opts ...CallOption) (Event, error) {
	q.watch()
	sub := q.events.add(1, []string{event}, match)
	defer sub.Close()
	if err := q.Call(ctx, command, args, result, opts...); err != nil {
		return Event{}, err
	}
	// Read for the event ourselves when nobody else does.
	tok := q.rtok
	if ctx.Done() != nil && !q.deadlines {
		tok = nil
	}
	ready := func() bool { return len(sub.ch) > 0 }
	for {
		select {
		case ev, ok := <-sub.ch:
			if !ok {
				return Event{}, q.connErr()
			}
			return ev, nil
		case <-tok:
			q.readUntil(ctx, ready)
		case <-ctx.Done():
			return Event{}, ctx.Err()
		}
	}
}

// ring is a FIFO of calls that reuses its storage.
type ring struct {
	buf        []*call
	head, size int
}

func (r *ring) push(c *call) {
	if r.size == len(r.buf) {
		n := make([]*call, max(8, 2*len(r.buf)))
		for i := 0; i < r.size; i++ {
			n[i] = r.buf[(r.head+i)%len(r.buf)]
		}
		r.buf, r.head = n, 0
	}
	r.buf[(r.head+r.size)%len(r.buf)] = c
	r.size++
}

func (r *ring) pop() *call {
	if r.size == 0 {
		return nil
	}
	c := r.buf[r.head]
	r.buf[r.head] = nil
	r.head = (r.head + 1) % len(r.buf)
	r.size--
	return c
}

// parseID reads the decimal id the session put in an exec-oob request.
func parseID(b []byte) (uint64, bool) {
	if len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	return n, true
}

// Done is closed when the connection is gone: closed by either side, or
// failed.
func (q *QMP) Done() <-chan struct{} {
	q.watch()
	return q.done
}

// Err is nil while the connection is up, then the *ConnError that ended
// it (wrapping the cause: ErrClosed after Close, io.EOF, a reset, a
// *ProtocolError, ...).
func (q *QMP) Err() error { return q.errValue() }
