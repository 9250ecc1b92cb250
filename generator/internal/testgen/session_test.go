package testgen

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/qapi-go/qapi/runtime"
	"github.com/qapi-go/qapi/runtime/codec"
	"github.com/qapi-go/qapi/runtime/fakepeer"
)

// TestOverQMPSession drives the generated client through the real QMP
// session of package runtime against its scripted fake peer.
func TestOverQMPSession(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	peer := fakepeer.New(t, fakepeer.Config{Handler: func(cmd string, args json.RawMessage) fakepeer.Response {
		switch cmd {
		case "draw":
			var a DrawArgs
			if err := json.Unmarshal(args, &a); err != nil {
				t.Errorf("draw args: %v", err)
			}
			return fakepeer.Response{Return: len(a.Shapes),
				Events: []fakepeer.Event{{Name: "SHAPE_ADDED", Data: map[string]any{"name": "x", "kind": "circle"}}}}
		case "list-shapes":
			return fakepeer.Response{Return: json.RawMessage(`[{"name":"g","kind":"group","mode":"single","only":{"name":"p","kind":"point"}}]`)}
		case "stop":
			return fakepeer.Response{NoReply: true}
		}
		return fakepeer.Response{}
	}})
	q, err := runtime.NewQMP(ctx, peer.Pipe())
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	sub := q.Subscribe("SHAPE_ADDED")
	defer sub.Close()
	c := NewConn(q)

	n, err := c.Draw(ctx, &DrawArgs{Shapes: []Shape{{ShapeBase: ShapeBase{Base: Base{Name: "a"}, Kind: ShapeKindPoint}}}})
	if err != nil || n != 1 {
		t.Fatalf("Draw = %d, %v", n, err)
	}
	select {
	case ev := <-sub.Events():
		v, err := DecodeEvent(ev)
		if e, ok := v.(*ShapeAddedEvent); !ok || err != nil || e.Kind != ShapeKindCircle {
			t.Errorf("event: %#v %v", v, err)
		}
	case <-ctx.Done():
		t.Fatal("no event")
	}
	list, err := c.ListShapes(ctx, nil)
	if err != nil || len(list) != 1 || list[0].Group.Single.Only.Kind != ShapeKindPoint {
		t.Fatalf("ListShapes = %+v, %v", list, err)
	}
	if err := c.Stop(ctx, nil); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := c.PingOOB(ctx, nil, runtime.OutOfBand()); err != nil {
		t.Fatalf("PingOOB: %v", err)
	}
	var sawOOB bool
	for _, r := range peer.Requests() {
		if r.Command == "ping-oob" && r.OOB {
			sawOOB = true
		}
	}
	if !sawOOB {
		t.Errorf("ping-oob not sent out of band: %+v", peer.Requests())
	}
}

// recorder is a runtime.Caller that records the arguments it is given.
type recorder struct{ args []any }

func (r *recorder) Call(ctx context.Context, command string, args, result any, opts ...runtime.CallOption) error {
	r.args = append(r.args, args)
	return nil
}

// TestOptionalArgs: a command whose arguments are all optional takes a
// pointer; nil reaches the Caller as a nil interface (no arguments), over
// a real session too; other arguments reach it wrapped for the codec.
func TestOptionalArgs(t *testing.T) {
	rec := &recorder{}
	c := (*Conn)(nil).WithCaller(rec)
	if _, err := c.FindShapes(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	a := &FindShapesArgs{Limit: Ptr(int64(2))}
	if _, err := c.FindShapes(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	if len(rec.args) != 2 || rec.args[0] != nil || rec.args[1] != any(codec.Value{V: a}) {
		t.Errorf("Caller got %#v", rec.args)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	peer := fakepeer.New(t, fakepeer.Config{Handler: func(cmd string, args json.RawMessage) fakepeer.Response {
		return fakepeer.Response{Return: json.RawMessage(`[]`)}
	}})
	q, err := runtime.NewQMP(ctx, peer.Pipe())
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	c = NewConn(q)
	for _, a := range []*FindShapesArgs{nil, {}, {Kind: Ptr(ShapeKindCircle)}} {
		if _, err := c.FindShapes(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for _, r := range peer.Requests() {
		if r.Command == "find-shapes" {
			got = append(got, string(r.Args))
		}
	}
	if want := []string{"", "", `{"kind":"circle"}`}; !slices.Equal(got, want) {
		t.Errorf("arguments sent: %q, want %q", got, want)
	}
}
