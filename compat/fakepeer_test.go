package compat

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/qapi-go/qapi/runtime"
	"github.com/qapi-go/qapi/runtime/fakepeer"
)

// TestCheckFakePeer runs Check over a real runtime session against the
// fake peer answering query-qmp-schema with the crafted reply.
func TestCheckFakePeer(t *testing.T) {
	reply := json.RawMessage(craftedLive(t))
	peer := fakepeer.New(t, fakepeer.Config{Handler: func(cmd string, args json.RawMessage) fakepeer.Response {
		if cmd == "query-qmp-schema" {
			return fakepeer.Response{Return: reply}
		}
		return fakepeer.Response{Error: &fakepeer.Error{Class: "CommandNotFound", Desc: "The command " + cmd + " has not been found"}}
	}})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	q, err := runtime.NewQMP(ctx, peer.Pipe())
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	got, err := Check(ctx, q, craftedBindings(t))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(craftedWant, got); diff != "" {
		t.Errorf("Check mismatch (-want +got):\n%s", diff)
	}
}

// TestCheckFakePeerErrors checks that a QEMU refusing query-qmp-schema or
// answering garbage gives an error, not a report.
func TestCheckFakePeerErrors(t *testing.T) {
	for _, resp := range []fakepeer.Response{
		{Error: &fakepeer.Error{Class: "CommandNotFound", Desc: "The command query-qmp-schema has not been found"}},
		{Return: json.RawMessage(`{"not":"a list"}`)},
		{Return: json.RawMessage(`[{"name":"x","meta-type":"object"}]`)},
	} {
		peer := fakepeer.New(t, fakepeer.Config{Handler: func(string, json.RawMessage) fakepeer.Response { return resp }})
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		q, err := runtime.NewQMP(ctx, peer.Pipe())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Check(ctx, q, craftedBindings(t)); err == nil {
			t.Errorf("Check succeeded on %+v", resp)
		}
		q.Close()
		cancel()
	}
}
