package runtime

import (
	"context"
	"errors"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"
)

var rtSyncRE = regexp.MustCompile(`^\{"execute":"guest-sync-delimited","arguments":\{"id":(\d+)\}\}$`)

// expectSync reads a resync request and returns its id.
func (p *rtPeer) expectSync() string {
	p.t.Helper()
	select {
	case l := <-p.lines:
		m := rtSyncRE.FindStringSubmatch(strings.TrimPrefix(l, "\xff"))
		if m == nil || l[0] != 0xFF {
			p.t.Fatalf("request %q, want guest-sync-delimited", l)
		}
		return m[1]
	case <-time.After(5 * time.Second):
		p.t.Fatal("timeout waiting for sync")
	}
	return ""
}

func (p *rtPeer) qga(client net.Conn, opts ...Option) *QGA {
	p.t.Helper()
	type res struct {
		q   *QGA
		err error
	}
	ch := make(chan res, 1)
	go func() {
		q, err := NewQGA(context.Background(), client, opts...)
		ch <- res{q, err}
	}()
	id := p.expectSync()
	// What a 7.2 agent does: an error line for the bare 0xFF, stale
	// garbage, the sentinel, then the return.
	p.send(`{"return": 12}` + "\n" + `{"error": {"class": "GenericError", "desc": "JSON parse error, stray '\uFFFD'"}}` + "\n")
	p.send(`{"return": 1}` + "\n" + `partial garbage` + "\xff" + `{"return": ` + id + "}\n")
	r := <-ch
	if r.err != nil {
		p.t.Fatal(r.err)
	}
	p.t.Cleanup(func() { r.q.Close() })
	return r.q
}

func TestQGASyncOnConnect(t *testing.T) {
	p, c := newRTPeer(t)
	q := p.qga(c)
	go func() {
		p.expect(`{"execute":"guest-ping"}`)
		p.send(`{"return": {}}` + "\n")
	}()
	if err := q.Call(context.Background(), "guest-ping", nil, nil); err != nil {
		t.Fatal(err)
	}
}

func TestQGACancelResync(t *testing.T) {
	p, c := newRTPeer(t)
	q := p.qga(c)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- q.Call(ctx, "guest-info", nil, nil) }()
	p.expect(`{"execute":"guest-info"}`)
	cancel()
	if err := <-errc; err != context.Canceled {
		t.Fatal(err)
	}
	var v string
	go func() { errc <- q.Call(context.Background(), "guest-ping", nil, &v) }()
	id := p.expectSync()
	p.send(`{"return": "stale info"}` + "\n" + `{"error": {"class": "GenericError", "desc": "x"}}` + "\n\xff" + `{"return": ` + id + "}\n")
	p.expect(`{"execute":"guest-ping"}`)
	p.send(`{"return": "pong"}` + "\n")
	if err := <-errc; err != nil || v != "pong" {
		t.Fatal(err, v)
	}
}

func TestQGANoReplyAndSerialised(t *testing.T) {
	p, c := newRTPeer(t)
	q := p.qga(c)
	if err := q.Call(context.Background(), "guest-shutdown", nil, nil, NoReply()); err != nil {
		t.Fatal(err)
	}
	p.expect(`{"execute":"guest-shutdown"}`)
	errc := make(chan error, 2)
	go func() { errc <- q.Call(context.Background(), "first", nil, nil) }()
	// The reply to a NoReply command is uncertain: resync first.
	id := p.expectSync()
	p.send(`{"error": {"class": "CommandNotFound", "desc": "guest-shutdown has been disabled"}}` + "\n\xff" + `{"return": ` + id + "}\n")
	p.expect(`{"execute":"first"}`)
	// A second call waits its turn; its context still counts.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	go func() { errc <- q.Call(ctx, "second", nil, nil) }()
	if err := <-errc; err != context.DeadlineExceeded {
		t.Fatal(err)
	}
	p.send(`{"return": {}}` + "\n")
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if err := q.Call(context.Background(), "x", nil, nil, OutOfBand()); err == nil {
		t.Fatal("oob accepted")
	}
}

func TestQGAProtocolErrorResyncs(t *testing.T) {
	for name, bad := range map[string]string{
		"garbage":  "not json\n",
		"oversize": `{"return": "` + strings.Repeat("z", 3000) + `"}` + "\n",
	} {
		t.Run(name, func(t *testing.T) {
			p, c := newRTPeer(t)
			q := p.qga(c, WithMaxMessageSize(1000))
			errc := make(chan error, 1)
			go func() { errc <- q.Call(context.Background(), "a", nil, nil) }()
			p.expect(`{"execute":"a"}`)
			p.send(bad)
			err := <-errc
			if !errors.As(err, new(*ProtocolError)) || errors.As(err, new(*ConnError)) {
				t.Fatal(err)
			}
			go func() { errc <- q.Call(context.Background(), "b", nil, nil) }()
			id := p.expectSync()
			p.send(strings.Repeat("q", 2500) + "\xff" + `{"return": ` + id + "}\n")
			p.expect(`{"execute":"b"}`)
			p.send(`{"return": {}}` + "\n")
			if err := <-errc; err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestQGAConnectionLoss(t *testing.T) {
	p, c := newRTPeer(t)
	q := p.qga(c)
	errc := make(chan error, 1)
	go func() { errc <- q.Call(context.Background(), "a", nil, nil) }()
	p.expect(`{"execute":"a"}`)
	p.conn.Close()
	if err := <-errc; !errors.As(err, new(*ConnError)) {
		t.Fatal(err)
	}
	<-q.Done()
	q.Close()
}
