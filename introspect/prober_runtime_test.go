package introspect

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/qapi-go/qapi/runtime"
	"github.com/qapi-go/qapi/runtime/fakepeer"
)

// TestProberRuntime probes through a real runtime session against the
// fake peer, and checks that one query-qmp-schema is sent.
func TestProberRuntime(t *testing.T) {
	reply := json.RawMessage(qemu72(t))
	peer := fakepeer.New(t, fakepeer.Config{Handler: func(cmd string, args json.RawMessage) fakepeer.Response {
		if cmd != "query-qmp-schema" {
			return fakepeer.Response{Error: &fakepeer.Error{Class: "CommandNotFound", Desc: "The command " + cmd + " has not been found"}}
		}
		return fakepeer.Response{Return: reply}
	}})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	q, err := runtime.NewQMP(ctx, peer.Pipe())
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	p := NewProber(q)
	for _, c := range []struct {
		probe func() (bool, error)
		want  bool
	}{
		{func() (bool, error) { return p.HasCommand(ctx, "blockdev-add") }, true},
		{func() (bool, error) { return p.HasCommand(ctx, "query-cpus") }, false},
		{func() (bool, error) { return p.HasEvent(ctx, "JOB_STATUS_CHANGE") }, true},
		{func() (bool, error) { return p.HasArgument(ctx, "blockdev-add", "file.filename") }, true},
		{func() (bool, error) { return p.HasEnumValue(ctx, "blockdev-add", "driver", "qcow2") }, true},
		{func() (bool, error) { return p.HasFeature(ctx, "drive-backup", "deprecated") }, true},
	} {
		got, err := c.probe()
		if err != nil || got != c.want {
			t.Errorf("probe = %v, %v; want %v", got, err, c.want)
		}
	}
	n := 0
	for _, cmd := range peer.Commands() {
		if cmd == "query-qmp-schema" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("query-qmp-schema sent %d times, want 1 (commands: %v)", n, peer.Commands())
	}
}
