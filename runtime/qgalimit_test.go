package runtime

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// endless writes a line that never ends to the client until the
// connection fails, counting the bytes the client read.
func (p *rtPeer) endless(prefix string, n *atomic.Int64) chan struct{} {
	done := make(chan struct{})
	chunk := []byte(strings.Repeat("x", 32<<10))
	go func() {
		defer close(done)
		if _, err := io.WriteString(p.conn, prefix); err != nil {
			return
		}
		for {
			m, err := p.conn.Write(chunk)
			n.Add(int64(m))
			if err != nil {
				return
			}
		}
	}()
	return done
}

// TestQGAEndlessLine: an agent answering with a line that never ends
// fails the call as soon as the line passes the maximum message size
// (the reader used to wait for the line's end: a call without a deadline
// waited until Close), and the session reads no more than its
// synchronisation budget of the endless line before closing (the reader
// used to consume it at full speed for ever).
func TestQGAEndlessLine(t *testing.T) {
	const limit = 64 << 10
	for _, waiting := range []bool{true, false} {
		name := "call waiting"
		if !waiting {
			name = "idle"
		}
		t.Run(name, func(t *testing.T) {
			p, c := newRTPeer(t)
			q := p.qga(c, WithMaxMessageSize(limit))
			var read atomic.Int64
			var streaming chan struct{}
			if waiting {
				errc := make(chan error, 1)
				go func() { errc <- q.Call(context.Background(), "guest-file-read", map[string]int{"handle": 1}, nil) }()
				p.expect(`{"execute":"guest-file-read","arguments":{"handle":1}}`)
				streaming = p.endless(`{"return": {"buf-b64": "`, &read)
				select {
				case err := <-errc:
					if !errors.Is(err, ErrMessageTooLarge) {
						t.Fatalf("call: %v, want ErrMessageTooLarge", err)
					}
				case <-time.After(10 * time.Second):
					t.Fatal("the call did not fail while the line went on")
				}
			} else {
				streaming = p.endless("", &read)
			}
			select {
			case <-q.Done():
			case <-time.After(10 * time.Second):
				t.Fatal("the session goes on reading an endless line")
			}
			<-streaming
			var pe *ProtocolError
			if !errors.As(q.Err(), &pe) || !errors.Is(q.Err(), ErrMessageTooLarge) {
				t.Errorf("session ended with %v, want a *ProtocolError wrapping ErrMessageTooLarge", q.Err())
			}
			if budget := q.resyncBudget() + limit + 64<<10; read.Load() > budget {
				t.Errorf("the session read %d bytes of an endless line, want at most %d", read.Load(), budget)
			}
		})
	}
}
