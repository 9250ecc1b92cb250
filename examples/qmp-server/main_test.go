package main

import (
	"context"
	"log/slog"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/qapi-go/qapi/gen/qmp"
)

func TestStandIn(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "qmp.sock")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	done := make(chan error, 1)
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	go func() { done <- run(ctx, ln, "vm0", slog.New(slog.DiscardHandler)) }()
	conn, err := qmp.Dial(ctx, "unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()

	st, err := conn.QueryStatus(ctx, nil)
	if err != nil || !st.Running || st.Status != qmp.RunStateRunning {
		t.Fatalf("query-status: %+v, %v", st, err)
	}
	if _, err := qmp.CallAndWait(ctx, conn, func(ctx context.Context) error { return conn.Stop(ctx, nil) },
		func(*qmp.StopEvent) bool { return true }); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if st, err := conn.QueryStatus(ctx, nil); err != nil || st.Running || st.Status != qmp.RunStatePaused {
		t.Fatalf("after stop: %+v, %v", st, err)
	}
	if _, err := qmp.CallAndWait(ctx, conn, func(ctx context.Context) error { return conn.Cont(ctx, nil) },
		func(*qmp.ResumeEvent) bool { return true }); err != nil {
		t.Fatalf("cont: %v", err)
	}
	cmds, err := conn.QueryCommands(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range cmds {
		names = append(names, c.Name)
	}
	if diff := cmp.Diff(implemented, names); diff != "" {
		t.Errorf("query-commands (-want +got):\n%s", diff)
	}
	v, err := conn.QueryVersion(ctx, nil)
	if err != nil || v.Qemu.Major != 10 {
		t.Errorf("query-version: %+v, %v", v, err)
	}
	if _, err := qmp.CallAndWait(ctx, conn, func(ctx context.Context) error { return conn.Quit(ctx, nil) },
		func(e *qmp.ShutdownEvent) bool { return e.Reason == qmp.ShutdownCauseHostQMPQuit }); err != nil {
		t.Fatalf("quit: %v", err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run: %v", err)
		}
	case <-ctx.Done():
		t.Fatal("the server did not stop after quit")
	}
}
