package server

import (
	"errors"
	"net"
	"sync"
	"time"
)

// errSlowClient ends a connection whose client stopped reading while
// output kept coming: its queued output outgrew the bound.
var errSlowClient = errors.New("client is not reading its output: queued output exceeds the limit")

// outbox serialises a connection's output with group commit: a goroutine
// that has bytes to send appends them and, when nobody is writing,
// becomes the writer and writes until the buffer is empty; bytes others
// append meanwhile go out in the writer's next write. A sequential reply
// thus costs one write system call and no goroutine switch. Output waiting
// behind a writer that is blocked (a client that stopped reading) is
// bounded by max: past it the connection is closed.
type outbox struct {
	conn net.Conn
	max  int
	fail func(error) // closes the connection

	mu      sync.Mutex
	buf     []byte
	spare   []byte
	writing bool
	err     error
}

// send queues b (copied) and writes it, with whatever else is queued,
// unless another goroutine is writing. With write false it never writes
// on the caller's goroutine: a new goroutine does when needed, so that
// an event sender never waits for a client.
func (o *outbox) send(b []byte, write bool) error {
	o.mu.Lock()
	if o.err != nil {
		err := o.err
		o.mu.Unlock()
		return err
	}
	if len(o.buf) > 0 && len(o.buf)+len(b) > o.max {
		o.err = errSlowClient
		o.mu.Unlock()
		o.fail(errSlowClient)
		return errSlowClient
	}
	o.buf = append(o.buf, b...)
	if o.writing {
		o.mu.Unlock()
		return nil
	}
	o.writing = true
	if !write {
		o.mu.Unlock()
		go o.flush()
		return nil
	}
	return o.writeLocked()
}

func (o *outbox) flush() {
	o.mu.Lock()
	o.writeLocked()
}

// writeLocked writes until the buffer is empty; it is called with mu held
// and writing set, and returns with mu released.
func (o *outbox) writeLocked() error {
	for len(o.buf) > 0 && o.err == nil {
		w := o.buf
		o.buf = o.spare[:0]
		o.mu.Unlock()
		_, err := o.conn.Write(w)
		o.mu.Lock()
		if cap(w) <= maxKeptOutput {
			o.spare = w[:0]
		} else {
			o.spare = nil
		}
		if err != nil && o.err == nil {
			o.err = err
			o.writing = false
			o.mu.Unlock()
			o.fail(err)
			return err
		}
	}
	o.writing = false
	err := o.err
	o.mu.Unlock()
	return err
}

// maxKeptOutput is the largest output buffer kept for reuse.
const maxKeptOutput = 64 << 10

// drain waits until what is queued has been written (or writing failed).
func (o *outbox) drain() {
	for {
		o.mu.Lock()
		idle := !o.writing && len(o.buf) == 0 || o.err != nil
		o.mu.Unlock()
		if idle {
			return
		}
		time.Sleep(time.Millisecond)
	}
}
