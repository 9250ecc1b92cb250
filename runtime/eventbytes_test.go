package runtime_test

import (
	"strings"
	"testing"

	"github.com/qapi-go/qapi/internal/leakcheck"
	"github.com/qapi-go/qapi/runtime"
	"github.com/qapi-go/qapi/runtime/fakepeer"
)

// TestEventBufferBytes: a subscription that is not read holds at most its
// bound in bytes, however large the peer's events; the events past it are
// dropped and counted; once read, the subscription has room again. (A
// subscription used to be bounded in events only: 64 events of up to the
// maximum message size each.)
func TestEventBufferBytes(t *testing.T) {
	leakcheck.Check(t)
	const bound, size, n = 1 << 20, 100 << 10, 40
	big := strings.Repeat("x", size)
	var steps []fakepeer.Step
	for range n {
		steps = append(steps, fakepeer.Emit("BIG", map[string]string{"s": big}))
	}
	drained := make(chan struct{})
	steps = append(steps, fakepeer.Expect("sync"), fakepeer.Reply(nil), fakepeer.WaitFor(drained))
	for range 3 {
		steps = append(steps, fakepeer.Emit("BIG", map[string]string{"s": big}))
	}
	steps = append(steps, fakepeer.Expect("sync"), fakepeer.Reply(nil))
	release := make(chan struct{})
	q, _ := qmpSession(t, script(append([]fakepeer.Step{fakepeer.WaitFor(release)}, steps...)...),
		runtime.WithEventBufferBytes(bound))
	sub := q.Subscribe("BIG")
	defer sub.Close()
	small := q.SubscribeBuffer(2, "BIG") // bounded by its count first
	defer small.Close()
	close(release)
	if err := q.Call(testCtx(t), "sync", nil, nil); err != nil { // every event has been dispatched
		t.Fatal(err)
	}
	held, bytes := len(sub.Events()), 0
	for range held {
		ev := <-sub.Events()
		bytes += len(ev.Name) + len(ev.Data)
	}
	if bytes > bound || held == 0 {
		t.Errorf("an unread subscription held %d events, %d bytes; want at most %d bytes", held, bytes, bound)
	}
	if d := sub.Dropped(); int(d) != n-held {
		t.Errorf("dropped %d, want %d (%d sent, %d held)", d, n-held, n, held)
	}
	if d := small.Dropped(); d != n-2 {
		t.Errorf("the 2-event subscription dropped %d, want %d", d, n-2)
	}
	// Read: room again.
	close(drained)
	if err := q.Call(testCtx(t), "sync", nil, nil); err != nil {
		t.Fatal(err)
	}
	if got := len(sub.Events()); got != 3 {
		t.Errorf("after reading, %d of 3 new events held", got)
	}
}

// TestCallAndWaitLargeEvent: the event CallAndWait waits for is never
// dropped for its size, whatever the session's bound in bytes.
func TestCallAndWaitLargeEvent(t *testing.T) {
	leakcheck.Check(t)
	big := strings.Repeat("x", 8<<10)
	q, _ := qmpSession(t, script(
		fakepeer.Expect("device_del"),
		fakepeer.Emit("DEVICE_DELETED", map[string]string{"device": big}),
		fakepeer.Reply(map[string]any{}),
	), runtime.WithEventBufferBytes(1024))
	ev, err := q.CallAndWait(testCtx(t), "device_del", map[string]string{"id": "d"}, nil, "DEVICE_DELETED", nil)
	if err != nil || len(ev.Data) < len(big) {
		t.Fatalf("CallAndWait: %d bytes of data, %v", len(ev.Data), err)
	}
}
