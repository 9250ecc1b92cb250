package fakepeer

import (
	"net"
	"sync"
)

// outbox decouples the script from the client's reading, as a socket
// buffer and QEMU's own output buffering do: the script queues bytes and
// goes on; one writer goroutine delivers them in order, each queued
// chunk with its own Write (so that partial lines stay partial).
type outbox struct {
	conn    net.Conn
	stop    <-chan struct{}
	kick    chan struct{} // the queue grew, or closing
	drained chan struct{} // the queue became empty
	mu      sync.Mutex
	q       [][]byte
	writing bool
	closing bool
	err     error
}

func newOutbox(conn net.Conn, stop <-chan struct{}) *outbox {
	return &outbox{conn: conn, stop: stop, kick: make(chan struct{}, 1), drained: make(chan struct{}, 1)}
}

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// put queues b (which it keeps: callers pass a fresh slice); it fails
// once a write failed.
func (o *outbox) put(b []byte) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.err != nil {
		return o.err
	}
	o.q = append(o.q, b)
	signal(o.kick)
	return nil
}

// flush waits until everything queued was written; errStopped when the
// peer is closed first or a write failed.
func (o *outbox) flush() error {
	for {
		o.mu.Lock()
		empty, err := len(o.q) == 0 && !o.writing, o.err
		o.mu.Unlock()
		if err != nil {
			return errStopped
		}
		if empty {
			return nil
		}
		select {
		case <-o.drained:
		case <-o.stop:
			return errStopped
		}
	}
}

// close makes the writer exit once the queue is empty (or at once when
// the connection is closed).
func (o *outbox) close() {
	o.mu.Lock()
	o.closing = true
	o.mu.Unlock()
	signal(o.kick)
}

// run is the writer goroutine.
func (o *outbox) run() {
	for {
		o.mu.Lock()
		if len(o.q) == 0 {
			o.writing = false
			closing := o.closing
			o.mu.Unlock()
			signal(o.drained)
			if closing {
				return
			}
			select {
			case <-o.kick:
			case <-o.stop:
				return
			}
			continue
		}
		b := o.q[0]
		o.q[0] = nil
		o.q = o.q[1:]
		o.writing = true
		o.mu.Unlock()
		if _, err := o.conn.Write(b); err != nil {
			o.mu.Lock()
			o.err, o.q, o.writing = errStopped, nil, false
			o.mu.Unlock()
			signal(o.drained)
			return
		}
	}
}
