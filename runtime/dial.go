package runtime

import (
	"context"
	"net"
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
