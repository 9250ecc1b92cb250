package testgen

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/qapi-go/qapi/runtime"
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
	c := NewClient(q)

	n, err := c.Draw(ctx, DrawArgs{Shapes: []Shape{{ShapeBase: ShapeBase{Base: Base{Name: "a"}, Kind: ShapeKindPoint}}}})
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
	list, err := c.ListShapes(ctx)
	if err != nil || len(list) != 1 || list[0].Group.Single.Only.Kind != ShapeKindPoint {
		t.Fatalf("ListShapes = %+v, %v", list, err)
	}
	if err := c.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := c.PingOOB(ctx, runtime.OutOfBand()); err != nil {
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
