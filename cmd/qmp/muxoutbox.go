package main

import (
	"errors"
	"net"
	"sync"
	"time"
)

// errOutboxFull ends a client that does not read what the mux sends it
// fast enough: its outbox holds at most outboxLimit bytes.
var errOutboxFull = errors.New("client too slow: outbox full")

// outbox is a client's bounded queue of outgoing messages, drained by the
// client's writer goroutine. Pushing never blocks: the mux's event fan-out
// and the replies of other clients must not wait for a slow client.
type outbox struct {
	mu     sync.Mutex
	queue  [][]byte
	bytes  int
	limit  int
	closed bool
	err    error         // why it was closed, nil for a graceful end
	wake   chan struct{} // capacity 1: there is something to do
}

func newOutbox(limit int) *outbox {
	return &outbox{limit: limit, wake: make(chan struct{}, 1)}
}

// push queues msg (without its line end). It reports false when the
// outbox is closed or msg does not fit (then the outbox closes itself).
func (o *outbox) push(msg []byte) bool {
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return false
	}
	if o.bytes+len(msg) > o.limit {
		o.closed, o.err = true, errOutboxFull
		o.queue, o.bytes = nil, 0
		o.mu.Unlock()
		o.signal()
		return false
	}
	o.queue = append(o.queue, msg)
	o.bytes += len(msg)
	o.mu.Unlock()
	o.signal()
	return true
}

func (o *outbox) signal() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// failed reports whether the outbox ended with an error: the client is
// gone (a write failed) or was cut off, so requests it queued need not run.
func (o *outbox) failed() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.closed && o.err != nil
}

// cause is why the outbox closed with an error, nil otherwise.
func (o *outbox) cause() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.err
}

// close ends the outbox; the writer sends what is queued when err is nil.
func (o *outbox) close(err error) {
	o.mu.Lock()
	if !o.closed {
		o.closed, o.err = true, err
		if err != nil {
			o.queue, o.bytes = nil, 0
		}
	}
	o.mu.Unlock()
	o.signal()
}

// writeLoop is the client's writer goroutine: it writes queued messages,
// each ended by "\r\n" as QEMU ends them. When the outbox closes with an
// error it closes conn; when it closes gracefully it shuts down conn's
// sending side once everything is written (so that a last error reply is
// read, not lost to a reset) and gives the reader a second to finish.
func (o *outbox) writeLoop(conn net.Conn, log func([]byte)) error {
	crlf := []byte("\r\n")
	var bufs net.Buffers
	for range o.wake {
		o.mu.Lock()
		queue, closed, err := o.queue, o.closed, o.err
		o.queue, o.bytes = nil, 0
		o.mu.Unlock()
		bufs = bufs[:0]
		for _, m := range queue {
			if log != nil {
				log(m)
			}
			bufs = append(bufs, m, crlf)
		}
		if len(bufs) > 0 {
			if _, werr := bufs.WriteTo(conn); werr != nil {
				o.close(werr)
				conn.Close()
				return werr
			}
		}
		if closed {
			if err != nil {
				conn.Close()
				return err
			}
			if cw, ok := conn.(interface{ CloseWrite() error }); ok {
				cw.CloseWrite()
			}
			conn.SetReadDeadline(time.Now().Add(time.Second))
			return nil
		}
	}
	return nil
}
