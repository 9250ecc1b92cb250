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
	conn net.Conn
	fr   *frameReader
	log  *slog.Logger
	opts options

	// wsem serialises writers while letting waiting ones honour their
	// context; the holder owns wb and enc.
	wsem chan struct{}
	wb   bytes.Buffer
	enc  *json.Encoder

	failOnce   sync.Once
	done       chan struct{}
	err        atomic.Pointer[ConnError]
	readerDone chan struct{}
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
}

// Done is closed when the connection is gone (closed by either side or
// failed).
func (s *session) Done() <-chan struct{} { return s.done }

// Err is nil while the connection is up, then the *ConnError that ended
// it.
func (s *session) Err() error {
	if e := s.err.Load(); e != nil {
		return e
	}
	return nil
}

func (s *session) connErr() error {
	if e := s.err.Load(); e != nil {
		return e
	}
	return &ConnError{}
}

// markFailed records cause as the end of the connection and closes it;
// it reports whether this call did so (the first one).
func (s *session) markFailed(cause error) bool {
	first := false
	s.failOnce.Do(func() {
		first = true
		s.err.Store(&ConnError{Err: cause})
		close(s.done)
		s.conn.Close()
		if !errors.Is(cause, ErrClosed) {
			s.log.Debug("qmp: connection failed", "err", cause)
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

// encodeRequest builds the request in s.wb (writer's seat held):
// {"execute":"cmd","arguments":{...}} or, with id >= 0,
// {"exec-oob":"cmd","arguments":{...},"id":N}; no spaces, no empty or
// null arguments. prefix is written first (QGA's 0xFF).
func (s *session) encodeRequest(prefix, command string, args any, oob bool, id uint64) ([]byte, error) {
	wb := &s.wb
	wb.Reset()
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
		start := wb.Len()
		var err error
		switch a := args.(type) {
		case json.RawMessage:
			if len(a) == 0 {
				wb.WriteString("null")
			} else {
				err = json.Compact(wb, a)
			}
		default:
			if err = s.enc.Encode(args); err == nil {
				wb.Truncate(wb.Len() - 1) // Encode's newline
			}
		}
		if err != nil {
			return nil, err
		}
		v := wb.Bytes()[start:]
		switch {
		case string(v) == "null" || string(v) == "{}":
			wb.Truncate(mark)
		case v[0] != '{':
			return nil, errors.New("runtime: arguments of " + command + " are not a JSON object")
		}
	}
	if oob {
		wb.WriteString(`,"id":`)
		var nb [20]byte
		wb.Write(strconv.AppendUint(nb[:0], id, 10))
	}
	wb.WriteString("}\n")
	return wb.Bytes(), nil
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
	if s.debug() {
		s.log.Debug("qmp: send", "msg", string(bytes.TrimPrefix(bytes.TrimSuffix(b, []byte("\n")), []byte{0xFF})))
	}
	if len(files) > 0 {
		return writeWithFiles(s.conn, b, files)
	}
	_, err := s.conn.Write(b)
	return err
}

// call is one request waiting for its reply. Calls are pooled; a call
// whose caller gave up is left to the garbage collector.
type call struct {
	ch    chan struct{} // signalled once the outcome is set
	state atomic.Int32
	buf   []byte // the reply message (owned copy)
	f     fields // spans into buf
	err   error  // connection or protocol error instead of a reply
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

// setReply copies msg into the call (the reader's buffer is reused) and
// re-derives the spans.
func (c *call) setReply(msg []byte, f fields) {
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

// wait waits for the outcome, honouring ctx: on cancellation the call is
// abandoned (its late reply will be dropped) and ctx.Err() returned.
func (c *call) wait(ctx context.Context) error {
	select {
	case <-c.ch:
		return nil
	default:
	}
	select {
	case <-c.ch:
		return nil
	case <-ctx.Done():
		if c.state.CompareAndSwap(callWaiting, callAbandoned) {
			return ctx.Err()
		}
		<-c.ch
		return nil
	}
}

// result turns a completed call into the caller's outcome.
func (c *call) result(command string, result any) error {
	if c.err != nil {
		return c.err
	}
	if c.f.err != nil {
		return decodeCommandError(command, c.f.err)
	}
	if result == nil {
		return nil
	}
	if c.f.ret == nil {
		return protoErr("reply has neither return nor error", c.buf, nil)
	}
	if raw, ok := result.(*json.RawMessage); ok {
		*raw = append((*raw)[:0], c.f.ret...)
		return nil
	}
	return json.Unmarshal(c.f.ret, result)
}

// raw returns a copy of the reply's return value.
func (c *call) raw(command string) (json.RawMessage, error) {
	var r json.RawMessage
	if err := c.result(command, &r); err != nil {
		return nil, err
	}
	return r, nil
}

func decodeCommandError(command string, v []byte) error {
	var e struct {
		Class string `json:"class"`
		Desc  string `json:"desc"`
	}
	if err := json.Unmarshal(v, &e); err != nil {
		return protoErr("malformed error reply", v, err)
	}
	return &CommandError{Command: command, Class: ErrorClass(e.Class), Desc: e.Desc}
}
