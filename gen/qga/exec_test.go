package qga_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/qapi-go/qapi/gen/qga"
	"github.com/qapi-go/qapi/runtime"
	"github.com/qapi-go/qapi/runtime/fakepeer"
)

func TestExecPollsUntilExit(t *testing.T) {
	f := newFakeAgent()
	f.programs["/bin/prog"] = fakeProgram{polls: 6, exitCode: qga.Ptr[int64](2), stdout: []byte("out"), stderr: []byte("err")}
	ga := f.dial(t)
	start := time.Now()
	res, err := ga.Exec(context.Background(), "/bin/prog", "a", "b")
	if err != nil {
		t.Fatal(err)
	}
	// 1+2+4+8+16+32 ms of backoff at least.
	if d := time.Since(start); d < 60*time.Millisecond {
		t.Errorf("6 polls took %v: no backoff?", d)
	}
	if f.polls != 7 {
		t.Errorf("%d polls, want 7", f.polls)
	}
	if res.ExitCode != 2 || res.Signal != 0 || res.Success() || string(res.Stdout) != "out" || string(res.Stderr) != "err" || res.Pid == 0 {
		t.Errorf("result %+v", res)
	}
	a := f.execs[0]
	if a.Path != "/bin/prog" || strings.Join(a.Arg, ",") != "a,b" || a.CaptureOutput.Flag == nil || !*a.CaptureOutput.Flag || a.InputData != nil || a.Env != nil {
		t.Errorf("guest-exec args %+v", a)
	}
}

func TestExecBackoffCap(t *testing.T) {
	f := newFakeAgent()
	f.programs["/p"] = fakeProgram{polls: 12, exitCode: qga.Ptr[int64](0)}
	ga := f.dial(t)
	start := time.Now()
	res, err := ga.Run(context.Background(), qga.Command{Path: "/p", MaxPollInterval: 2 * time.Millisecond})
	if err != nil || !res.Success() || res.Stdout != nil || res.Stderr != nil {
		t.Fatalf("%+v, %v", res, err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("12 polls capped at 2ms took %v", d)
	}
}

func TestExecArguments(t *testing.T) {
	f := newFakeAgent()
	f.programs["/p"] = fakeProgram{exitCode: qga.Ptr[int64](0)}
	ga := f.dial(t)
	ctx := context.Background()
	for _, tc := range []struct {
		cmd  qga.Command
		want string
	}{
		{qga.Command{Path: "/p"}, `{"path":"/p","capture-output":true}`},
		{qga.Command{Path: "/p", Capture: qga.GuestExecCaptureOutputModeNone}, `{"path":"/p"}`},
		{qga.Command{Path: "/p", Capture: qga.GuestExecCaptureOutputModeMerged}, `{"path":"/p","capture-output":"merged"}`},
		{qga.Command{Path: "/p", Args: []string{"-x"}, Env: []string{"A=b"}, Stdin: []byte("in")},
			`{"path":"/p","arg":["-x"],"env":["A=b"],"input-data":"aW4=","capture-output":true}`},
		{qga.Command{Path: "/p", Stdin: []byte{}}, `{"path":"/p","input-data":"","capture-output":true}`},
	} {
		f.execs = nil
		if _, err := ga.Run(ctx, tc.cmd); err != nil {
			t.Fatal(err)
		}
		got, _ := json.Marshal(f.execs[0])
		if string(got) != tc.want {
			t.Errorf("%+v sent %s, want %s", tc.cmd, got, tc.want)
		}
	}
}

func TestExecResults(t *testing.T) {
	f := newFakeAgent()
	f.programs["/killed"] = fakeProgram{signal: qga.Ptr[int64](9)}
	f.programs["/trunc"] = fakeProgram{exitCode: qga.Ptr[int64](0), stdout: []byte("xx"), outTrunc: true}
	ga := f.dial(t)
	ctx := context.Background()
	res, err := ga.Exec(ctx, "/killed")
	if err != nil || res.ExitCode != -1 || res.Signal != 9 || res.Success() {
		t.Errorf("killed: %+v, %v", res, err)
	}
	res, err = ga.Exec(ctx, "/trunc")
	if err != nil || !res.StdoutTruncated || res.StderrTruncated || string(res.Stdout) != "xx" {
		t.Errorf("truncated: %+v, %v", res, err)
	}
	_, err = ga.Exec(ctx, "/missing")
	var ce *runtime.CommandError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "/missing") || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing program: %v", err)
	}
}

func TestExecWaitContext(t *testing.T) {
	f := newFakeAgent()
	f.programs["/slow"] = fakeProgram{polls: 1 << 30, exitCode: qga.Ptr[int64](0)}
	ga := f.dial(t)
	p, err := ga.Start(context.Background(), qga.Command{Path: "/slow"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := p.Wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait: %v, want DeadlineExceeded", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Wait returned %v after its context ended", d)
	}
	// The session is fine.
	if err := ga.GuestPing(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
}

func TestExecBadOutput(t *testing.T) {
	conn, _ := fakepeer.NewQGA(t,
		fakepeer.Expect("guest-exec"),
		fakepeer.Reply(map[string]any{"pid": 7}),
		fakepeer.Expect("guest-exec-status", fakepeer.Args(map[string]any{"pid": 7})),
		fakepeer.Reply(map[string]any{"exited": true, "exitcode": 0, "out-data": "%%%"}),
	)
	ga, err := qga.New(context.Background(), conn)
	if err != nil {
		t.Fatal(err)
	}
	defer ga.Close()
	if _, err := ga.Exec(context.Background(), "/p"); err == nil || !strings.Contains(err.Error(), "base64") {
		t.Fatalf("bad out-data: %v", err)
	}
}

// TestExecNewerAgentReply decodes a guest-exec-status reply with a member
// the bindings do not know.
func TestExecNewerAgentReply(t *testing.T) {
	conn, _ := fakepeer.NewQGA(t,
		fakepeer.Expect("guest-exec"),
		fakepeer.Reply(map[string]any{"pid": 7, "future": 1}),
		fakepeer.Expect("guest-exec-status"),
		fakepeer.Reply(map[string]any{"exited": true, "exitcode": 0, "out-data": base64.StdEncoding.EncodeToString([]byte("hi")), "cpu-time": 12}),
	)
	ga, err := qga.New(context.Background(), conn)
	if err != nil {
		t.Fatal(err)
	}
	defer ga.Close()
	res, err := ga.Exec(context.Background(), "/p")
	if err != nil || string(res.Stdout) != "hi" {
		t.Fatalf("%+v, %v", res, err)
	}
}

// TestNoSuccessResponseCommands runs the commands declared with
// 'success-response': false against the fake peer only (on a real agent
// they would shut down or suspend the host): each returns once written,
// and the next call resynchronises past whatever the agent may have
// answered.
func TestNoSuccessResponseCommands(t *testing.T) {
	for _, tc := range []struct {
		name string
		call func(ctx context.Context, ga *qga.Conn) error
		args any
	}{
		{"guest-shutdown", func(ctx context.Context, ga *qga.Conn) error {
			return ga.GuestShutdown(ctx, &qga.GuestShutdownArgs{Mode: qga.Ptr("powerdown")})
		}, map[string]any{"mode": "powerdown"}},
		{"guest-suspend-disk", func(ctx context.Context, ga *qga.Conn) error { return ga.GuestSuspendDisk(ctx, nil) }, nil},
		{"guest-suspend-ram", func(ctx context.Context, ga *qga.Conn) error { return ga.GuestSuspendRAM(ctx, nil) }, nil},
		{"guest-suspend-hybrid", func(ctx context.Context, ga *qga.Conn) error { return ga.GuestSuspendHybrid(ctx, nil) }, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if spec := qga.Commands[tc.name]; spec == nil || !spec.NoReply {
				t.Fatalf("%s is not marked NoReply in the command table", tc.name)
			}
			expect := []fakepeer.ExpectOption{fakepeer.NoReply()}
			if tc.args != nil {
				expect = append(expect, fakepeer.Args(tc.args))
			} else {
				expect = append(expect, fakepeer.NoArgs())
			}
			written := make(chan struct{})
			conn, peer := fakepeer.NewQGA(t,
				fakepeer.Expect(tc.name, expect...),
				fakepeer.Do(func() { close(written) }),
				// A late error line, as an agent that refused the
				// command would send: the next call must skip it.
				fakepeer.Line(`{"error": {"class": "GenericError", "desc": "late"}}`),
				fakepeer.Expect("guest-ping"),
				fakepeer.Reply(nil),
			)
			ga, err := qga.New(context.Background(), conn)
			if err != nil {
				t.Fatal(err)
			}
			defer ga.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := tc.call(ctx, ga); err != nil {
				t.Fatal(err)
			}
			<-written
			if err := ga.GuestPing(ctx, nil); err != nil {
				t.Fatalf("call after %s: %v", tc.name, err)
			}
			if err := peer.Err(); err != nil {
				t.Fatal(err)
			}
		})
	}
}
