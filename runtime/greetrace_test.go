package runtime

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/qapi-go/qapi/internal/leakcheck"
)

// lateGreetingConn delivers the greeting only once it has been closed
// (and a moment later): the reader handles a greeting after the session
// has failed.
type lateGreetingConn struct {
	net.Conn // nil: only Read, Write, Close, RemoteAddr and deadlines are used
	closed   chan struct{}
	sent     bool
}

func (c *lateGreetingConn) Read(b []byte) (int, error) {
	if c.sent {
		return 0, net.ErrClosed
	}
	<-c.closed
	time.Sleep(20 * time.Millisecond)
	c.sent = true
	return copy(b, rtGreeting), nil
}

func (c *lateGreetingConn) Write(b []byte) (int, error)      { return len(b), nil }
func (c *lateGreetingConn) Close() error                     { close(c.closed); return nil }
func (c *lateGreetingConn) RemoteAddr() net.Addr             { return nil }
func (c *lateGreetingConn) SetReadDeadline(time.Time) error  { return errors.ErrUnsupported }
func (c *lateGreetingConn) SetWriteDeadline(time.Time) error { return errors.ErrUnsupported }
func (c *lateGreetingConn) SetDeadline(t time.Time) error    { return errors.ErrUnsupported }

// NewQMP whose context ends as the greeting arrives returns: the reader
// used to block forever handing over the greeting (the channel already
// held the failure), and Close waited for the reader.
func TestQMPGreetingAfterFailure(t *testing.T) {
	leakcheck.Check(t)
	conn := &lateGreetingConn{closed: make(chan struct{})}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		_, err := NewQMP(ctx, conn)
		errc <- err
	}()
	select {
	case err := <-errc:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err %v, want context.DeadlineExceeded", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("NewQMP hung")
	}
}
