package qga_test

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/qapi-go/qapi/gen/qga"
	"github.com/qapi-go/qapi/runtime"
	"github.com/qapi-go/qapi/runtime/fakepeer"
)

func TestDialAndConnState(t *testing.T) {
	closed := make(chan struct{})
	peer := fakepeer.New(t, fakepeer.Config{Protocol: fakepeer.QGA, Script: []fakepeer.Step{
		fakepeer.Expect("guest-ping"), fakepeer.Reply(nil),
		fakepeer.WaitFor(closed),
		fakepeer.Close(),
	}})
	sock, err := peer.Listen()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ga, err := qga.Dial(ctx, "unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer ga.Close()
	if err := ga.GuestPing(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if ga.Err() != nil {
		t.Fatalf("Err = %v on a live connection", ga.Err())
	}
	close(closed)
	select {
	case <-ga.Done():
	case <-ctx.Done():
		t.Fatal("Done not closed after the agent went away")
	}
	var ce *runtime.ConnError
	if !errors.As(ga.Err(), &ce) {
		t.Fatalf("Err = %v, want a *runtime.ConnError", ga.Err())
	}
	if err := ga.GuestPing(ctx, nil); !errors.As(err, &ce) {
		t.Fatalf("call after the connection ended: %v", err)
	}
	if err := ga.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestAccept(t *testing.T) {
	dir, err := os.MkdirTemp("", "qga")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "agent.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	peer := fakepeer.New(t, fakepeer.Config{Protocol: fakepeer.QGA, Script: []fakepeer.Step{
		fakepeer.Expect("guest-get-time"), fakepeer.Reply(1234),
	}})
	if err := peer.Dial("unix", sock); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ga, err := qga.Accept(ctx, ln)
	if err != nil {
		t.Fatal(err)
	}
	defer ga.Close()
	if ns, err := ga.GuestGetTime(ctx, nil); err != nil || ns != 1234 {
		t.Fatalf("guest-get-time = %d, %v", ns, err)
	}
}

// TestMaxMessageSizeDefault checks that sessions made by New accept
// replies over the runtime's 16 MiB default (exec output, large reads),
// and that an explicit option still wins.
func TestMaxMessageSizeDefault(t *testing.T) {
	const size = runtime.DefaultMaxMessageSize + 1<<20
	conn, _ := fakepeer.NewQGA(t,
		fakepeer.Expect("guest-get-host-name"), fakepeer.LongReply(size),
	)
	ctx := context.Background()
	ga, err := qga.New(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	defer ga.Close()
	raw, err := ga.Session().Execute(ctx, "guest-get-host-name", nil)
	if err != nil || len(raw) < runtime.DefaultMaxMessageSize {
		t.Fatalf("a %d-byte reply: %d bytes, %v", size, len(raw), err)
	}

	conn, _ = fakepeer.NewQGA(t,
		fakepeer.Expect("guest-get-host-name"), fakepeer.LongReply(2<<20),
		fakepeer.Expect("guest-ping"), fakepeer.Reply(nil),
	)
	small, err := qga.New(ctx, conn, runtime.WithMaxMessageSize(1<<20))
	if err != nil {
		t.Fatal(err)
	}
	defer small.Close()
	if _, err := small.GuestGetHostName(ctx, nil); !errors.Is(err, runtime.ErrMessageTooLarge) {
		t.Fatalf("2 MiB reply with a 1 MiB limit: %v, want ErrMessageTooLarge", err)
	}
	if err := small.GuestPing(ctx, nil); err != nil {
		t.Fatalf("call after an oversize reply: %v", err)
	}
}
