package runtime

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qapi-go/qapi/internal/leakcheck"
)

// rtPeer is a tiny in-test peer over net.Pipe: the test reads the
// client's requests line by line and writes whatever it likes.
type rtPeer struct {
	t     *testing.T
	conn  net.Conn
	lines chan string
}

func newRTPeer(t *testing.T) (*rtPeer, net.Conn) {
	t.Helper()
	leakcheck.Check(t)
	client, server := net.Pipe()
	p := &rtPeer{t: t, conn: server, lines: make(chan string, 100)}
	go func() {
		defer close(p.lines)
		r := bufio.NewReader(server)
		for {
			l, err := r.ReadString('\n')
			if err != nil {
				return
			}
			p.lines <- strings.TrimSuffix(l, "\n")
		}
	}()
	t.Cleanup(func() { server.Close() })
	return p, client
}

func (p *rtPeer) expect(want string) {
	p.t.Helper()
	select {
	case got, ok := <-p.lines:
		if !ok {
			p.t.Fatalf("connection closed, want %q", want)
		}
		if got != want {
			p.t.Fatalf("request %q, want %q", got, want)
		}
	case <-time.After(5 * time.Second):
		p.t.Fatalf("timeout waiting for %q", want)
	}
}

func (p *rtPeer) send(s string) {
	p.t.Helper()
	if _, err := io.WriteString(p.conn, s); err != nil {
		p.t.Fatalf("send: %v", err)
	}
}

// qmp runs the handshake and returns the session.
func (p *rtPeer) qmp(client net.Conn, opts ...Option) *QMP {
	p.t.Helper()
	type res struct {
		q   *QMP
		err error
	}
	ch := make(chan res, 1)
	go func() {
		q, err := NewQMP(context.Background(), client, opts...)
		ch <- res{q, err}
	}()
	p.send(rtGreeting)
	p.expect(`{"execute":"qmp_capabilities","arguments":{"enable":["oob"]}}`)
	p.send(`{"timestamp": {"seconds": 1, "microseconds": 2}, "event": "EARLY"}` + "\r\n")
	p.send(`{"return": {}}` + "\r\n")
	r := <-ch
	if r.err != nil {
		p.t.Fatal(r.err)
	}
	p.t.Cleanup(func() { r.q.Close() })
	return r.q
}

func TestQMPHandshake(t *testing.T) {
	p, c := newRTPeer(t)
	q := p.qmp(c)
	g := q.Greeting()
	if g.Version != (Version{7, 2, 0, "test"}) || len(g.Capabilities) != 1 || !q.OOB() {
		t.Fatalf("greeting %+v oob %v", g, q.OOB())
	}
}

func TestQMPWithoutOOB(t *testing.T) {
	p, c := newRTPeer(t)
	type res struct {
		q   *QMP
		err error
	}
	ch := make(chan res, 1)
	go func() {
		q, err := NewQMP(context.Background(), c, WithoutOOB())
		ch <- res{q, err}
	}()
	p.send(rtGreeting)
	p.expect(`{"execute":"qmp_capabilities"}`)
	p.send(`{"return": {}}` + "\r\n")
	r := <-ch
	q, err := r.q, r.err
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	if q.OOB() {
		t.Fatal("oob enabled")
	}
	if err := q.Call(context.Background(), "x", nil, nil, OutOfBand()); err == nil {
		t.Fatal("oob call without oob succeeded")
	}
}

func TestQMPBadGreeting(t *testing.T) {
	p, c := newRTPeer(t)
	errc := make(chan error, 1)
	go func() {
		_, err := NewQMP(context.Background(), c)
		errc <- err
	}()
	p.send(`{"return": {}}` + "\n")
	err := <-errc
	var pe *ProtocolError
	if !errors.As(err, &pe) {
		t.Fatalf("err %v, want protocol error", err)
	}
}

func TestQMPHandshakeContext(t *testing.T) {
	_, c := newRTPeer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := NewQMP(ctx, c)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v", err)
	}
}

func TestRequestEncoding(t *testing.T) {
	var r reqBuf
	r.init()
	encode := func(prefix, command string, args any, oob bool, id uint64) ([]byte, error) {
		r.b.Reset()
		err := r.appendRequest(prefix, command, args, oob, id)
		return r.b.Bytes(), err
	}
	type A struct {
		Device string `json:"device"`
		Opt    *int   `json:"opt,omitempty"`
	}
	var nilA *A
	for _, tc := range []struct {
		args any
		oob  bool
		want string
	}{
		{nil, false, `{"execute":"query-status"}`},
		{json.RawMessage(`{ }`), false, `{"execute":"query-status"}`},
		{json.RawMessage(`{ "a" : [1, 2] }`), false, `{"execute":"query-status","arguments":{"a":[1,2]}}`},
		{map[string]any{}, false, `{"execute":"query-status"}`},
		{nilA, false, `{"execute":"query-status"}`},
		{A{Device: "<v>"}, false, `{"execute":"query-status","arguments":{"device":"<v>"}}`},
		{&A{}, true, `{"exec-oob":"query-status","arguments":{"device":""},"id":7}`},
	} {
		b, err := encode("", "query-status", tc.args, tc.oob, 7)
		if err != nil || string(b) != tc.want+"\n" {
			t.Errorf("%#v: %q %v, want %q", tc.args, b, err, tc.want)
		}
	}
	for _, bad := range []any{json.RawMessage(`[1]`), json.RawMessage(`{`), 3, "s", func() {}} {
		if b, err := encode("", "c", bad, false, 0); err == nil {
			t.Errorf("%#v: encoded %q", bad, b)
		}
	}
}

func TestQMPPipelinedAndOOB(t *testing.T) {
	p, c := newRTPeer(t)
	q := p.qmp(c)
	ctx := context.Background()
	type res struct {
		n   int
		v   string
		err error
	}
	out := make(chan res, 4)
	call := func(n int, cmd string, opts ...CallOption) {
		var v string
		err := q.Call(ctx, cmd, nil, &v, opts...)
		out <- res{n, v, err}
	}
	go call(1, "a")
	p.expect(`{"execute":"a"}`)
	go call(2, "b")
	p.expect(`{"execute":"b"}`)
	go call(3, "c", OutOfBand())
	p.expect(`{"exec-oob":"c","id":1}`)
	// oob reply overtakes.
	p.send(`{"return": "C", "id": 1}` + "\r\n")
	if r := <-out; r.n != 3 || r.v != "C" || r.err != nil {
		t.Fatalf("%+v", r)
	}
	p.send(`{"return": "A"}` + "\r\n" + `{"error": {"class": "DeviceNotFound", "desc": "no b"}}` + "\r\n")
	got := map[int]res{}
	for range 2 {
		r := <-out
		got[r.n] = r
	}
	if got[1].v != "A" || got[1].err != nil {
		t.Fatalf("%+v", got[1])
	}
	err := got[2].err
	var ce *CommandError
	if !errors.Is(err, DeviceNotFound) || errors.Is(err, GenericError) || !errors.As(err, &ce) || ce.Desc != "no b" || ce.Command != "b" {
		t.Fatalf("%v", err)
	}
	// A reply nobody waits for fails the session (TestFaultUnsolicitedReply).
	p.send(`{"return": "stray"}` + "\r\n")
	<-q.Done()
	var pe *ProtocolError
	if !errors.As(q.Err(), &pe) {
		t.Fatalf("after a stray reply: %v, want a *ProtocolError", q.Err())
	}
}

func TestQMPCancel(t *testing.T) {
	p, c := newRTPeer(t)
	q := p.qmp(c)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- q.Call(ctx, "slow", nil, nil) }()
	p.expect(`{"execute":"slow"}`)
	cancel()
	if err := <-errc; err != context.Canceled {
		t.Fatalf("err %v", err)
	}
	var v string
	go func() { errc <- q.Call(context.Background(), "next", nil, &v) }()
	p.expect(`{"execute":"next"}`)
	p.send(`{"return": "late"}` + "\r\n" + `{"return": "mine"}` + "\r\n")
	if err := <-errc; err != nil || v != "mine" {
		t.Fatalf("%v %q", err, v)
	}
	// A context already done never sends.
	if err := q.Call(ctx, "x", nil, nil); err != context.Canceled {
		t.Fatal(err)
	}
}

func TestQMPConnectionLoss(t *testing.T) {
	p, c := newRTPeer(t)
	q := p.qmp(c)
	sub := q.Subscribe()
	errc := make(chan error, 2)
	go func() { errc <- q.Call(context.Background(), "a", nil, nil) }()
	go func() { errc <- q.Call(context.Background(), "b", nil, nil, OutOfBand()) }()
	<-p.lines
	<-p.lines
	p.send(`{"return": {}, "id"`) // EOF mid-reply
	p.conn.Close()
	for range 2 {
		err := <-errc
		var ce *ConnError
		if !errors.As(err, &ce) || !errors.Is(err, io.ErrUnexpectedEOF) || !strings.Contains(err.Error(), "connection closed") {
			t.Fatalf("err %v", err)
		}
	}
	<-q.Done()
	if _, ok := <-sub.Events(); ok {
		t.Fatal("subscription open")
	}
	if q.Err() == nil {
		t.Fatal("Err nil")
	}
	if err := q.Call(context.Background(), "c", nil, nil); !errors.As(err, new(*ConnError)) {
		t.Fatal(err)
	}
	q.Close()
	q.Close()
}

func TestQMPClose(t *testing.T) {
	p, c := newRTPeer(t)
	q := p.qmp(c)
	errc := make(chan error, 1)
	go func() { errc <- q.Call(context.Background(), "a", nil, nil) }()
	<-p.lines
	q.Close()
	if err := <-errc; !errors.Is(err, ErrClosed) {
		t.Fatal(err)
	}
	if !errors.Is(q.Err(), ErrClosed) {
		t.Fatal(q.Err())
	}
}

func TestQMPProtocolErrors(t *testing.T) {
	for name, msg := range map[string]string{
		"garbage":   "hello\r\n",
		"truncated": `{"return": {` + "\r\n",
		"array":     `[1]` + "\r\n",
		"oversize":  `{"return": "` + strings.Repeat("x", 5000) + `"}` + "\r\n",
		"badevent":  `{"event": 3}` + "\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			p, c := newRTPeer(t)
			q := p.qmp(c, WithMaxMessageSize(1000))
			errc := make(chan error, 1)
			go func() { errc <- q.Call(context.Background(), "a", nil, nil) }()
			<-p.lines
			go p.conn.Write([]byte(msg))
			err := <-errc
			var pe *ProtocolError
			if !errors.As(err, &pe) || !errors.As(err, new(*ConnError)) {
				t.Fatalf("err %v", err)
			}
			if name == "oversize" && !errors.Is(err, ErrMessageTooLarge) {
				t.Fatalf("err %v", err)
			}
		})
	}
}

func TestQMPLargeReply(t *testing.T) {
	p, c := newRTPeer(t)
	q := p.qmp(c)
	big := strings.Repeat("y", 300000)
	go func() {
		p.expect(`{"execute":"big"}`)
		p.send(`{"return": "` + big + `"}` + "\r\n")
	}()
	var v string
	if err := q.Call(context.Background(), "big", nil, &v); err != nil || v != big {
		t.Fatalf("%v %d", err, len(v))
	}
}

func TestQMPEvents(t *testing.T) {
	p, c := newRTPeer(t)
	q := p.qmp(c)
	all := q.SubscribeBuffer(2)
	stops := q.Subscribe("STOP")
	p.send(`{"timestamp": {"seconds": 1795262592, "microseconds": 819370}, "event": "STOP"}` + "\r\n")
	p.send(`{"event": "RESUME", "data": {"a": 1}, "timestamp": {"seconds": 5, "microseconds": 6}}` + "\r\n")
	p.send(`{"event": "X"}` + "\r\n") // overflows all
	// round trip so that every event has been dispatched
	go func() { p.expect(`{"execute":"sync"}`); p.send(`{"return": {}}` + "\n") }()
	if err := q.Call(context.Background(), "sync", nil, nil); err != nil {
		t.Fatal(err)
	}
	ev := <-stops.Events()
	if ev.Name != "STOP" || !ev.Timestamp.Equal(time.Unix(1795262592, 819370000)) || ev.Data != nil {
		t.Fatalf("%+v", ev)
	}
	if e1, e2 := <-all.Events(), <-all.Events(); e1.Name != "STOP" || e2.Name != "RESUME" || string(e2.Data) != `{"a": 1}` {
		t.Fatalf("%+v %+v", e1, e2)
	}
	if all.Dropped() != 1 || stops.Dropped() != 0 {
		t.Fatalf("dropped %d %d", all.Dropped(), stops.Dropped())
	}
	all.Close()
	all.Close()
	if _, ok := <-all.Events(); ok {
		t.Fatal("open")
	}
}

func TestQMPCallAndWait(t *testing.T) {
	p, c := newRTPeer(t)
	q := p.qmp(c)
	for _, before := range []bool{true, false} {
		go func() {
			p.expect(`{"execute":"device_del","arguments":{"id":"d1"}}`)
			ev := `{"event": "DEVICE_DELETED", "data": {"device": "d1"}, "timestamp": {"seconds": 1, "microseconds": 0}}` + "\r\n"
			other := `{"event": "DEVICE_DELETED", "data": {"device": "d0"}, "timestamp": {"seconds": 1, "microseconds": 0}}` + "\r\n"
			if before {
				p.send(other + ev + `{"return": {}}` + "\r\n")
			} else {
				p.send(`{"return": {}}` + "\r\n")
				time.Sleep(10 * time.Millisecond)
				p.send(other + ev)
			}
		}()
		ev, err := q.CallAndWait(context.Background(), "device_del", map[string]string{"id": "d1"}, nil, "DEVICE_DELETED", func(e Event) bool {
			return bytes.Contains(e.Data, []byte(`"d1"`))
		})
		if err != nil || !bytes.Contains(ev.Data, []byte("d1")) {
			t.Fatalf("before=%v: %v %+v", before, err, ev)
		}
	}
}

func TestQMPConcurrentStress(t *testing.T) {
	client, server := net.Pipe()
	leakcheck.Check(t)
	go rtServeQMP(server)
	q, err := NewQMP(context.Background(), client)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 200 {
				ctx := context.Background()
				var cancel context.CancelFunc = func() {}
				if j%7 == 3 {
					ctx, cancel = context.WithCancel(ctx)
					cancel()
				}
				var st struct{ Status string }
				var opts []CallOption
				if i%4 == 0 {
					opts = append(opts, OutOfBand())
				}
				err := q.Call(ctx, "query-status", nil, &st, opts...)
				cancel()
				switch {
				case j%7 == 3:
					if err != context.Canceled {
						t.Error(err)
					}
				case err != nil:
					t.Error(err)
				case i%4 != 0 && st.Status != "running":
					t.Error(st)
				}
			}
		}()
	}
	wg.Wait()
}

// noDeadlineConn is a net.Conn without read deadlines: the session cannot
// interrupt a caller's read, so the background goroutine reads for
// callers with cancellable contexts.
type noDeadlineConn struct{ net.Conn }

func (noDeadlineConn) SetReadDeadline(time.Time) error { return errors.New("no deadlines") }

func TestQMPConnWithoutDeadlines(t *testing.T) {
	client, server := net.Pipe()
	leakcheck.Check(t)
	go rtServeQMP(server)
	q, err := NewQMP(context.Background(), noDeadlineConn{client})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	for i := 0; i < 20; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		start := time.Now()
		var st struct{ Status string }
		err := q.Call(ctx, "query-status", nil, &st)
		cancel()
		if err != nil || st.Status != "running" {
			t.Fatal(err, st)
		}
		if d := time.Since(start); d > time.Second {
			t.Fatalf("call took %v", d)
		}
	}
}
