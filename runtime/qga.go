package runtime

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"sync"
)

// QGA is a guest agent session. It implements Caller. The agent runs one
// command at a time, so calls are serialised; a call waiting for its turn
// still honours its context.
type QGA struct {
	session
	sem      chan struct{} // the call in progress holds it
	wb       reqBuf        // guarded by sem
	needSync bool          // guarded by sem: resynchronise before the next call

	mu       sync.Mutex // guards cur and the sync state
	cur      *call      // the call waiting for a reply; whoever takes it out completes it
	syncing  bool
	syncID   uint64
	sentinel bool // 0xFF seen since the sync started
}

var _ Caller = (*QGA)(nil)

// DialQGA connects to a guest agent socket (the host end of the agent's
// virtio-serial channel, or qemu-ga's own listening socket) and
// synchronises the session.
func DialQGA(ctx context.Context, network, address string, opts ...Option) (*QGA, error) {
	c, err := Dial(ctx, network, address)
	if err != nil {
		return nil, err
	}
	return NewQGA(ctx, c, opts...)
}

// AcceptQGA waits for an agent channel to connect to ln and synchronises
// the session.
func AcceptQGA(ctx context.Context, ln net.Listener, opts ...Option) (*QGA, error) {
	c, err := Accept(ctx, ln)
	if err != nil {
		return nil, err
	}
	return NewQGA(ctx, c, opts...)
}

// NewQGA runs a guest agent session over conn, which it takes over (and
// closes on failure), and synchronises it (see Sync). ctx bounds the
// synchronisation only.
func NewQGA(ctx context.Context, conn net.Conn, opts ...Option) (*QGA, error) {
	q := &QGA{sem: make(chan struct{}, 1), needSync: true}
	q.init(conn, buildOptions(opts))
	q.proto = "qga"
	q.wb.init()
	go q.readLoop()
	if err := q.Sync(ctx); err != nil {
		q.Close()
		return nil, err
	}
	return q, nil
}

// Close closes the connection: a pending call fails with a *ConnError
// wrapping ErrClosed, and the reader goroutine has exited when Close
// returns. Close is idempotent.
func (q *QGA) Close() error {
	q.fail(ErrClosed)
	<-q.readerDone
	return nil
}

func (q *QGA) fail(cause error) {
	if !q.markFailed(cause) {
		return
	}
	e := q.err.Load()
	q.mu.Lock()
	c := q.cur
	q.cur = nil
	q.mu.Unlock()
	if c != nil {
		c.failWith(e)
	}
}

func (q *QGA) acquire(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case q.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-q.done:
		return q.connErr()
	}
}

func (q *QGA) release() { <-q.sem }

// Sync resynchronises the channel: it sends 0xFF and guest-sync-delimited
// with a random id, and discards everything the agent sends up to the
// 0xFF it answers with and the matching return. Sessions do this on
// connect and before the first call after a call was cancelled or timed
// out or the agent sent something malformed; calling it directly is
// rarely needed.
func (q *QGA) Sync(ctx context.Context) error {
	if err := q.acquire(ctx); err != nil {
		return err
	}
	defer q.release()
	return q.sync(ctx)
}

func (q *QGA) sync(ctx context.Context) error {
	id := rand.Uint64() >> 12 // fits a JSON number QEMU parses exactly
	q.wb.b.Reset()
	if err := q.wb.appendRequest("\xff", "guest-sync-delimited", json.RawMessage(`{"id":`+strconv.FormatUint(id, 10)+`}`), false, 0); err != nil {
		return err
	}
	c := getCall()
	q.mu.Lock()
	q.cur, q.syncing, q.syncID, q.sentinel = c, true, id, false
	q.mu.Unlock()
	if q.err.Load() != nil { // failed before cur was visible to fail
		return q.connErr()
	}
	q.log.Debug("qga: resynchronising", "id", id)
	if err := q.write(ctx, c, nil); err != nil {
		return err
	}
	if err := q.wait(ctx, c); err != nil {
		return err
	}
	err := qgaErr(c.result("guest-sync-delimited", nil))
	putCall(c)
	if err != nil {
		return err
	}
	q.needSync = false
	return nil
}

// write writes the request in q.wb for c (nil for a NoReply call). On
// error c is given up: it returns ctx's error when ctx cut the write
// short (the session must resynchronise), a *RequestError when the
// request's files could not be passed (nothing was written), and the
// session's error when the connection failed.
func (q *QGA) write(ctx context.Context, c *call, files []*os.File) error {
	n, err := q.writeCtx(ctx, q.wb.b.Bytes(), files)
	if err == nil {
		return nil
	}
	q.mu.Lock()
	if q.cur == c {
		q.cur = nil
	}
	q.mu.Unlock()
	if c != nil {
		c.abandoned.Store(true)
	}
	_, local := err.(*filesError)
	switch {
	case err == errWriteInterrupted:
		// Part of the request may have gone out: the next call's 0xFF
		// makes the agent discard it.
		q.needSync = true
		return ctxErr(ctx)
	case local && n == 0:
		return err
	}
	q.fail(err)
	return q.connErr()
}

// wait waits for c; on cancellation c is abandoned (its reply will be
// dropped) and the session must resynchronise.
func (q *QGA) wait(ctx context.Context, c *call) error {
	select {
	case <-c.ch:
		return nil
	case <-ctx.Done():
	}
	q.mu.Lock()
	if q.cur == c {
		q.cur = nil
	}
	q.mu.Unlock()
	c.abandoned.Store(true)
	q.needSync = true
	return ctx.Err()
}

// Call implements Caller. With NoReply (guest-shutdown, guest-suspend-*)
// it returns once the request is written.
func (q *QGA) Call(ctx context.Context, command string, args, result any, opts ...CallOption) error {
	c, err := q.roundTrip(ctx, command, args, ApplyCallOptions(opts))
	if c == nil {
		return err
	}
	err = qgaErr(c.result(command, result))
	putCall(c)
	return err
}

// Execute runs command with args (nil, or anything encoding/json turns
// into an object) and returns the reply's raw "return" value.
func (q *QGA) Execute(ctx context.Context, command string, args any, opts ...CallOption) (json.RawMessage, error) {
	c, err := q.roundTrip(ctx, command, args, ApplyCallOptions(opts))
	if c == nil {
		return nil, err
	}
	raw, err := c.raw(command)
	err = qgaErr(err)
	putCall(c)
	return raw, err
}

func (q *QGA) roundTrip(ctx context.Context, command string, args any, o CallOptions) (*call, error) {
	if o.OOB {
		return nil, errorString("runtime: " + command + ": the guest agent has no out-of-band execution")
	}
	if err := q.acquire(ctx); err != nil {
		return nil, err
	}
	defer q.release()
	if q.needSync {
		if err := q.sync(ctx); err != nil {
			return nil, err
		}
	}
	q.wb.b.Reset()
	if err := q.wb.appendRequest("", command, args, false, 0); err != nil {
		return nil, err
	}
	var c *call
	if !o.NoReply {
		c = getCall()
		q.mu.Lock()
		q.cur = c
		q.mu.Unlock()
		if e := q.err.Load(); e != nil {
			return nil, e
		}
	}
	if err := q.write(ctx, c, o.Files); err != nil {
		if fe, ok := err.(*filesError); ok {
			return nil, &RequestError{Command: command, Err: fe}
		}
		return nil, err
	}
	if c == nil {
		// A command without a success response may still answer with an
		// error (a blocked or failed guest-shutdown): resynchronise
		// before the next call so that such a reply is discarded.
		q.needSync = true
		return nil, nil
	}
	if err := q.wait(ctx, c); err != nil {
		return nil, err
	}
	if _, ok := c.err.(*ProtocolError); ok {
		q.needSync = true
	}
	return c, nil
}

type errorString string

func (e errorString) Error() string { return string(e) }

// resyncBudget bounds what the reader discards of an oversize line, and
// what it reads while a synchronisation waits for the agent's answer:
// the rest of a reply somewhat over the limit and stale replies fit, an
// endless stream from a hostile agent does not, and closes the session.
func (q *QGA) resyncBudget() int64 { return 4*int64(q.opts.maxMsg) + 4<<20 }

// readLoop is the session's reader goroutine: it reads every message
// until the connection fails, and fails the session then.
func (q *QGA) readLoop() {
	defer close(q.readerDone)
	var syncID uint64 // the synchronisation the budget is counted for
	var syncStart int64
	for {
		start := q.fr.consumed
		msg, term, err := q.fr.nextAgent()
		switch {
		case err == errTooLong:
			if !q.skipOversize(msg) {
				return
			}
		case err != nil:
			q.fail(err)
			return
		case term == 0xFF:
			q.mu.Lock()
			q.sentinel = true
			q.mu.Unlock()
			if len(trimSpace(msg)) > 0 {
				q.logDrop("discarded before the sentinel", msg)
			}
		default:
			q.handle(msg)
		}
		q.mu.Lock()
		syncing, id := q.syncing, q.syncID
		q.mu.Unlock()
		if !syncing {
			continue
		}
		if id != syncID {
			syncID, syncStart = id, start
		}
		if n := q.fr.consumed - syncStart; n > q.resyncBudget() {
			q.fail(&ProtocolError{Msg: "the agent sent " + strconv.FormatInt(n, 10) +
				" bytes without answering the synchronisation", proto: "qga"})
			return
		}
	}
}

// skipOversize handles a line over the maximum size, of which the
// reader has read the start (head). The call waiting for a reply fails at
// once with a *ProtocolError wrapping ErrMessageTooLarge (the next call
// resynchronises); while synchronising, the line is stale and discarded.
// The reader then discards the rest of the line, up to its "\n" or 0xFF,
// but at most resyncBudget bytes: a line longer than that (a hostile
// agent's endless line) closes the session, so that it costs bounded CPU.
// It reports false when the session has ended.
func (q *QGA) skipOversize(head []byte) bool {
	e := protoErr("message over the maximum size", head, ErrMessageTooLarge)
	e.proto = "qga"
	q.mu.Lock()
	syncing, c := q.syncing, q.cur
	if !syncing {
		q.cur = nil
	}
	q.mu.Unlock()
	switch {
	case syncing:
		q.log.Debug("qga: oversize message discarded while resynchronising")
	case c != nil:
		c.failWith(e)
	default:
		q.log.Debug("qga: oversize message while no call waits", "err", e)
	}
	term, err := q.fr.skipLine(q.resyncBudget())
	if err != nil {
		q.fail(err)
		return false
	}
	switch term {
	case 0:
		q.fail(&ProtocolError{Msg: "the agent sent a line of more than " +
			strconv.FormatInt(q.resyncBudget(), 10) + " bytes", Err: ErrMessageTooLarge, proto: "qga"})
		return false
	case 0xFF:
		q.mu.Lock()
		q.sentinel = true
		q.mu.Unlock()
	}
	return true
}

// handle dispatches one line from the agent.
func (q *QGA) handle(msg []byte) {
	msg = trimSpace(msg)
	if len(msg) == 0 {
		return
	}
	q.logRecv(msg)
	q.mu.Lock()
	syncing, syncID, seen, c := q.syncing, q.syncID, q.sentinel, q.cur
	q.mu.Unlock()
	f, err := decodeMessage(msg)
	if err == nil && f.qmp != nil {
		// A QMP monitor greets as soon as a client connects; an agent
		// never does. The session is useless: fail it, whether or not a
		// call has begun.
		e := protoErr("found a QMP greeting: this is a QMP monitor, not a guest agent", msg, nil)
		e.proto = "qga"
		q.fail(e)
		return
	}
	if syncing {
		switch {
		case err == nil && seen && f.ret != nil && string(f.ret) == strconv.FormatUint(syncID, 10):
			q.mu.Lock()
			mine := q.cur == c && c != nil
			if mine {
				q.cur, q.syncing = nil, false
			}
			q.mu.Unlock()
			if mine {
				q.complete(c, msg, f, "", "")
			}
		default:
			q.logDrop("discarded while resynchronising", msg)
		}
		return
	}
	if err != nil {
		q.protocolError(c, err.(*ProtocolError))
		return
	}
	if f.ret == nil && f.err == nil {
		q.protocolError(c, protoErr("message is not a reply", msg, nil))
		return
	}
	class, desc, err := checkReply(msg, f)
	if err != nil {
		q.protocolError(c, err.(*ProtocolError))
		return
	}
	// Only the one who takes c out of q.cur completes it: fail may have
	// taken it (and completed it) since the snapshot above.
	q.mu.Lock()
	if q.cur == c {
		q.cur = nil
	} else {
		c = nil
	}
	q.mu.Unlock()
	if c == nil {
		q.logDrop("reply nobody waits for dropped", msg)
		return
	}
	q.complete(c, msg, f, class, desc)
}

func (q *QGA) complete(c *call, msg []byte, f fields, class, desc string) {
	if c.abandoned.Load() {
		q.logDrop("reply to a cancelled call dropped", msg)
		return
	}
	c.setReply(msg, f, class, desc, q.fr.take(msg))
	c.complete()
}

// protocolError fails c, the call that was in progress when the
// malformed line arrived, if it still is; the next call resynchronises.
// A call begun since (a synchronisation above all, whose whole purpose
// is to discard such lines) is left alone: the line predates its request.
func (q *QGA) protocolError(c *call, e *ProtocolError) {
	e.proto = "qga"
	q.log.Debug("qga: protocol error", "err", e)
	q.mu.Lock()
	if c != nil && q.cur == c && !q.syncing {
		q.cur = nil
	} else {
		c = nil
	}
	q.mu.Unlock()
	if c != nil {
		c.failWith(e)
	}
}

// Done is closed when the connection is gone: closed by either side, or
// failed.
func (q *QGA) Done() <-chan struct{} { return q.done }

// Err is nil while the connection is up, then the *ConnError that ended
// it (wrapping the cause: ErrClosed after Close, io.EOF, a reset, a
// *ProtocolError, ...).
func (q *QGA) Err() error { return q.errValue() }
