package runtime_test

// Fault injection: the client against a scripted peer (runtime/fakepeer)
// that misbehaves the ways a real QEMU, a slow guest or a hostile guest
// can. Every test checks for leaked goroutines.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	goruntime "runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/qapi-go/qapi/internal/leakcheck"
	"github.com/qapi-go/qapi/runtime"
	"github.com/qapi-go/qapi/runtime/fakepeer"
)

// testCtx bounds a test's calls so that a client bug fails instead of
// hanging the suite.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// qmpSession starts a fake QMP peer following script and a client
// session on it. Call leakcheck.Check before.
func qmpSession(t *testing.T, cfg fakepeer.Config, opts ...runtime.Option) (*runtime.QMP, *fakepeer.Peer) {
	t.Helper()
	cfg.Protocol = fakepeer.QMP
	p := fakepeer.New(t, cfg)
	q, err := runtime.NewQMP(testCtx(t), p.Pipe(), opts...)
	if err != nil {
		t.Fatalf("NewQMP: %v", err)
	}
	t.Cleanup(func() { q.Close() })
	return q, p
}

// qgaSession is qmpSession for the guest agent.
func qgaSession(t *testing.T, cfg fakepeer.Config, opts ...runtime.Option) (*runtime.QGA, *fakepeer.Peer) {
	t.Helper()
	cfg.Protocol = fakepeer.QGA
	p := fakepeer.New(t, cfg)
	q, err := runtime.NewQGA(testCtx(t), p.Pipe(), opts...)
	if err != nil {
		t.Fatalf("NewQGA: %v", err)
	}
	t.Cleanup(func() { q.Close() })
	return q, p
}

func script(steps ...fakepeer.Step) fakepeer.Config { return fakepeer.Config{Script: steps} }

// wantConnError checks that err is a *runtime.ConnError whose cause
// matches cause (via errors.Is, or errors.As for a *runtime.ProtocolError
// when cause is nil and proto is set).
func wantConnError(t *testing.T, err error, cause error, proto bool) {
	t.Helper()
	var ce *runtime.ConnError
	if !errors.As(err, &ce) {
		t.Fatalf("error %v (%T), want a *runtime.ConnError", err, err)
	}
	if cause != nil && !errors.Is(err, cause) {
		t.Errorf("error %v does not wrap %v", err, cause)
	}
	var pe *runtime.ProtocolError
	if proto && !errors.As(err, &pe) {
		t.Errorf("error %v does not wrap a *runtime.ProtocolError", err)
	}
}

// waitDone waits for the session to report the connection gone.
func waitDone(t *testing.T, done <-chan struct{}) {
	t.Helper()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the session did not end")
	}
}

// outcome is what a client may do with a message that is not valid.
type outcome int

const (
	failsConn outcome = 1 << iota // the connection fails with a protocol error
	failsCall                     // the call fails with a protocol error, the session goes on
	ignored                       // the message is dropped, the call gets the next reply
	cmdError                      // the message is taken for an error reply
)

func (o outcome) String() string {
	var s []string
	for _, x := range []struct {
		o outcome
		n string
	}{{failsConn, "fails the connection"}, {failsCall, "fails the call"}, {ignored, "is ignored"}, {cmdError, "is an error reply"}} {
		if o&x.o != 0 {
			s = append(s, x.n)
		}
	}
	return strings.Join(s, " or ")
}

var badInputs = []struct {
	name string
	step fakepeer.Step
	qmp  outcome // what a QMP session may do
	qga  outcome // what a QGA session may do
}{
	{"garbage line", fakepeer.Line("this is not JSON"), failsConn, failsCall},
	{"truncated object", fakepeer.Line(`{"return": {"status": "runn`), failsConn, failsCall},
	{"array", fakepeer.Line(`[1, 2, 3]`), failsConn, failsCall},
	{"string", fakepeer.Line(`"return"`), failsConn, failsCall},
	{"number", fakepeer.Line(`42`), failsConn, failsCall},
	{"trailing garbage", fakepeer.Line(`{"return": {}} x`), failsConn, failsCall},
	{"invalid UTF-8", fakepeer.Write([]byte("\xfe\xfd{\"return\": {}}\r\n")), failsConn, failsCall},
	{"NUL bytes", fakepeer.Write([]byte("\x00\x00\x00\r\n")), failsConn, failsCall},
	{"neither return nor error nor event", fakepeer.Line(`{"foo": 1}`), failsConn | ignored, failsCall | ignored},
	{"error not an object", fakepeer.Line(`{"error": "x"}`), failsConn | failsCall, failsCall},
	{"error without class", fakepeer.Line(`{"error": {"desc": "d"}}`), failsConn | failsCall | cmdError, failsCall | cmdError},
	{"event name not a string", fakepeer.Line(`{"event": 7, "timestamp": {"seconds": 1, "microseconds": 2}}`), failsConn | ignored, failsCall | ignored},
}

// checkOutcome runs one call against a peer that sends bad input (then,
// when the input may be ignored, a good reply "ok"), and checks what
// happened against allowed.
func checkOutcome(t *testing.T, call func() (string, error), done <-chan struct{}, next func() error, allowed outcome) {
	t.Helper()
	got, err := call()
	var ce *runtime.ConnError
	var pe *runtime.ProtocolError
	var cmdErr *runtime.CommandError
	var o outcome
	switch {
	case err == nil && got == "ok":
		o = ignored
	case errors.As(err, &cmdErr):
		o = cmdError
	case errors.As(err, &ce) && errors.As(err, &pe):
		o = failsConn
	case errors.As(err, &pe):
		o = failsCall
	default:
		t.Fatalf("call: %q, %v (%T): neither a *ProtocolError nor the next reply", got, err, err)
	}
	if o&allowed == 0 {
		t.Fatalf("the bad input %v (call: %q, %v); want: it %v", o, got, err, allowed)
	}
	t.Logf("the bad input %v: %v", o, err)
	if o == failsConn {
		waitDone(t, done)
		return
	}
	if err := next(); err != nil {
		t.Errorf("the session goes on, but the next call failed: %v", err)
	}
}

// waitCh waits for the script to reach a point.
func waitCh(t *testing.T, ch <-chan struct{}) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatal("the peer's script did not reach the expected point")
	}
}

// TestFaultBadInput: a QMP peer sending something that is not a valid
// message fails the connection with a protocol error (or, for messages
// that are valid JSON objects of no known kind, may drop them); every
// pending call and every later one gets a *ConnError.
func TestFaultBadInput(t *testing.T) {
	for _, tt := range badInputs {
		t.Run(tt.name, func(t *testing.T) {
			leakcheck.Check(t)
			steps := []fakepeer.Step{fakepeer.Expect("query-status"), tt.step}
			if tt.qmp&ignored != 0 {
				// Only then: a second reply would reach the next call.
				steps = append(steps, fakepeer.Reply("ok"))
			}
			q, _ := qmpSession(t, fakepeer.Config{
				Script:  steps,
				Handler: func(string, json.RawMessage) fakepeer.Response { return fakepeer.Response{Return: "next"} },
			})
			sub := q.Subscribe()
			call := func() (string, error) {
				var s string
				err := q.Call(testCtx(t), "query-status", nil, &s)
				return s, err
			}
			next := func() error {
				var s string
				if err := q.Call(testCtx(t), "next", nil, &s); err != nil || s != "next" {
					return fmt.Errorf("%q, %v", s, err)
				}
				return nil
			}
			checkOutcome(t, call, q.Done(), next, tt.qmp)
			if q.Err() == nil {
				return
			}
			wantConnError(t, q.Err(), nil, true)
			wantConnError(t, q.Call(testCtx(t), "query-status", nil, nil), nil, false)
			for range sub.Events() { // ends when the session ends
			}
		})
	}
}

// TestFaultQGABadInput: on a guest agent, bad input in place of a reply
// fails the call with a protocol error; the session resynchronises
// before the next call, which works.
func TestFaultQGABadInput(t *testing.T) {
	for _, tt := range badInputs {
		t.Run(tt.name, func(t *testing.T) {
			leakcheck.Check(t)
			steps := []fakepeer.Step{fakepeer.Expect("guest-info"), tt.step}
			if tt.qga&ignored != 0 {
				// If the call fails instead, the resynchronisation
				// discards this reply.
				steps = append(steps, fakepeer.Reply("ok"))
			}
			q, p := qgaSession(t, fakepeer.Config{
				Script:  steps,
				Handler: func(string, json.RawMessage) fakepeer.Response { return fakepeer.Response{Return: "next"} },
			})
			var callErr error
			call := func() (string, error) {
				var s string
				callErr = q.Call(testCtx(t), "guest-info", nil, &s)
				return s, callErr
			}
			next := func() error {
				var s string
				if err := q.Call(testCtx(t), "guest-ping", nil, &s); err != nil || s != "next" {
					return fmt.Errorf("%q, %v", s, err)
				}
				return nil
			}
			checkOutcome(t, call, q.Done(), next, tt.qga)
			var pe *runtime.ProtocolError
			if errors.As(callErr, &pe) {
				if msg := callErr.Error(); !strings.HasPrefix(msg, "qga protocol error: ") {
					t.Errorf("protocol error %q does not name qga", msg)
				}
				cmds := p.Commands()
				want := []string{"guest-sync-delimited", "guest-info", "guest-sync-delimited", "guest-ping"}
				if !cmp.Equal(want, cmds) {
					t.Errorf("after a protocol error, commands %q, want %q (a resynchronisation)", cmds, want)
				}
			}
		})
	}
}

// TestFaultBlankLines: empty lines and bare "\r\n" are not messages and
// must not disturb anything.
func TestFaultBlankLines(t *testing.T) {
	leakcheck.Check(t)
	q, _ := qmpSession(t, script(
		fakepeer.Expect("query-status"),
		fakepeer.Write([]byte("\r\n\n  \r\n")),
		fakepeer.Reply(map[string]string{"status": "running"}),
	))
	var st struct{ Status string }
	if err := q.Call(testCtx(t), "query-status", nil, &st); err != nil {
		// Blank lines are harmless in QEMU's framing; refusing them is
		// defensible but worth knowing.
		t.Fatalf("blank lines before a reply: %v", err)
	}
	if st.Status != "running" {
		t.Errorf("status %q", st.Status)
	}
}

// TestFaultPartialLines: replies and events written in pieces, down to a
// byte at a time, reassemble.
func TestFaultPartialLines(t *testing.T) {
	for _, pieces := range []int{2, 3, 7, 1000} {
		t.Run(fmt.Sprint(pieces), func(t *testing.T) {
			leakcheck.Check(t)
			ret := map[string]any{"status": "running", "nested": []any{"a\r\nb", map[string]any{"q": `"}`}}}
			q, _ := qmpSession(t, script(
				fakepeer.Expect("query-status"),
				fakepeer.Write([]byte(`{"timestamp": {"seconds": 1, "micro`)),
				fakepeer.Delay(time.Millisecond),
				fakepeer.Write([]byte(`seconds": 2}, "event": "SPLIT"}`+"\r")),
				fakepeer.Delay(time.Millisecond),
				fakepeer.Write([]byte("\n")),
				fakepeer.SplitReply(ret, pieces, 100*time.Microsecond),
			))
			sub := q.Subscribe("SPLIT")
			defer sub.Close()
			var got map[string]any
			if err := q.Call(testCtx(t), "query-status", nil, &got); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(ret, got); diff != "" {
				t.Errorf("reply (-want +got):\n%s", diff)
			}
			select {
			case ev := <-sub.Events():
				if ev.Name != "SPLIT" || !ev.Timestamp.Equal(time.Unix(1, 2000)) {
					t.Errorf("event %+v", ev)
				}
			case <-time.After(5 * time.Second):
				t.Error("no event")
			}
		})
	}
}

// TestFaultMessageSize: a reply at the limit passes; one byte over fails
// the QMP connection with ErrMessageTooLarge.
func TestFaultMessageSize(t *testing.T) {
	const limit = 4096
	tests := []struct {
		size    int
		wantErr bool
	}{
		{limit - 1, false},
		{limit, false},
		{limit + 1, true},
		{10 * limit, true},
		{4 << 20, true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.size), func(t *testing.T) {
			leakcheck.Check(t)
			steps := []fakepeer.Step{fakepeer.Expect("big"), fakepeer.LongReply(tt.size)}
			if !tt.wantErr {
				steps = append(steps, fakepeer.Expect("after"), fakepeer.Reply(nil))
			}
			q, _ := qmpSession(t, script(steps...), runtime.WithMaxMessageSize(limit))
			raw, err := q.Execute(testCtx(t), "big", nil)
			if !tt.wantErr {
				if err != nil {
					t.Fatalf("reply of %d bytes with limit %d: %v", tt.size, limit, err)
				}
				if want := tt.size - len(`{"return": ""}`); len(raw) != want+2 {
					t.Errorf("return value of %d bytes, want %d", len(raw), want+2)
				}
				if err := q.Call(testCtx(t), "after", nil, nil); err != nil {
					t.Errorf("call after: %v", err)
				}
				return
			}
			wantConnError(t, err, runtime.ErrMessageTooLarge, true)
			waitDone(t, q.Done())
		})
	}
}

// TestFaultMessageSizeQGA: on a guest agent, an oversize reply fails the
// call; the session resynchronises and the next call works.
func TestFaultMessageSizeQGA(t *testing.T) {
	for _, agent72 := range []bool{false, true} {
		t.Run(fmt.Sprintf("SyncByteError=%v", agent72), func(t *testing.T) {
			leakcheck.Check(t)
			q, p := qgaSession(t, fakepeer.Config{SyncByteError: agent72, Script: []fakepeer.Step{
				fakepeer.Expect("guest-file-read"),
				fakepeer.LongReply(100000),
				fakepeer.Expect("guest-ping"),
				fakepeer.Reply(nil),
			}}, runtime.WithMaxMessageSize(1000))
			_, err := q.Execute(testCtx(t), "guest-file-read", map[string]int{"handle": 1})
			if !errors.Is(err, runtime.ErrMessageTooLarge) {
				t.Fatalf("oversize reply: %v, want ErrMessageTooLarge", err)
			}
			if err := q.Call(testCtx(t), "guest-ping", nil, nil); err != nil {
				t.Fatalf("call after the oversize reply: %v", err)
			}
			wantCmds := []string{"guest-sync-delimited", "guest-file-read", "guest-sync-delimited", "guest-ping"}
			if diff := cmp.Diff(wantCmds, p.Commands()); diff != "" {
				t.Errorf("commands (-want +got):\n%s", diff)
			}
		})
	}
}

// TestFaultEOF: the peer closing the connection, mid-reply or between
// messages, fails every pending call with a *ConnError wrapping the
// cause, ends subscriptions, and closes Done.
func TestFaultEOF(t *testing.T) {
	tests := []struct {
		name  string
		steps []fakepeer.Step
	}{
		{"mid-reply", []fakepeer.Step{fakepeer.PartialReply(map[string]string{"status": "running"}), fakepeer.Close()}},
		{"mid-event", []fakepeer.Step{fakepeer.Write([]byte(`{"event": "STOP", "timest`)), fakepeer.Close()}},
		{"after the line, before its terminator", []fakepeer.Step{fakepeer.Write([]byte(`{"return": {}}`)), fakepeer.Close()}},
		{"between messages", []fakepeer.Step{fakepeer.Emit("STOP", nil), fakepeer.Close()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			leakcheck.Check(t)
			// Three calls in flight, the peer answers none.
			steps := []fakepeer.Step{fakepeer.Expect("q"), fakepeer.Expect("q"), fakepeer.Expect("q")}
			q, _ := qmpSession(t, script(append(steps, tt.steps...)...))
			sub := q.Subscribe()
			var wg sync.WaitGroup
			errs := make([]error, 3)
			for i := range 3 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs[i] = q.Call(testCtx(t), "q", nil, nil)
				}()
			}
			wg.Wait()
			for i, err := range errs {
				var ce *runtime.ConnError
				if !errors.As(err, &ce) {
					t.Errorf("call %d: %v (%T), want *runtime.ConnError", i, err, err)
					continue
				}
				if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Errorf("call %d: %v does not wrap io.EOF or io.ErrUnexpectedEOF", i, err)
				}
				if !strings.Contains(err.Error(), "closed") {
					t.Errorf("call %d: %q does not say the connection closed", i, err)
				}
			}
			waitDone(t, q.Done())
			timeout := time.After(5 * time.Second)
			for done := false; !done; {
				select {
				case _, ok := <-sub.Events():
					done = !ok
				case <-timeout:
					t.Fatal("subscription not closed")
				}
			}
		})
	}
}

// TestFaultUnknownID: a reply carrying an id no call used (or used and
// already answered) cannot be attributed: the session fails loudly, every
// pending call gets a *ProtocolError, and no caller gets a reply that is
// not its own.
func TestFaultUnknownID(t *testing.T) {
	bogus := []struct {
		name string
		id   any
	}{
		{"number", 987654},
		{"string", "__qmp#00001"},
		{"object", map[string]any{"x": []int{1}}},
		{"stale oob id", 1},
	}
	for _, tt := range bogus {
		t.Run(tt.name, func(t *testing.T) {
			leakcheck.Check(t)
			gotInband := make(chan struct{})
			steps := []fakepeer.Step{
				fakepeer.Expect("inband"),
				fakepeer.Do(func() { close(gotInband) }),
				fakepeer.Expect("oob", fakepeer.OOB(), fakepeer.WithID()),
			}
			if tt.name == "stale oob id" {
				steps = append(steps, fakepeer.ReplyTo("oob", "oob-reply"))
			}
			steps = append(steps, fakepeer.ReplyWithID(tt.id, "bogus"), fakepeer.Reply("inband-reply"))
			q, _ := qmpSession(t, script(steps...))
			if !q.OOB() {
				t.Fatal("oob not negotiated")
			}
			var wg sync.WaitGroup
			var inband, oob string
			var err1, err2 error
			wg.Add(2)
			go func() { defer wg.Done(); err1 = q.Call(testCtx(t), "inband", nil, &inband) }()
			waitCh(t, gotInband)
			go func() { defer wg.Done(); err2 = q.Call(testCtx(t), "oob", nil, &oob, runtime.OutOfBand()) }()
			wg.Wait()
			wantConnError(t, err1, nil, true)
			if tt.name == "stale oob id" {
				if err2 != nil || oob != "oob-reply" {
					t.Errorf("oob: %q, %v", oob, err2)
				}
			} else {
				wantConnError(t, err2, nil, true)
			}
			if inband != "" || (tt.name != "stale oob id" && oob != "") {
				t.Errorf("a caller got a reply: inband=%q oob=%q", inband, oob)
			}
			waitDone(t, q.Done())
			wantConnError(t, q.Err(), nil, true)
		})
	}
}

// TestFaultUnsolicitedReply: a reply with no id while no call is pending
// cannot be attributed: the session fails loudly rather than hand it to
// the next caller ("any reply the session cannot attribute fails it").
func TestFaultUnsolicitedReply(t *testing.T) {
	for _, watched := range []bool{true, false} {
		t.Run(fmt.Sprintf("subscribed=%v", watched), func(t *testing.T) {
			leakcheck.Check(t)
			q, _ := qmpSession(t, script(
				fakepeer.Emit("BEFORE_STRAY", nil),
				fakepeer.Reply("nobody asked"),
			))
			var sub *runtime.Subscription
			if watched {
				sub = q.Subscribe()
			}
			waitDone(t, q.Done())
			wantConnError(t, q.Err(), nil, true)
			var got string
			err := q.Call(testCtx(t), "x", nil, &got)
			wantConnError(t, err, nil, true)
			if got != "" {
				t.Errorf("got %q: the stray reply was handed to the next caller", got)
			}
			if sub != nil {
				for range sub.Events() { // closed with the session
				}
			}
		})
	}
}

// TestFaultEventStorm: a flood of events while 64 goroutines call keeps
// every reply with its caller; a subscriber with room sees every event.
func TestFaultEventStorm(t *testing.T) {
	leakcheck.Check(t)
	const callers, calls, perCall = 64, 20, 25
	handler := func(cmd string, args json.RawMessage) fakepeer.Response {
		evs := make([]fakepeer.Event, perCall)
		for i := range evs {
			evs[i] = fakepeer.Event{Name: "STORM", Data: map[string]int{"i": i}}
		}
		after := []fakepeer.Event{{Name: "AFTER"}}
		return fakepeer.Response{Return: args, Events: evs, EventsAfter: after}
	}
	// Room for every event, in bytes too.
	q, _ := qmpSession(t, fakepeer.Config{Handler: handler}, runtime.WithEventBufferBytes(64<<20))
	all := q.SubscribeBuffer(callers*calls*perCall, "STORM")
	defer all.Close()
	tiny := q.SubscribeBuffer(1) // never read: must not stall anything
	defer tiny.Close()
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for g := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range calls {
				var got struct{ G, I int }
				if err := q.Call(testCtx(t), "echo", map[string]int{"g": g, "i": i}, &got); err != nil {
					errs <- err
					return
				}
				if got.G != g || got.I != i {
					errs <- fmt.Errorf("caller %d call %d got the reply of caller %d call %d", g, i, got.G, got.I)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// Every STORM event was sent before the reply of its call, so all
	// of them have been delivered by now.
	if n, d := len(all.Events()), all.Dropped(); n != callers*calls*perCall || d != 0 {
		t.Errorf("subscriber got %d events, dropped %d; want %d, 0", n, d, callers*calls*perCall)
	}
	if tiny.Dropped() == 0 {
		t.Errorf("the full subscription counted no dropped events")
	}
}

// TestFaultSlowSubscriber: a subscriber that never reads loses the
// events that do not fit its buffer, counted, in order; calls are not
// slowed; other subscribers get everything.
func TestFaultSlowSubscriber(t *testing.T) {
	leakcheck.Check(t)
	const n, buf = 200, 4
	steps := []fakepeer.Step{fakepeer.Expect("go")}
	for i := range n {
		steps = append(steps, fakepeer.Emit("TICK", map[string]int{"n": i}))
	}
	steps = append(steps, fakepeer.Reply(nil), fakepeer.Emit("OTHER", nil))
	q, _ := qmpSession(t, script(steps...))
	slow := q.SubscribeBuffer(buf, "TICK")
	defer slow.Close()
	fast := q.SubscribeBuffer(n+1, "TICK", "OTHER")
	defer fast.Close()
	if err := q.Call(testCtx(t), "go", nil, nil); err != nil {
		t.Fatal(err)
	}
	var got []int
	for range buf {
		ev := <-slow.Events()
		var d struct{ N int }
		json.Unmarshal(ev.Data, &d)
		got = append(got, d.N)
	}
	if diff := cmp.Diff([]int{0, 1, 2, 3}, got); diff != "" {
		t.Errorf("kept events (-want +got):\n%s", diff)
	}
	if d := slow.Dropped(); d != n-buf {
		t.Errorf("Dropped() = %d, want %d", d, n-buf)
	}
	count := 0
	timeout := time.After(5 * time.Second)
	for count < n+1 {
		select {
		case <-fast.Events():
			count++
		case <-timeout:
			t.Fatalf("fast subscriber got %d of %d events", count, n+1)
		}
	}
	if fast.Dropped() != 0 {
		t.Errorf("fast subscriber dropped %d", fast.Dropped())
	}
}

// TestFaultCancelLateReply: a cancelled call returns ctx.Err() at once;
// its reply, arriving later, is dropped and does not reach later calls.
func TestFaultCancelLateReply(t *testing.T) {
	tests := []struct {
		name      string
		oob       bool
		pipelined bool // the next call is sent before the late reply
	}{
		{name: "in-band"},
		{name: "in-band pipelined", pipelined: true},
		{name: "oob", oob: true},
		{name: "oob pipelined", oob: true, pipelined: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			leakcheck.Check(t)
			reached, cancelled := make(chan struct{}), make(chan struct{})
			var opts []fakepeer.ExpectOption
			if tt.oob {
				opts = append(opts, fakepeer.OOB())
			}
			steps := []fakepeer.Step{
				fakepeer.Expect("slow", opts...),
				fakepeer.Do(func() { close(reached) }),
				fakepeer.WaitFor(cancelled),
			}
			if tt.pipelined {
				steps = append(steps,
					fakepeer.Expect("next"),
					fakepeer.ReplyTo("slow", "late"),
					fakepeer.Reply("next-reply"))
			} else {
				steps = append(steps,
					fakepeer.Reply("late"),
					fakepeer.Expect("next"),
					fakepeer.Reply("next-reply"))
			}
			q, _ := qmpSession(t, script(steps...))
			ctx, cancel := context.WithCancel(testCtx(t))
			res := make(chan error, 1)
			var callOpts []runtime.CallOption
			if tt.oob {
				callOpts = append(callOpts, runtime.OutOfBand())
			}
			go func() {
				var s string
				res <- q.Call(ctx, "slow", nil, &s, callOpts...)
			}()
			waitCh(t, reached)
			cancel()
			select {
			case err := <-res:
				if !errors.Is(err, context.Canceled) {
					t.Errorf("cancelled call: %v, want context.Canceled", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("the cancelled call did not return")
			}
			close(cancelled)
			var got string
			if err := q.Call(testCtx(t), "next", nil, &got); err != nil {
				t.Fatal(err)
			}
			if got != "next-reply" {
				t.Errorf("next call got %q", got)
			}
		})
	}
}

// TestFaultDeadline: a call whose deadline passes returns
// context.DeadlineExceeded; the late reply is dropped and the session
// stays usable.
func TestFaultDeadline(t *testing.T) {
	leakcheck.Check(t)
	returned := make(chan struct{})
	q, _ := qmpSession(t, script(
		fakepeer.Expect("slow"),
		fakepeer.WaitFor(returned),
		fakepeer.Reply("late"),
		fakepeer.Expect("next"),
		fakepeer.Reply("next-reply"),
	))
	ctx, cancel := context.WithTimeout(testCtx(t), 20*time.Millisecond)
	defer cancel()
	err := q.Call(ctx, "slow", nil, nil)
	close(returned)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want DeadlineExceeded", err)
	}
	var got string
	if err := q.Call(testCtx(t), "next", nil, &got); err != nil || got != "next-reply" {
		t.Errorf("next: %q, %v", got, err)
	}
}

// TestFaultQGAResync: after a cancelled call, whatever the agent sends
// (the late reply, half a line, garbage, a 7.2 agent's error line for the
// 0xFF) is discarded by the resynchronisation, and the next call gets its
// own reply.
func TestFaultQGAResync(t *testing.T) {
	stale := []struct {
		name  string
		steps []fakepeer.Step
	}{
		{"late reply", []fakepeer.Step{fakepeer.Reply(map[string]string{"version": "stale"})}},
		{"late reply, partial", []fakepeer.Step{fakepeer.PartialReply(map[string]string{"version": "stale"})}},
		{"garbage", []fakepeer.Step{fakepeer.Write([]byte("\x00garbage {{{ \"\n\"return\": 1}\n"))}},
		{"late error", []fakepeer.Step{fakepeer.ReplyError("GenericError", "too late")}},
		{"several lines and an open string", []fakepeer.Step{
			fakepeer.Reply(1), fakepeer.Reply(2), fakepeer.Write([]byte(`{"return": "unterminated`)),
		}},
		{"nothing", nil},
	}
	for _, agent72 := range []bool{false, true} {
		for _, st := range stale {
			t.Run(fmt.Sprintf("%s/SyncByteError=%v", st.name, agent72), func(t *testing.T) {
				leakcheck.Check(t)
				reached, cancelled := make(chan struct{}), make(chan struct{})
				steps := []fakepeer.Step{
					fakepeer.Expect("guest-info"),
					fakepeer.Do(func() { close(reached) }),
					fakepeer.WaitFor(cancelled),
				}
				steps = append(steps, st.steps...)
				steps = append(steps, fakepeer.Expect("guest-ping"), fakepeer.Reply(map[string]string{"pong": "fresh"}))
				q, p := qgaSession(t, fakepeer.Config{SyncByteError: agent72, Script: steps})
				ctx, cancel := context.WithCancel(testCtx(t))
				res := make(chan error, 1)
				go func() { res <- q.Call(ctx, "guest-info", nil, nil) }()
				waitCh(t, reached)
				cancel()
				if err := <-res; !errors.Is(err, context.Canceled) {
					t.Fatalf("cancelled call: %v", err)
				}
				close(cancelled)
				var got map[string]string
				if err := q.Call(testCtx(t), "guest-ping", nil, &got); err != nil {
					t.Fatalf("call after resync: %v", err)
				}
				if got["pong"] != "fresh" {
					t.Errorf("got %v", got)
				}
				wantCmds := []string{"guest-sync-delimited", "guest-info", "guest-sync-delimited", "guest-ping"}
				if diff := cmp.Diff(wantCmds, p.Commands()); diff != "" {
					t.Errorf("commands (-want +got):\n%s", diff)
				}
				reqs := p.Requests()
				if string(reqs[0].Args) == string(reqs[2].Args) {
					t.Errorf("both synchronisations used the same id: %s", reqs[0].Args)
				}
				// Each guest-sync-delimited is preceded by a 0xFF.
				var syncs int
				for _, m := range p.Received() {
					if len(m) > 0 && m[len(m)-1] == 0xFF {
						syncs++
					}
				}
				if syncs != 2 {
					t.Errorf("%d 0xFF bytes received, want 2", syncs)
				}
			})
		}
	}
}

// TestFaultCloseWithPendingCalls: Close fails every pending call with a
// *ConnError wrapping ErrClosed, at once, ends subscriptions, and a
// later call fails the same way.
func TestFaultCloseWithPendingCalls(t *testing.T) {
	leakcheck.Check(t)
	const n = 10
	steps := make([]fakepeer.Step, 0, n+3)
	for range n + 1 {
		steps = append(steps, fakepeer.Expect("query-status"))
	}
	reached := make(chan struct{})
	steps = append(steps, fakepeer.Do(func() { close(reached) }), fakepeer.WaitFor(make(chan struct{})))
	q, _ := qmpSession(t, script(steps...))
	sub := q.Subscribe()
	errs := make(chan error, n+1)
	for range n {
		go func() { errs <- q.Call(testCtx(t), "query-status", nil, nil) }()
	}
	go func() { errs <- q.Call(testCtx(t), "query-status", nil, nil, runtime.OutOfBand()) }()
	waitCh(t, reached)
	var wg sync.WaitGroup
	for range 3 { // concurrent, repeated Close
		wg.Add(1)
		go func() { defer wg.Done(); q.Close() }()
	}
	wg.Wait()
	for range n + 1 {
		select {
		case err := <-errs:
			wantConnError(t, err, runtime.ErrClosed, false)
		case <-time.After(5 * time.Second):
			t.Fatal("a pending call did not return after Close")
		}
	}
	if _, ok := <-sub.Events(); ok {
		t.Error("subscription still open")
	}
	wantConnError(t, q.Call(testCtx(t), "query-status", nil, nil), runtime.ErrClosed, false)
	wantConnError(t, q.Err(), runtime.ErrClosed, false)
}

// TestFaultQGACloseWithPendingCall: the same for the guest agent, with a
// second call waiting for its turn.
func TestFaultQGACloseWithPendingCall(t *testing.T) {
	leakcheck.Check(t)
	reached := make(chan struct{})
	q, _ := qgaSession(t, script(
		fakepeer.Expect("guest-info"),
		fakepeer.Do(func() { close(reached) }),
		fakepeer.WaitFor(make(chan struct{})),
	))
	errs := make(chan error, 2)
	go func() { errs <- q.Call(testCtx(t), "guest-info", nil, nil) }()
	waitCh(t, reached)
	go func() { errs <- q.Call(testCtx(t), "guest-ping", nil, nil) }()
	time.Sleep(10 * time.Millisecond)
	q.Close()
	for range 2 {
		select {
		case err := <-errs:
			wantConnError(t, err, runtime.ErrClosed, false)
		case <-time.After(5 * time.Second):
			t.Fatal("a call did not return after Close")
		}
	}
}

// TestFaultPeerClosesWhileIdle: EOF with nothing pending ends the
// session with a *ConnError wrapping io.EOF.
func TestFaultPeerClosesWhileIdle(t *testing.T) {
	leakcheck.Check(t)
	q, _ := qmpSession(t, script(fakepeer.Close()))
	waitDone(t, q.Done())
	wantConnError(t, q.Err(), io.EOF, false)
}

// TestFaultCommandErrors: error replies are *CommandError, matchable by
// class, and leave the connection up.
func TestFaultCommandErrors(t *testing.T) {
	leakcheck.Check(t)
	classes := []string{"GenericError", "CommandNotFound", "DeviceNotActive", "DeviceNotFound", "KVMMissingCap", "SomeFutureClass"}
	var steps []fakepeer.Step
	for _, c := range classes {
		steps = append(steps, fakepeer.Expect("x"), fakepeer.ReplyError(c, "desc of "+c))
	}
	q, _ := qmpSession(t, script(steps...))
	for _, c := range classes {
		err := q.Call(testCtx(t), "x", nil, nil)
		var ce *runtime.CommandError
		if !errors.As(err, &ce) {
			t.Fatalf("%s: %v (%T)", c, err, err)
		}
		want := &runtime.CommandError{Command: "x", Class: runtime.ErrorClass(c), Desc: "desc of " + c}
		if diff := cmp.Diff(want, ce); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		if !errors.Is(err, runtime.ErrorClass(c)) {
			t.Errorf("errors.Is(%v, %s) = false", err, c)
		}
	}
	if q.Err() != nil {
		t.Errorf("session failed: %v", q.Err())
	}
}

// TestFaultCancelMidLine: the caller reading a reply is cancelled when
// half of the line has arrived; the rest arrives later and is dropped
// with it, and the next call gets its own reply.
func TestFaultCancelMidLine(t *testing.T) {
	for _, oob := range []bool{false, true} {
		t.Run(fmt.Sprintf("oob=%v", oob), func(t *testing.T) {
			leakcheck.Check(t)
			reached, cancelled := make(chan struct{}), make(chan struct{})
			first, rest := `{"return": {"a": "first half`, ` and second half"}}`+"\r\n"
			var opts []fakepeer.ExpectOption
			var callOpts []runtime.CallOption
			if oob {
				opts = append(opts, fakepeer.OOB())
				callOpts = append(callOpts, runtime.OutOfBand())
				first, rest = `{"return": {"a": "first half`, ` and second half"}, "id": 1}`+"\r\n"
			}
			q, _ := qmpSession(t, script(
				fakepeer.Expect("a", opts...),
				fakepeer.Write([]byte(first)),
				fakepeer.Flush(),
				fakepeer.Do(func() { close(reached) }),
				fakepeer.WaitFor(cancelled),
				fakepeer.Write([]byte(rest)), // by hand: "a" stays pending in the script
				fakepeer.Expect("b"),
				fakepeer.ReplyTo("b", "b-reply"),
			))
			ctx, cancel := context.WithCancel(testCtx(t))
			res := make(chan error, 1)
			go func() { res <- q.Call(ctx, "a", nil, nil, callOpts...) }()
			waitCh(t, reached)
			time.Sleep(20 * time.Millisecond) // the client holds half a line
			cancel()
			if err := <-res; !errors.Is(err, context.Canceled) {
				t.Fatalf("cancelled call: %v", err)
			}
			close(cancelled)
			var got string
			if err := q.Call(testCtx(t), "b", nil, &got); err != nil || got != "b-reply" {
				t.Fatalf("next call: %q, %v", got, err)
			}
		})
	}
}

// TestFaultCancelStorm: 64 goroutines call with contexts cancelled at
// random moments while replies come slowly and events flow; every call
// either fails with its context's error or gets its own reply, and
// nothing hangs or leaks.
func TestFaultCancelStorm(t *testing.T) {
	leakcheck.Check(t)
	var n int
	handler := func(cmd string, args json.RawMessage) fakepeer.Response {
		n++
		if n%7 == 0 {
			time.Sleep(time.Millisecond)
		}
		r := fakepeer.Response{Return: args}
		if n%3 == 0 {
			r.Events = []fakepeer.Event{{Name: "TICK"}}
		}
		return r
	}
	q, _ := qmpSession(t, fakepeer.Config{Handler: handler})
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	var okCalls, cancelledCalls sync.Map
	for g := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 30 {
				ctx, cancel := context.WithCancel(testCtx(t))
				if (g+i)%3 == 0 {
					go func() {
						time.Sleep(time.Duration((g*i)%500) * time.Microsecond)
						cancel()
					}()
				}
				var opts []runtime.CallOption
				if (g+i)%5 == 0 {
					opts = append(opts, runtime.OutOfBand())
				}
				var got struct{ G, I int }
				err := q.Call(ctx, "echo", map[string]int{"g": g, "i": i}, &got, opts...)
				cancel()
				switch {
				case err == nil:
					if got.G != g || got.I != i {
						errs <- fmt.Errorf("caller %d call %d got the reply of caller %d call %d", g, i, got.G, got.I)
						return
					}
					okCalls.Store([2]int{g, i}, true)
				case errors.Is(err, context.Canceled):
					cancelledCalls.Store([2]int{g, i}, true)
				default:
					errs <- fmt.Errorf("caller %d call %d: %v", g, i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// The session is still fine.
	var got struct{ G, I int }
	if err := q.Call(testCtx(t), "echo", map[string]int{"g": -1, "i": -1}, &got); err != nil || got.G != -1 {
		t.Errorf("after the storm: %+v, %v", got, err)
	}
}

// TestFaultSubscribeChurn: subscriptions come and go, concurrently,
// while events flood and calls run.
func TestFaultSubscribeChurn(t *testing.T) {
	leakcheck.Check(t)
	handler := func(cmd string, args json.RawMessage) fakepeer.Response {
		evs := make([]fakepeer.Event, 10)
		for i := range evs {
			evs[i] = fakepeer.Event{Name: fmt.Sprintf("E%d", i%3)}
		}
		return fakepeer.Response{Return: args, Events: evs, EventsAfter: evs[:2]}
	}
	q, _ := qmpSession(t, fakepeer.Config{Handler: handler})
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				var s *runtime.Subscription
				switch g % 3 {
				case 0:
					s = q.Subscribe()
				case 1:
					s = q.Subscribe("E1")
				default:
					s = q.SubscribeBuffer(1, "E0", "E2")
				}
				select {
				case <-s.Events():
				case <-time.After(time.Millisecond):
				}
				s.Close()
				s.Close()
				s.Dropped()
			}
		}()
	}
	for i := range 200 {
		var got map[string]int // the handler echoes the arguments
		if err := q.Call(testCtx(t), "x", map[string]int{"i": i}, &got); err != nil || got["i"] != i {
			t.Fatalf("call %d: %v, %v", i, got, err)
		}
	}
	close(stop)
	wg.Wait()
}

// TestFaultHandshake: QMP handshakes that go wrong fail NewQMP cleanly,
// with the right error, and leak nothing.
func TestFaultHandshake(t *testing.T) {
	tests := []struct {
		name  string
		cfg   fakepeer.Config
		check func(error) bool
		want  string
	}{
		{
			name:  "negotiation refused",
			cfg:   fakepeer.Config{NegotiationError: &fakepeer.Error{Class: "GenericError", Desc: "no"}},
			check: func(err error) bool { return errors.Is(err, runtime.GenericError) },
			want:  "a GenericError *CommandError",
		},
		{
			name:  "not a greeting",
			cfg:   fakepeer.Config{Greeting: []byte(`{"return": {}}`)},
			check: isProtocolError,
			want:  "a *ProtocolError",
		},
		{
			name:  "garbage greeting",
			cfg:   fakepeer.Config{Greeting: []byte(`SSH-2.0-OpenSSH_9.2`)},
			check: isProtocolError,
			want:  "a *ProtocolError",
		},
		{
			name:  "malformed greeting",
			cfg:   fakepeer.Config{Greeting: []byte(`{"QMP": {"version": "ten"}}`)},
			check: isProtocolError,
			want:  "a *ProtocolError",
		},
		{
			name:  "greeting over the size limit",
			cfg:   fakepeer.Config{Greeting: []byte(`{"QMP": {"version": {"qemu": {"major": 1, "minor": 0, "micro": 0}, "package": "` + strings.Repeat("x", 5000) + `"}, "capabilities": []}}`)},
			check: func(err error) bool { return errors.Is(err, runtime.ErrMessageTooLarge) },
			want:  "ErrMessageTooLarge",
		},
		{
			name:  "close instead of negotiating",
			cfg:   fakepeer.Config{ManualNegotiation: true, Script: []fakepeer.Step{fakepeer.Expect("qmp_capabilities"), fakepeer.Close()}},
			check: func(err error) bool { return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) },
			want:  "io.EOF",
		},
		{
			name: "no answer to negotiation",
			cfg: fakepeer.Config{ManualNegotiation: true, Script: []fakepeer.Step{
				fakepeer.Expect("qmp_capabilities"), fakepeer.WaitFor(make(chan struct{}))}},
			check: func(err error) bool { return errors.Is(err, context.DeadlineExceeded) },
			want:  "context.DeadlineExceeded",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			leakcheck.Check(t)
			p := fakepeer.New(t, tt.cfg)
			timeout := 5 * time.Second
			if tt.name == "no answer to negotiation" {
				timeout = 100 * time.Millisecond
			}
			ctx, cancel := context.WithTimeout(testCtx(t), timeout)
			defer cancel()
			q, err := runtime.NewQMP(ctx, p.Pipe(), runtime.WithMaxMessageSize(4096))
			if err == nil {
				q.Close()
				t.Fatal("NewQMP succeeded")
			}
			if !tt.check(err) {
				t.Errorf("NewQMP: %v (%T), want %s", err, err, tt.want)
			}
			p.Close()
		})
	}
}

func isProtocolError(err error) bool {
	var pe *runtime.ProtocolError
	return errors.As(err, &pe)
}

// TestFaultQGASyncHostile: the synchronisation skips sync replies with
// the wrong id, stale sentinels and error lines, and a sync that is never
// answered fails at the context's deadline.
func TestFaultQGASyncHostile(t *testing.T) {
	leakcheck.Check(t)
	q, p := qgaSession(t, fakepeer.Config{ManualSync: true, SyncByteError: true, Script: []fakepeer.Step{
		fakepeer.Expect("guest-sync-delimited"),
		fakepeer.Write([]byte("\xff{\"return\": 1}\n")),       // sentinel, wrong id
		fakepeer.Write([]byte("{\"return\": 2}\n\xff\xff\n")), // more
		fakepeer.Write([]byte("{\"error\": {\"class\": \"GenericError\", \"desc\": \"x\"}}\n")),
		fakepeer.SyncReply(),
		fakepeer.Expect("guest-ping"),
		fakepeer.Reply(nil),
	}})
	if err := q.Call(testCtx(t), "guest-ping", nil, nil); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"guest-sync-delimited", "guest-ping"}, p.Commands()); diff != "" {
		t.Errorf("commands (-want +got):\n%s", diff)
	}

	// Never answered.
	p2 := fakepeer.New(t, fakepeer.Config{Protocol: fakepeer.QGA, ManualSync: true, Script: []fakepeer.Step{
		fakepeer.Expect("guest-sync-delimited"), fakepeer.WaitFor(make(chan struct{})),
	}})
	ctx, cancel := context.WithTimeout(testCtx(t), 100*time.Millisecond)
	defer cancel()
	if q2, err := runtime.NewQGA(ctx, p2.Pipe()); !errors.Is(err, context.DeadlineExceeded) {
		if q2 != nil {
			q2.Close()
		}
		t.Errorf("unanswered sync: %v, want DeadlineExceeded", err)
	}
	p2.Close()
}

// TestFaultQGACancelDuringSync: a call is cancelled while its reply is
// pending, the next one while its resynchronisation is pending; the late
// reply and the late sync reply (a real 0xFF sentinel, but the wrong id)
// arrive before the third call's resynchronisation, which must skip them.
func TestFaultQGACancelDuringSync(t *testing.T) {
	leakcheck.Check(t)
	reached1, cancelled1 := make(chan struct{}), make(chan struct{})
	reached2, cancelled2 := make(chan struct{}), make(chan struct{})
	q, p := qgaSession(t, fakepeer.Config{ManualSync: true, SyncByteError: true, Script: []fakepeer.Step{
		fakepeer.Expect("guest-sync-delimited"), fakepeer.SyncReply(), // on connect
		fakepeer.Expect("guest-info"),
		fakepeer.Do(func() { close(reached1) }),
		fakepeer.WaitFor(cancelled1),
		fakepeer.Expect("guest-sync-delimited"), // the second call's
		fakepeer.Do(func() { close(reached2) }),
		fakepeer.WaitFor(cancelled2),
		fakepeer.ReplyTo("guest-info", "stale-info"),
		fakepeer.SyncReply(),                    // answers the cancelled sync
		fakepeer.Expect("guest-sync-delimited"), // the third call's
		fakepeer.SyncReply(),
		fakepeer.Expect("guest-ping"),
		fakepeer.Reply("fresh"),
	}})
	cancelled := func(reached, release chan struct{}, cmd string) {
		t.Helper()
		ctx, cancel := context.WithCancel(testCtx(t))
		res := make(chan error, 1)
		go func() { res <- q.Call(ctx, cmd, nil, nil) }()
		waitCh(t, reached)
		cancel()
		if err := <-res; !errors.Is(err, context.Canceled) {
			t.Fatalf("%s: %v, want context.Canceled", cmd, err)
		}
		close(release)
	}
	cancelled(reached1, cancelled1, "guest-info")
	cancelled(reached2, cancelled2, "guest-ping")
	var got string
	if err := q.Call(testCtx(t), "guest-ping", nil, &got); err != nil || got != "fresh" {
		t.Fatalf("third call: %q, %v", got, err)
	}
	want := []string{"guest-sync-delimited", "guest-info", "guest-sync-delimited", "guest-sync-delimited", "guest-ping"}
	if diff := cmp.Diff(want, p.Commands()); diff != "" {
		t.Errorf("commands (-want +got):\n%s", diff)
	}
}

// TestFaultQGAOversizeDuringSync: stale data over the size limit before
// the sentinel, with or without a line end before the 0xFF, does not
// hide the sentinel.
func TestFaultQGAOversizeDuringSync(t *testing.T) {
	big := strings.Repeat("x", 100_000)
	tests := []struct {
		name  string
		stale string
	}{
		{"oversize line", `{"return": "` + big + `"}` + "\n"},
		{"oversize, no line end before the sentinel", `{"return": "` + big},
		{"oversize garbage, several lines", big + "\n" + big + "\n" + big},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			leakcheck.Check(t)
			q, _ := qgaSession(t, fakepeer.Config{ManualSync: true, Script: []fakepeer.Step{
				fakepeer.Expect("guest-sync-delimited"),
				fakepeer.Write([]byte(tt.stale)),
				fakepeer.SyncReply(),
				fakepeer.Expect("guest-ping"),
				fakepeer.Reply("pong"),
			}}, runtime.WithMaxMessageSize(1000))
			var got string
			if err := q.Call(testCtx(t), "guest-ping", nil, &got); err != nil || got != "pong" {
				t.Fatalf("guest-ping: %q, %v", got, err)
			}
		})
	}
}

// TestFaultUnicode: QEMU sends ASCII only, with \u escapes (surrogate
// pairs beyond the BMP) for everything else; strings survive the trip,
// in replies, errors and events.
func TestFaultUnicode(t *testing.T) {
	leakcheck.Check(t)
	const s = "héllo 😀 <tag> \u2028 \"quoted\" back\\slash \x01 \r\n"
	q, _ := qmpSession(t, script(
		fakepeer.Expect("x", fakepeer.Args(map[string]string{"s": s})),
		fakepeer.Emit("EV", map[string]string{"s": s}),
		fakepeer.Reply(s),
		fakepeer.Expect("y"),
		fakepeer.ReplyError("GenericError", s),
	))
	sub := q.Subscribe("EV")
	defer sub.Close()
	var got string
	if err := q.Call(testCtx(t), "x", map[string]string{"s": s}, &got); err != nil || got != s {
		t.Errorf("reply %q, %v", got, err)
	}
	ev := <-sub.Events()
	var d struct{ S string }
	if err := json.Unmarshal(ev.Data, &d); err != nil || d.S != s {
		t.Errorf("event data %q, %v", d.S, err)
	}
	var ce *runtime.CommandError
	if err := q.Call(testCtx(t), "y", nil, nil); !errors.As(err, &ce) || ce.Desc != s {
		t.Errorf("error %v", err)
	}
}

// TestFaultCancelMidLargeMessage: a call is cancelled (or fails) while a
// large reply is half read, under and over the size limit; the rest is
// skipped and the next call gets its own reply.
func TestFaultCancelMidLargeMessage(t *testing.T) {
	const half = 1 << 20
	tests := []struct {
		name  string
		qga   bool
		limit int // 0: default
	}{
		{name: "QMP under the limit"},
		{name: "QGA under the limit", qga: true},
		{name: "QGA over the limit", qga: true, limit: 64 << 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			leakcheck.Check(t)
			reached, cancelled := make(chan struct{}), make(chan struct{})
			term := "\r\n"
			if tt.qga {
				term = "\n"
			}
			cfg := fakepeer.Config{Script: []fakepeer.Step{
				fakepeer.Expect("big"),
				fakepeer.Write([]byte(`{"return": "` + strings.Repeat("x", half))),
				fakepeer.Flush(),
				fakepeer.Do(func() { close(reached) }),
				fakepeer.WaitFor(cancelled),
				fakepeer.Write([]byte(strings.Repeat("y", half) + `"}` + term)),
				fakepeer.Expect("next"),
				fakepeer.ReplyTo("next", "next-reply"),
			}}
			var opts []runtime.Option
			if tt.limit > 0 {
				opts = append(opts, runtime.WithMaxMessageSize(tt.limit))
			}
			var c runtime.Caller
			if tt.qga {
				c, _ = qgaSession(t, cfg, opts...)
			} else {
				c, _ = qmpSession(t, cfg, opts...)
			}
			ctx, cancel := context.WithCancel(testCtx(t))
			res := make(chan error, 1)
			go func() { res <- c.Call(ctx, "big", nil, nil) }()
			waitCh(t, reached)
			cancel()
			err := <-res
			if !errors.Is(err, context.Canceled) && !(tt.limit > 0 && errors.Is(err, runtime.ErrMessageTooLarge)) {
				t.Fatalf("big: %v", err)
			}
			close(cancelled)
			var got string
			if err := c.Call(testCtx(t), "next", nil, &got); err != nil || got != "next-reply" {
				t.Fatalf("next: %q, %v", got, err)
			}
		})
	}
}

// TestFaultOversizeNotBuffered: a reply far over the limit is refused
// without being buffered: the client allocates a small fraction of it.
func TestFaultOversizeNotBuffered(t *testing.T) {
	leakcheck.Check(t)
	const size, limit = 64 << 20, 1 << 20
	for _, qga := range []bool{false, true} {
		t.Run(fmt.Sprintf("qga=%v", qga), func(t *testing.T) {
			cfg := script(fakepeer.Expect("big"), fakepeer.LongReply(size))
			var c runtime.Caller
			if qga {
				c, _ = qgaSession(t, cfg, runtime.WithMaxMessageSize(limit))
			} else {
				c, _ = qmpSession(t, cfg, runtime.WithMaxMessageSize(limit))
			}
			var before, after goruntime.MemStats
			goruntime.ReadMemStats(&before)
			err := c.Call(testCtx(t), "big", nil, nil)
			goruntime.ReadMemStats(&after)
			if !errors.Is(err, runtime.ErrMessageTooLarge) {
				t.Fatalf("got %v, want ErrMessageTooLarge", err)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 32<<20 {
				t.Errorf("refusing a %d MiB reply allocated %d MiB", size>>20, alloc>>20)
			}
		})
	}
}

// TestErrorsNameProtocol: *ConnError and *ProtocolError messages name the
// session's protocol.
func TestErrorsNameProtocol(t *testing.T) {
	t.Run("qmp", func(t *testing.T) {
		leakcheck.Check(t)
		q, _ := qmpSession(t, script(fakepeer.Expect("query-status"), fakepeer.Write([]byte("{\"return\": \n"))))
		err := q.Call(testCtx(t), "query-status", nil, nil)
		wantConnError(t, err, nil, true)
		if want := "qmp: connection closed: qmp protocol error: "; !strings.HasPrefix(err.Error(), want) {
			t.Errorf("error %q, want prefix %q", err, want)
		}
		q.Close()
		if err, want := q.Call(testCtx(t), "query-status", nil, nil), "qmp: connection closed"; err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("after Close: %v, want prefix %q", err, want)
		}
	})
	t.Run("qga", func(t *testing.T) {
		leakcheck.Check(t)
		q, _ := qgaSession(t, script(fakepeer.Expect("guest-info"), fakepeer.Write([]byte("{\"return\": \n"))))
		err := q.Call(testCtx(t), "guest-info", nil, nil)
		var pe *runtime.ProtocolError
		if !errors.As(err, &pe) {
			t.Fatalf("error %v (%T), want a *runtime.ProtocolError", err, err)
		}
		if want := "qga protocol error: "; !strings.HasPrefix(err.Error(), want) {
			t.Errorf("error %q, want prefix %q", err, want)
		}
		q.Close()
		err = q.Call(testCtx(t), "guest-ping", nil, nil)
		wantConnError(t, err, runtime.ErrClosed, false)
		if want := "qga: connection closed"; !strings.HasPrefix(err.Error(), want) {
			t.Errorf("after Close: %q, want prefix %q", err, want)
		}
	})
}

// TestFaultSecondGreeting: QEMU flushes a greeting meant for a client
// that left before it was written to the next client, ahead of that
// client's own; the session ignores the extra greeting and goes on.
func TestFaultSecondGreeting(t *testing.T) {
	leakcheck.Check(t)
	q, _ := qmpSession(t, script(
		fakepeer.Line(`{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}, "package": ""}, "capabilities": ["oob"]}}`),
		fakepeer.Expect("query-status"),
		fakepeer.Reply(map[string]any{"status": "running", "running": true}),
	))
	var st struct{ Status string }
	if err := q.Call(testCtx(t), "query-status", nil, &st); err != nil {
		t.Fatalf("query-status after a second greeting: %v", err)
	}
	if st.Status != "running" {
		t.Errorf("status %q, want running", st.Status)
	}
	if err := q.Err(); err != nil {
		t.Errorf("session failed: %v", err)
	}
}
