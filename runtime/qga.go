package runtime

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
)

// QGA is a guest agent session. It implements Caller. The agent runs one
// command at a time, so calls are serialised; a call waiting for its turn
// still honours its context.
type QGA struct {
	session
	sem chan struct{} // the call in progress holds it

	mu       sync.Mutex // guards cur and the sync state
	cur      *call
	syncing  bool
	syncID   uint64
	sentinel bool // 0xFF seen since the sync started

	needSync bool // guarded by sem: resynchronise before the next call
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
	q.step = q.readStep
	go q.background()
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
		c.err = e
		c.complete()
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
	if err := q.lockWrite(ctx); err != nil {
		return err
	}
	b, err := q.encodeRequest("\xff", "guest-sync-delimited", json.RawMessage(`{"id":`+strconv.FormatUint(id, 10)+`}`), false, 0)
	if err != nil {
		q.unlockWrite()
		return err
	}
	c := getCall()
	q.mu.Lock()
	q.cur, q.syncing, q.syncID, q.sentinel = c, true, id, false
	q.mu.Unlock()
	if q.err.Load() != nil { // failed before cur was visible to fail
		q.unlockWrite()
		return q.connErr()
	}
	q.log.Debug("qga: resynchronising", "id", id)
	_, err = q.writeCtx(ctx, b, nil)
	q.unlockWrite()
	if err == errWriteInterrupted {
		q.abandon(c)
		return ctxErr(ctx)
	}
	if err != nil {
		q.fail(err)
	}
	if err := q.wait(ctx, c); err != nil {
		return err
	}
	err = qgaErr(c.result("guest-sync-delimited", nil))
	putCall(c)
	if err != nil {
		return err
	}
	q.needSync = false
	return nil
}

// abandon gives up c (nil for a NoReply call), whose request could not be
// written whole: the session must resynchronise.
func (q *QGA) abandon(c *call) {
	if c != nil {
		c.state.CompareAndSwap(callWaiting, callAbandoned)
		q.mu.Lock()
		if q.cur == c {
			q.cur = nil
		}
		q.mu.Unlock()
	}
	q.needSync = true
}

// wait waits for c; on cancellation the session must resynchronise.
func (q *QGA) wait(ctx context.Context, c *call) error {
	if err := q.await(ctx, c); err != nil {
		q.mu.Lock()
		if q.cur == c {
			q.cur = nil
		}
		q.mu.Unlock()
		q.needSync = true
		return err
	}
	return nil
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
	if err := q.lockWrite(ctx); err != nil {
		return nil, err
	}
	b, err := q.encodeRequest("", command, args, false, 0)
	if err != nil {
		q.unlockWrite()
		return nil, err
	}
	var c *call
	if !o.NoReply {
		c = getCall()
		q.mu.Lock()
		q.cur = c
		q.mu.Unlock()
		if e := q.err.Load(); e != nil {
			q.unlockWrite()
			return nil, e
		}
	}
	_, err = q.writeCtx(ctx, b, o.Files)
	q.unlockWrite()
	if err == errWriteInterrupted {
		// Part of the request may have gone out: the next call's 0xFF
		// makes the agent discard it.
		q.abandon(c)
		return nil, ctxErr(ctx)
	}
	if err != nil {
		q.fail(err)
		if c == nil {
			return nil, q.connErr()
		}
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
	if c.err != nil {
		if _, ok := c.err.(*ProtocolError); ok {
			q.needSync = true
		}
	}
	return c, nil
}

type errorString string

func (e errorString) Error() string { return string(e) }

// readStep reads one message and handles it (whoever holds the read
// token calls it). It reports whether a call completed; an error other
// than errInterrupted means the session has failed.
func (q *QGA) readStep() (completed bool, err error) {
	msg, term, err := q.fr.nextAgent()
	if err != nil && err != errTooLong && isDeadline(err) && q.err.Load() == nil {
		return false, errInterrupted
	}
	if term == 0xFF {
		q.mu.Lock()
		q.sentinel = true
		q.mu.Unlock()
		if len(trimSpace(msg)) > 0 {
			q.log.Debug("qga: discarded before sentinel", "msg", string(msg))
		}
		return false, nil
	}
	q.mu.Lock()
	syncing, syncID, seen, c := q.syncing, q.syncID, q.sentinel, q.cur
	q.mu.Unlock()
	if err == errTooLong {
		if syncing {
			q.log.Debug("qga: oversize message discarded while resynchronising")
		} else {
			return q.protocolError(protoErr("message over the maximum size", msg, ErrMessageTooLarge)), nil
		}
		return false, nil
	}
	if err != nil {
		q.fail(err)
		return false, err
	}
	msg = trimSpace(msg)
	if len(msg) == 0 {
		return false, nil
	}
	if q.debug() {
		q.log.Debug("qga: recv", "msg", string(msg))
	}
	f, err := decodeMessage(msg)
	if syncing {
		if err == nil && seen && f.ret != nil && string(f.ret) == strconv.FormatUint(syncID, 10) {
			q.mu.Lock()
			mine := q.cur == c
			if mine {
				q.cur, q.syncing = nil, false
			}
			q.mu.Unlock()
			if !mine { // failed meanwhile (fail took it) or abandoned
				c = nil
			}
			return q.complete(c, msg, f, "", ""), nil
		}
		q.log.Debug("qga: discarded while resynchronising", "msg", string(msg))
		return false, nil
	}
	if err != nil {
		return q.protocolError(err.(*ProtocolError)), nil
	}
	if f.ret == nil && f.err == nil {
		return q.protocolError(protoErr("message is not a reply", msg, nil)), nil
	}
	class, desc, err := checkReply(msg, f)
	if err != nil {
		return q.protocolError(err.(*ProtocolError)), nil
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
		q.log.Debug("qga: reply nobody waits for dropped", "msg", string(msg))
		return false, nil
	}
	return q.complete(c, msg, f, class, desc), nil
}

func (q *QGA) complete(c *call, msg []byte, f fields, class, desc string) bool {
	if c == nil || c.state.Load() == callAbandoned {
		q.log.Debug("qga: reply to a cancelled call dropped", "msg", string(msg))
		return false
	}
	c.setReply(msg, f, class, desc, q.fr.take(msg))
	if !c.complete() {
		q.log.Debug("qga: reply to a cancelled call dropped", "msg", string(msg))
		return false
	}
	return true
}

// protocolError fails the call in progress; the next call resynchronises.
func (q *QGA) protocolError(e *ProtocolError) bool {
	e.proto = "qga"
	q.log.Debug("qga: protocol error", "err", e)
	q.mu.Lock()
	c := q.cur
	q.cur = nil
	q.mu.Unlock()
	if c != nil {
		c.err = e
		return c.complete()
	}
	return false
}

// Done is closed when the connection is gone: closed by either side, or
// failed.
func (q *QGA) Done() <-chan struct{} {
	q.watch()
	return q.done
}

// Err is nil while the connection is up, then the *ConnError that ended
// it (wrapping the cause: ErrClosed after Close, io.EOF, a reset, a
// *ProtocolError, ...).
func (q *QGA) Err() error { return q.errValue() }
