package runtime

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// Close while the reader is handling the reply of the call in progress:
// exactly one of them completes the call. The reader used to complete a
// call that Close had already failed and handed back to its caller (who
// may have returned it to the pool): the reply was written into it after
// the fact.
func TestQGACloseDuringReply(t *testing.T) {
	big := `{"return": "` + strings.Repeat("A", 6<<20) + `"}` + "\n"
	twice := 0
	for i := range 10 {
		p, conn := newRTPeer(t)
		q := p.qga(conn, WithMaxMessageSize(8<<20))
		type res struct {
			c   *call
			err error
		}
		ch := make(chan res, 1)
		go func() {
			c, err := q.roundTrip(context.Background(), "guest-info", nil, CallOptions{})
			ch <- res{c, err}
		}()
		p.expect(`{"execute":"guest-info"}`)
		p.send(big)
		time.Sleep(time.Duration(i%5) * 100 * time.Microsecond) // into the reader's work on the reply
		q.Close()                                               // the reader has exited when it returns
		r := <-ch
		if r.err != nil {
			t.Fatal(r.err)
		}
		c := r.c
		switch {
		case c.err == nil:
			if c.f.ret == nil {
				t.Fatal("call completed with neither reply nor error")
			}
		case !errors.Is(c.err, ErrClosed):
			t.Fatalf("call failed with %v, want ErrClosed", c.err)
		case c.f.ret != nil:
			twice++
		}
	}
	if twice > 0 {
		t.Errorf("%d of 10 calls failed by Close were given the reply afterwards (completed twice)", twice)
	}
}
