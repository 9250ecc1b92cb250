package fakepeer_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/qapi-go/qapi/runtime"
	"github.com/qapi-go/qapi/runtime/fakepeer"
)

// A test of code that pauses a VM: the peer expects "stop", sends the
// STOP event before the reply (as QEMU does) and checks that nothing else
// is sent. Run as a test, New gets the test's *testing.T; here a nil
// testing.TB and Wait report the outcome instead.
func Example() {
	peer := fakepeer.New(nil, fakepeer.Config{Script: []fakepeer.Step{
		fakepeer.Expect("stop", fakepeer.NoArgs()),
		fakepeer.Emit("STOP", nil),
		fakepeer.Reply(nil),
		fakepeer.ExpectEOF(),
	}})
	defer peer.Close()

	ctx := context.Background()
	q, err := runtime.NewQMP(ctx, peer.Pipe())
	if err != nil {
		fmt.Println(err)
		return
	}
	ev, err := q.CallAndWait(ctx, "stop", nil, nil, "STOP", nil)
	fmt.Println(ev.Name, err)
	q.Close()

	fmt.Println(peer.Wait(), peer.Commands(), peer.Enabled())
	// Output:
	// STOP <nil>
	// <nil> [qmp_capabilities stop] [oob]
}

// Handler mode: no script, every request is answered by a function.
func Example_handler() {
	peer := fakepeer.New(nil, fakepeer.Config{
		Handler: func(cmd string, args json.RawMessage) fakepeer.Response {
			switch cmd {
			case "query-status":
				return fakepeer.Response{Return: map[string]any{"status": "running", "running": true}}
			case "device_del":
				return fakepeer.Response{Error: &fakepeer.Error{Class: "DeviceNotFound", Desc: "Device 'net0' not found"}}
			}
			return fakepeer.Response{Error: &fakepeer.Error{Class: "CommandNotFound", Desc: "The command " + cmd + " has not been found"}}
		},
	})
	defer peer.Close()

	ctx := context.Background()
	q, err := runtime.NewQMP(ctx, peer.Pipe())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer q.Close()
	var st struct{ Status string }
	err = q.Call(ctx, "query-status", nil, &st)
	fmt.Println(st.Status, err)
	err = q.Call(ctx, "device_del", map[string]string{"id": "net0"}, nil)
	fmt.Println(errors.Is(err, runtime.DeviceNotFound))
	// Output:
	// running <nil>
	// true
}

// A guest agent that answers the resynchronisation the way QEMU 7.2's
// does (an error line for the bare 0xFF first), then a ping.
func Example_guestAgent() {
	peer := fakepeer.New(nil, fakepeer.Config{
		Protocol:      fakepeer.QGA,
		SyncByteError: true,
		Script: []fakepeer.Step{
			fakepeer.Expect("guest-ping"),
			fakepeer.Reply(nil),
		},
	})
	defer peer.Close()

	ctx := context.Background()
	g, err := runtime.NewQGA(ctx, peer.Pipe()) // synchronises
	if err != nil {
		fmt.Println(err)
		return
	}
	defer g.Close()
	fmt.Println(g.Call(ctx, "guest-ping", nil, nil))
	fmt.Println(peer.Commands())
	// Output:
	// <nil>
	// [guest-sync-delimited guest-ping]
}

// A unit test of one's own code with a misbehaving peer: the reply to
// query-status is cut off by the connection closing.
func TestExampleEOFMidReply(t *testing.T) {
	conn, _ := fakepeer.NewQMP(t,
		fakepeer.Expect("query-status"),
		fakepeer.PartialReply(map[string]any{"status": "running"}),
		fakepeer.Close(),
	)
	q, err := runtime.NewQMP(context.Background(), conn)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	err = q.Call(context.Background(), "query-status", nil, nil)
	var ce *runtime.ConnError
	if !errors.As(err, &ce) {
		t.Fatalf("got %v, want a *runtime.ConnError", err)
	}
}
