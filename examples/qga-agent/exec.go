package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"os/exec"
	"strconv"
	"sync"
	"syscall"

	"github.com/qapi-go/qapi/gen/qga"
)

// process is a program started by guest-exec.
type process struct {
	cmd      *exec.Cmd
	out, err bytes.Buffer
	capture  bool
	done     chan struct{}
	mu       sync.Mutex
	state    error // Wait's result, once done
}

// GuestExec starts a program (only with -allow-exec): its output is
// captured when capture-output asks for it, its input is input-data.
func (a *agent) GuestExec(_ context.Context, args qga.GuestExecArgs) (*qga.GuestExec, error) {
	if !a.allowExec {
		return nil, disabled("guest-exec")
	}
	p := &process{cmd: exec.Command(args.Path, args.Arg...), done: make(chan struct{})}
	if args.Env != nil {
		p.cmd.Env = args.Env
	}
	if args.InputData != nil {
		in, err := base64.StdEncoding.DecodeString(*args.InputData)
		if err != nil {
			return nil, generic("Invalid Base64 data")
		}
		p.cmd.Stdin = bytes.NewReader(in)
	}
	c := args.CaptureOutput
	p.capture = c.Flag != nil && *c.Flag || c.Mode != nil && *c.Mode != qga.GuestExecCaptureOutputModeNone
	if p.capture {
		p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.err
		if c.Mode != nil && *c.Mode == qga.GuestExecCaptureOutputModeMerged {
			p.cmd.Stderr = &p.out
		}
	}
	if err := p.cmd.Start(); err != nil {
		return nil, generic("Guest agent command failed, error was '" + err.Error() + "'")
	}
	go func() {
		err := p.cmd.Wait()
		p.mu.Lock()
		p.state = err
		p.mu.Unlock()
		close(p.done)
	}()
	pid := int64(p.cmd.Process.Pid)
	a.mu.Lock()
	a.procs[pid] = p
	a.mu.Unlock()
	return &qga.GuestExec{Pid: pid}, nil
}

// GuestExecStatus reports a program's state; once it has exited the
// status is reported once and forgotten, as qemu-ga does.
func (a *agent) GuestExecStatus(_ context.Context, args qga.GuestExecStatusArgs) (*qga.GuestExecStatus, error) {
	if !a.allowExec {
		return nil, disabled("guest-exec-status")
	}
	a.mu.Lock()
	p := a.procs[args.Pid]
	a.mu.Unlock()
	if p == nil {
		return nil, generic("Invalid parameter 'pid'")
	}
	select {
	case <-p.done:
	default:
		return &qga.GuestExecStatus{}, nil
	}
	a.mu.Lock()
	delete(a.procs, args.Pid)
	a.mu.Unlock()
	st := &qga.GuestExecStatus{Exited: true}
	p.mu.Lock()
	werr := p.state
	p.mu.Unlock()
	var ee *exec.ExitError
	if errors.As(werr, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			st.Signal = qga.Ptr(int64(ws.Signal()))
		} else {
			st.Exitcode = qga.Ptr(int64(ee.ExitCode()))
		}
	} else if werr == nil {
		st.Exitcode = qga.Ptr(int64(0))
	} else {
		return nil, generic("Guest agent command failed, error was '" + strconv.Quote(werr.Error()) + "'")
	}
	// Like qemu-ga, only output there is goes out.
	if p.out.Len() > 0 {
		st.OutData = qga.Ptr(base64.StdEncoding.EncodeToString(p.out.Bytes()))
	}
	if p.err.Len() > 0 {
		st.ErrData = qga.Ptr(base64.StdEncoding.EncodeToString(p.err.Bytes()))
	}
	return st, nil
}
