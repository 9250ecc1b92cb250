package runtime

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Dial connects to a QMP or QGA socket: network is "unix" or "tcp" (or
// anything net.Dialer accepts).
func Dial(ctx context.Context, network, address string) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, network, address)
}

// Accept waits for a peer to connect to ln: for a QEMU started with
// "-qmp unix:PATH,server=off" or a chardev in client mode. When ctx ends
// first, Accept interrupts the wait if ln has SetDeadline (as
// *net.UnixListener and *net.TCPListener do); otherwise a connection that
// arrives later is closed.
func Accept(ctx context.Context, ln net.Listener) (net.Conn, error) {
	type result struct {
		c   net.Conn
		err error
	}
	ch := make(chan result, 1)
	go func() {
		c, err := ln.Accept()
		ch <- result{c, err}
	}()
	select {
	case r := <-ch:
		return r.c, r.err
	case <-ctx.Done():
	}
	type deadliner interface{ SetDeadline(time.Time) error }
	if d, ok := ln.(deadliner); ok && d.SetDeadline(time.Unix(1, 0)) == nil {
		r := <-ch
		d.SetDeadline(time.Time{})
		if r.err == nil {
			return r.c, nil // won the race
		}
		return nil, ctx.Err()
	}
	go func() {
		if r := <-ch; r.c != nil {
			r.c.Close()
		}
	}()
	return nil, ctx.Err()
}

// session is what QMP and QGA sessions share: the connection, the framed
// reader owned by the reader goroutine, the serialised writer, and the
// connection's fate.
type session struct {
	conn  net.Conn
	fr    *frameReader
	log   *slog.Logger
	opts  options
	proto string // "qga" on a QGA session, "" on a QMP one: see protoName

	// wsem serialises writers while letting waiting ones honour their
	// context; the holder owns wb and enc.
	wsem chan struct{}
	wb   bytes.Buffer
	enc  *json.Encoder

	// Reading (see readFor): whoever holds the read token reads and
	// dispatches messages. A caller waiting for its reply takes the token
	// when it is free and reads the reply itself, which spares a goroutine
	// switch per call; the background goroutine takes it after the
	// connection has been idle for idleDelay, so that events and EOF are
	// seen without calls.
	rtok        chan struct{}
	activity    atomic.Uint64 // counts releases of the token
	watched     atomic.Bool   // see watch
	subscribers atomic.Int32  // event subscriptions open (see promptEvents)
	kick        chan struct{} // asks the background goroutine to read now
	step        func() (completed bool, err error)
	deadlines   bool   // conn supports read deadlines (to interrupt a reading caller)
	interruptFn func() // s.interrupt, allocated once

	// writeCtx's interruption (writes are serialised): interruptWriteFn
	// sets a write deadline in the past and then signals wfired.
	interruptWriteFn func()
	wfired           chan struct{}

	failOnce   sync.Once
	done       chan struct{}
	err        atomic.Pointer[ConnError]
	readerDone chan struct{}
}

// The background goroutine looks whether the session has gone idle
// idleDelay after it gave the read token away, then at doubling intervals
// up to maxWatchedDelay or maxIdleDelay. Measured here: any goroutine
// waking periodically makes a whole process's socket round trips dearer,
// by 40 % when it wakes every millisecond and by about 10 % every 10 ms.
const (
	idleDelay       = 10 * time.Millisecond
	maxWatchedDelay = 40 * time.Millisecond
	maxIdleDelay    = time.Second
)

// errInterrupted is what step returns when a read deadline (set to
// interrupt a caller whose context ended) cut a read short; the partial
// message is kept for the next read.
var errInterrupted = errors.New("read interrupted")

var longAgo = time.Unix(1, 0)

func (s *session) interrupt() { s.conn.SetReadDeadline(longAgo) }

func (s *session) clearDeadline() { s.conn.SetReadDeadline(time.Time{}) }

func isDeadline(err error) bool { return errors.Is(err, os.ErrDeadlineExceeded) }

// releaseRead gives the read token back.
func (s *session) releaseRead() {
	s.activity.Add(1)
	s.rtok <- struct{}{}
}

// background is the session's one goroutine. It starts holding the read
// token (to read a greeting or a sync reply) and reads until a call
// completes. Then it gives the token to the callers and looks, after
// idleDelay, whether the token has been left free with no call since; if
// so it takes it and reads, blocked in Read, until the next reply. While
// callers are busy it looks less and less often, down to once every
// maxWatchedDelay when someone waits for events or the connection's end
// (see watch), once every maxIdleDelay otherwise. An idle session thus
// has no timer and never wakes up, and a busy one has no per-call timer
// and, once past the first delays, hardly any wakeups.
func (s *session) background() {
	defer close(s.readerDone)
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		for {
			completed, err := s.step()
			if err == errInterrupted {
				s.clearDeadline()
				continue
			}
			if err != nil {
				return
			}
			if completed && s.subscribers.Load() == 0 {
				break
			}
		}
		s.releaseRead()
		delay := idleDelay
	wait:
		for {
			seen := s.activity.Load()
			t.Reset(delay)
			select {
			case <-t.C:
			case <-s.kick:
				t.Stop()
				select {
				case <-s.rtok:
					break wait
				case <-s.done:
					return
				}
			case <-s.done:
				return
			}
			if s.activity.Load() == seen {
				select {
				case <-s.rtok:
					break wait
				default: // a caller is reading (a long call)
				}
			}
			limit := maxIdleDelay
			if s.watched.Load() {
				limit = maxWatchedDelay
			}
			delay = min(2*delay, limit)
		}
	}
}

// promptEvents has the background goroutine take the read token at once
// when the session has event subscribers: it then keeps reading (see
// background), so that events reach them without waiting for the idle
// check. A subscribed session's calls are then answered through the
// background goroutine (a goroutine switch each); one without
// subscribers pays an atomic load.
func (s *session) promptEvents() {
	if s.subscribers.Load() > 0 {
		select {
		case s.kick <- struct{}{}:
		default:
		}
	}
}

// watch marks the session as watched: someone waits for events or for the
// end of the connection, so the background goroutine must not leave
// input unread long between calls.
func (s *session) watch() {
	if !s.watched.Load() {
		s.watched.Store(true)
	}
}

// await waits for c to complete, honouring ctx: on cancellation c is
// abandoned (its late reply will be dropped) and ctx.Err() returned.
func (s *session) await(ctx context.Context, c *call) error {
	tok := s.rtok
	if ctx.Done() != nil && !s.deadlines {
		// We could not interrupt our own read: have the background
		// goroutine read for us.
		tok = nil
		select {
		case s.kick <- struct{}{}:
		default:
		}
	}
	for {
		select {
		case <-c.ch:
			return nil
		case <-tok:
			if err := s.readFor(ctx, c); err != nil {
				return err
			}
		case <-ctx.Done():
			if c.state.CompareAndSwap(callWaiting, callAbandoned) {
				return ctx.Err()
			}
			<-c.ch
			return nil
		}
	}
}

// readUntil reads and dispatches messages, holding the read token, until
// ready reports true, ctx ends or the connection fails; it gives the
// token back.
func (s *session) readUntil(ctx context.Context, ready func() bool) {
	var stop func() bool
	if ctx.Done() != nil {
		stop = context.AfterFunc(ctx, s.interruptFn)
	}
	for !ready() && (stop == nil || ctx.Err() == nil) {
		_, e := s.step()
		if e == errInterrupted {
			s.clearDeadline()
			continue
		}
		if e != nil {
			break
		}
	}
	if stop != nil && !stop() {
		s.clearDeadline()
	}
	s.releaseRead()
	s.promptEvents()
}

// readFor reads and dispatches messages, holding the read token, until c
// completes, ctx ends (c is abandoned and ctx.Err() returned) or the
// connection fails (which completes c). It gives the token back.
func (s *session) readFor(ctx context.Context, c *call) error {
	var stop func() bool
	if ctx.Done() != nil {
		stop = context.AfterFunc(ctx, s.interruptFn)
	}
	var err error
	for c.state.Load() == callWaiting {
		if stop != nil && ctx.Err() != nil {
			if c.state.CompareAndSwap(callWaiting, callAbandoned) {
				err = ctx.Err()
			}
			break
		}
		_, e := s.step()
		if e == errInterrupted {
			s.clearDeadline()
			continue
		}
		if e != nil {
			break
		}
	}
	if stop != nil && !stop() {
		s.clearDeadline()
	}
	s.releaseRead()
	s.promptEvents()
	return err
}

func (s *session) init(conn net.Conn, o options) {
	s.conn = conn
	s.opts = o
	s.log = o.logger
	s.fr = newFrameReader(conn, o.maxMsg)
	s.wsem = make(chan struct{}, 1)
	s.enc = json.NewEncoder(&s.wb)
	s.enc.SetEscapeHTML(false)
	s.done = make(chan struct{})
	s.readerDone = make(chan struct{})
	s.rtok = make(chan struct{}, 1)
	s.kick = make(chan struct{}, 1)
	s.interruptFn = s.interrupt
	s.wfired = make(chan struct{}, 1)
	s.interruptWriteFn = func() {
		s.conn.SetWriteDeadline(longAgo)
		s.wfired <- struct{}{}
	}
	s.deadlines = conn != nil && conn.SetReadDeadline(time.Time{}) == nil
}

func (s *session) errValue() error {
	s.watch()
	if e := s.err.Load(); e != nil {
		return e
	}
	return nil
}

func (s *session) connErr() error {
	if e := s.err.Load(); e != nil {
		return e
	}
	return &ConnError{proto: s.proto}
}

// markFailed records cause as the end of the connection and closes it;
// it reports whether this call did so (the first one).
func (s *session) markFailed(cause error) bool {
	first := false
	s.failOnce.Do(func() {
		first = true
		s.err.Store(&ConnError{Err: cause, proto: s.proto})
		close(s.done)
		s.conn.Close()
		if !errors.Is(cause, ErrClosed) {
			s.log.Debug(protoName(s.proto)+": connection failed", "err", cause)
		}
	})
	return first
}

func (s *session) debug() bool {
	return s.log.Enabled(context.Background(), slog.LevelDebug)
}

// lockWrite takes the writer's seat, honouring ctx.
func (s *session) lockWrite(ctx context.Context) error {
	select {
	case s.wsem <- struct{}{}:
		return nil
	default:
	}
	select {
	case s.wsem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-s.done:
		return s.connErr()
	}
}

func (s *session) unlockWrite() { <-s.wsem }

// encodeRequest builds the request in s.wb (writer's seat held); see
// appendRequest.
func (s *session) encodeRequest(prefix, command string, args any, oob bool, id uint64) ([]byte, error) {
	s.wb.Reset()
	if err := appendRequest(&s.wb, s.enc, prefix, command, args, oob, id); err != nil {
		return nil, err
	}
	return s.wb.Bytes(), nil
}

// reqBuf is a request buffer with its encoder for the arguments.
type reqBuf struct {
	b   bytes.Buffer
	enc *json.Encoder
}

func (r *reqBuf) init() {
	r.enc = json.NewEncoder(&r.b)
	r.enc.SetEscapeHTML(false)
}

// appendRequest appends the request to wb, encoding arguments with enc
// (which writes to wb):
// {"execute":"cmd","arguments":{...}} or, for out-of-band calls,
// {"exec-oob":"cmd","arguments":{...},"id":N}; no spaces, no empty or
// null arguments. prefix is written first (QGA's 0xFF). On error wb is
// left as it was.
func appendRequest(wb *bytes.Buffer, enc *json.Encoder, prefix, command string, args any, oob bool, id uint64) (err error) {
	start := wb.Len()
	defer func() {
		if err != nil {
			wb.Truncate(start)
		}
	}()
	wb.WriteString(prefix)
	if oob {
		wb.WriteString(`{"exec-oob":`)
	} else {
		wb.WriteString(`{"execute":`)
	}
	if plainName(command) {
		wb.WriteByte('"')
		wb.WriteString(command)
		wb.WriteByte('"')
	} else {
		b, _ := json.Marshal(command)
		wb.Write(b)
	}
	if args != nil {
		mark := wb.Len()
		wb.WriteString(`,"arguments":`)
		astart := wb.Len()
		switch a := args.(type) {
		case json.RawMessage:
			if len(a) == 0 {
				wb.WriteString("null")
			} else {
				err = json.Compact(wb, a)
			}
		default:
			if err = enc.Encode(args); err == nil {
				wb.Truncate(wb.Len() - 1) // Encode's newline
			}
		}
		if err != nil {
			return err
		}
		v := wb.Bytes()[astart:]
		switch {
		case string(v) == "null" || string(v) == "{}":
			wb.Truncate(mark)
		case v[0] != '{':
			return errors.New("runtime: arguments of " + command + " are not a JSON object")
		}
	}
	if oob {
		wb.WriteString(`,"id":`)
		var nb [20]byte
		wb.Write(strconv.AppendUint(nb[:0], id, 10))
	}
	wb.WriteString("}\n")
	return nil
}

func plainName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

func (s *session) write(b []byte, files []*os.File) error {
	_, err := s.writeN(b, files)
	return err
}

// writeN is write that also returns the number of bytes written.
func (s *session) writeN(b []byte, files []*os.File) (int, error) {
	if s.debug() {
		s.log.Debug("qmp: send", "msg", string(bytes.TrimPrefix(bytes.TrimSuffix(b, []byte("\n")), []byte{0xFF})))
	}
	if len(files) > 0 {
		return writeWithFiles(s.conn, b, files)
	}
	return s.conn.Write(b)
}

// errWriteInterrupted is what writeCtx returns when ctx ended during the
// write: only the first n bytes went out.
var errWriteInterrupted = errors.New("write interrupted")

// writeCtx is write bounded by ctx (when the connection has deadlines): a
// peer that stops reading cannot hold the caller past its context. It
// returns the number of bytes written, and errWriteInterrupted when ctx
// cut the write short.
func (s *session) writeCtx(ctx context.Context, b []byte, files []*os.File) (int, error) {
	if ctx.Done() == nil || !s.deadlines {
		return s.writeN(b, files)
	}
	if dl, ok := ctx.Deadline(); ok {
		// Cheaper than AfterFunc (no allocation, no callback); a
		// cancellation before the deadline is not seen until it.
		s.conn.SetWriteDeadline(dl)
		n, err := s.writeN(b, files)
		s.conn.SetWriteDeadline(time.Time{})
		if err != nil && isDeadline(err) && s.err.Load() == nil {
			return n, errWriteInterrupted
		}
		return n, err
	}
	stop := context.AfterFunc(ctx, s.interruptWriteFn)
	n, err := s.writeN(b, files)
	if stop() {
		return n, err
	}
	<-s.wfired // the deadline is set: clear it for the next write
	s.conn.SetWriteDeadline(time.Time{})
	if err != nil && isDeadline(err) && s.err.Load() == nil {
		return n, errWriteInterrupted
	}
	return n, err
}

// ctxErr is ctx.Err() once writeCtx was interrupted: the connection's
// deadline may fire a moment before ctx's own timer.
func ctxErr(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return context.DeadlineExceeded
}

// call is one request waiting for its reply. Calls are pooled; a call
// whose caller gave up is left to the garbage collector.
type call struct {
	ch    chan struct{} // signalled once the outcome is set
	state atomic.Int32
	buf   []byte // the reply message (owned copy)
	f     fields // spans into buf
	err   error  // connection or protocol error instead of a reply
	class string // an error reply's class and description
	desc  string
}

const (
	callWaiting int32 = iota
	callDone
	callAbandoned
)

var callPool = sync.Pool{New: func() any { return &call{ch: make(chan struct{}, 1)} }}

func getCall() *call {
	c := callPool.Get().(*call)
	c.state.Store(callWaiting)
	c.err = nil
	c.f = fields{}
	return c
}

func putCall(c *call) {
	if cap(c.buf) > keepLineBuffer {
		c.buf = nil
	}
	callPool.Put(c)
}

// complete hands the outcome to the caller; it reports false when the
// caller has given up.
func (c *call) complete() bool {
	if c.state.CompareAndSwap(callWaiting, callDone) {
		c.ch <- struct{}{}
		return true
	}
	return false
}

// setReply stores msg in the call and re-derives the spans. owned, when
// not nil, is a buffer holding msg that the reader handed over
// (frameReader.take): the call keeps it instead of a copy. Otherwise msg
// is copied (the reader's buffer is reused).
func (c *call) setReply(msg []byte, f fields, class, desc string, owned []byte) {
	c.class, c.desc = class, desc
	if owned != nil {
		c.buf = owned
		c.f = fields{ret: f.ret, err: f.err, id: f.id}
		return
	}
	c.buf = append(c.buf[:0], msg...)
	base := msg
	c.f = fields{
		ret: rebase(c.buf, base, f.ret),
		err: rebase(c.buf, base, f.err),
		id:  rebase(c.buf, base, f.id),
	}
}

func rebase(dst, base, span []byte) []byte {
	if span == nil {
		return nil
	}
	off := cap(base) - cap(span)
	return dst[off : off+len(span)]
}

// result turns a completed call into the caller's outcome.
func (c *call) result(command string, result any) error {
	if c.err != nil {
		return c.err
	}
	if c.f.err != nil {
		return &CommandError{Command: command, Class: ErrorClass(c.class), Desc: c.desc}
	}
	if result == nil {
		return nil
	}
	if c.f.ret == nil {
		return protoErr("reply has neither return nor error", c.buf, nil)
	}
	if raw, ok := result.(*json.RawMessage); ok {
		if r := c.handOver(); r != nil {
			*raw = r
		} else {
			*raw = append((*raw)[:0], c.f.ret...)
		}
		return nil
	}
	return json.Unmarshal(c.f.ret, result)
}

// raw returns a copy of the reply's return value.
func (c *call) raw(command string) (json.RawMessage, error) {
	if c.err != nil || c.f.err != nil || c.f.ret == nil {
		return nil, c.result(command, struct{}{})
	}
	if r := c.handOver(); r != nil {
		return r, nil
	}
	return append(json.RawMessage(nil), c.f.ret...), nil
}

// handOver gives the return value away without copying it when the
// call's buffer is one putCall would drop anyway (a large reply) and the
// value fills at least half of it: the call forgets the buffer. It
// returns nil otherwise (the value is copied).
func (c *call) handOver() json.RawMessage {
	if cap(c.buf) <= keepLineBuffer || 2*len(c.f.ret) < cap(c.buf) {
		return nil
	}
	r := c.f.ret[:len(c.f.ret):len(c.f.ret)]
	c.buf, c.f = nil, fields{}
	return r
}

// checkReply validates a reply's shape: a "return" member or an "error"
// object with a string class, and returns the error's class and
// description.
func checkReply(msg []byte, f fields) (class, desc string, err error) {
	if f.err == nil {
		return "", "", nil
	}
	var e struct {
		Class *string `json:"class"`
		Desc  string  `json:"desc"`
	}
	if f.err[0] != '{' || json.Unmarshal(f.err, &e) != nil || e.Class == nil {
		return "", "", protoErr("malformed error reply", msg, nil)
	}
	return *e.Class, e.Desc, nil
}
