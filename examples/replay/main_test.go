package main

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qapi-go/qapi/gen/qmp"
	"github.com/qapi-go/qapi/runtime"
)

func startReplay(t *testing.T, rec *recording) string {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "replay.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, ln, rec) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	return sock
}

// TestReplayQEMU72 replays a conversation recorded with QEMU 7.2 to the
// generated client, twice (each connection replays from the start).
func TestReplayQEMU72(t *testing.T) {
	rec, err := load("testdata/qemu72.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	sock := startReplay(t, rec)
	for i := 0; i < 2; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		conn, err := qmp.Dial(ctx, "unix", sock)
		if err != nil {
			t.Fatal(err)
		}
		if v := conn.Version(); v.Major != 7 || v.Minor != 2 {
			t.Errorf("version %v", v)
		}
		if st, err := conn.QueryStatus(ctx, nil); err != nil || st.Status != qmp.RunStateRunning {
			t.Errorf("query-status: %+v, %v", st, err)
		}
		if v, err := conn.QueryVersion(ctx, nil); err != nil || v.Qemu.Micro != 22 {
			t.Errorf("query-version: %+v, %v", v, err)
		}
		if _, err := qmp.CallAndWait(ctx, conn, func(ctx context.Context) error { return conn.Stop(ctx, nil) },
			func(*qmp.StopEvent) bool { return true }); err != nil {
			t.Errorf("stop: %v", err)
		}
		// Past the end of the recording.
		if _, err := conn.QueryStatus(ctx, nil); !errors.Is(err, runtime.GenericError) || !strings.Contains(err.Error(), "recording has ended") {
			t.Errorf("after the end: %v", err)
		}
		conn.Close()
		cancel()
	}
}

// TestReplayMismatch: a client that sends something else gets an error
// naming both messages.
func TestReplayMismatch(t *testing.T) {
	rec, err := load("testdata/qemu72.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	sock := startReplay(t, rec)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := qmp.Dial(ctx, "unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, err = conn.QueryVersion(ctx, nil)
	if !errors.Is(err, runtime.GenericError) || !strings.Contains(err.Error(), `expected {"execute":"query-status"}, got {"execute":"query-version"}`) {
		t.Errorf("mismatch: %v", err)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"dir":"in"}`, `rec:1: an entry with "dir" "in" needs "line" or "msg"`},
		{"\n{nope", "rec:2: invalid character"},
		{`{"dir":"in","line":"   "}`, `rec:1: the "in" line holds no message`},
	}
	for _, tt := range tests {
		_, err := parse(strings.NewReader(tt.in), "rec")
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("parse(%q) = %v, want %s...", tt.in, err, tt.want)
		}
	}
}
