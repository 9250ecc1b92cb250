package qmpserver_test

import (
	"context"
	"testing"

	"github.com/qapi-go/qapi/gen/qmp"
	"github.com/qapi-go/qapi/gen/qmp/qmpserver"
	"github.com/qapi-go/qapi/runtime/fakepeer"
	"github.com/qapi-go/qapi/runtime/server"
)

// blockVM is a typed fake QEMU for a test of code that commits a block
// job: query-block answers typed values, and block-commit emits
// BLOCK_JOB_COMPLETED, as QEMU does when the job ends.
type blockVM struct {
	qmpserver.UnimplementedServer
}

func (blockVM) QueryBlock(_ context.Context, _ *qmp.QueryBlockArgs) ([]qmp.BlockInfo, error) {
	return []qmp.BlockInfo{{Device: "disk0", Locked: false, Removable: false}}, nil
}

func (blockVM) BlockCommit(ctx context.Context, args *qmp.BlockCommitArgs) error {
	req := server.RequestFrom(ctx)
	return qmpserver.EmitEvent(req.Conn, &qmp.BlockJobCompletedEvent{
		Type: qmp.JobTypeCommit, Device: args.Device, Len: 1 << 20, Offset: 1 << 20, Speed: 0,
	})
}

// A typed fake: fakepeer.NewServer serves a generated Server, so a test
// writes Go values instead of JSON.
func TestTypedFakePeer(t *testing.T) {
	mux := server.NewMux()
	qmpserver.Register(mux, blockVM{})
	ctx := context.Background()
	conn, err := qmp.New(ctx, fakepeer.NewServer(t, &server.Server{Handler: mux}))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()

	blocks, err := conn.QueryBlock(ctx, nil)
	if err != nil || len(blocks) != 1 || blocks[0].Device != "disk0" {
		t.Fatalf("query-block: %+v, %v", blocks, err)
	}
	ev, err := qmp.CallAndWait(ctx, conn,
		func(ctx context.Context) error {
			return conn.BlockCommit(ctx, &qmp.BlockCommitArgs{Device: "disk0"})
		},
		func(e *qmp.BlockJobCompletedEvent) bool { return e.Device == "disk0" })
	if err != nil {
		t.Fatal(err)
	}
	if ev.Type != qmp.JobTypeCommit || ev.Len != 1<<20 {
		t.Errorf("event %+v", ev)
	}
}
