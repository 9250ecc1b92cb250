package runtime

import (
	"errors"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// session is what QMP and QGA sessions share: the connection, the framed
// reader that only the session's reader goroutine uses, and the
// connection's fate.
//
// Each session has exactly one goroutine of its own, the reader: it reads
// every message, hands each reply to the call it answers and each event
// to the subscriptions that want it, and when the connection ends it
// fails every pending call. Callers never read; they write their request
// and wait on their call's channel or their context, whichever comes
// first.
type session struct {
	conn  net.Conn
	fr    *frameReader
	log   *slog.Logger
	opts  options
	proto string // "qga" on a QGA session, "" on a QMP one: see protoName

	// deadlines: conn has write deadlines, so a context can bound a
	// write (writeCtx).
	deadlines bool
	// writeCtx's interruption (writes are serialised): interruptWriteFn
	// sets a write deadline in the past and then signals wfired.
	interruptWriteFn func()
	wfired           chan struct{}

	failOnce   sync.Once
	done       chan struct{}
	err        atomic.Pointer[ConnError]
	readerDone chan struct{} // closed when the reader goroutine returns
}

func (s *session) init(conn net.Conn, o options) {
	s.conn = conn
	s.opts = o
	s.log = o.logger
	s.fr = newFrameReader(conn, o.maxMsg)
	s.done = make(chan struct{})
	s.readerDone = make(chan struct{})
	s.wfired = make(chan struct{}, 1)
	s.interruptWriteFn = func() {
		s.conn.SetWriteDeadline(longAgo)
		s.wfired <- struct{}{}
	}
	s.deadlines = conn != nil && conn.SetWriteDeadline(time.Time{}) == nil
}

var longAgo = time.Unix(1, 0)

func (s *session) errValue() error {
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

// markFailed records cause as the end of the connection and closes it,
// which ends the reader's Read at once; it reports whether this call did
// so (the first one). The caller then fails the pending calls.
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
