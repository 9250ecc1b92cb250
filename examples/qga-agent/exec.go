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

// maxOutput is how much of each stream guest-exec keeps (qemu-ga's
// GUEST_EXEC_MAX_OUTPUT).
const maxOutput = 16 << 20

// capped keeps the first maxOutput bytes written to it. (It has no
// ReadFrom, which io.Copy would use to bypass Write.)
type capped struct {
	buf       bytes.Buffer
	truncated bool
}

func (c *capped) Write(p []byte) (int, error) {
	if room := maxOutput - c.buf.Len(); len(p) > room {
		c.buf.Write(p[:max(room, 0)])
		c.truncated = true
		return len(p), nil
	}
	return c.buf.Write(p)
}

func (c *capped) Len() int      { return c.buf.Len() }
func (c *capped) Bytes() []byte { return c.buf.Bytes() }

// process is a program started by guest-exec.
type process struct {
	cmd      *exec.Cmd
	out, err capped
	done     chan struct{}
	mu       sync.Mutex
	state    error // Wait's result, once done
}

// GuestExec starts a program (only with -allow-exec): its output is
// captured when capture-output asks for it, its input is input-data.
func (a *agent) GuestExec(_ context.Context, args *qga.GuestExecArgs) (*qga.GuestExec, error) {
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
	// capture-output: true (or "separated") keeps both streams apart,
	// "merged" interleaves them, "stdout" and "stderr" keep one.
	mode := qga.GuestExecCaptureOutputModeNone
	if c := args.CaptureOutput; c.Mode != nil {
		mode = *c.Mode
	} else if c.Flag != nil && *c.Flag {
		mode = qga.GuestExecCaptureOutputModeSeparated
	}
	switch mode {
	case qga.GuestExecCaptureOutputModeSeparated:
		p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.err
	case qga.GuestExecCaptureOutputModeMerged:
		p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.out
	case qga.GuestExecCaptureOutputModeStdout:
		p.cmd.Stdout = &p.out
	case qga.GuestExecCaptureOutputModeStderr:
		p.cmd.Stderr = &p.err
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
func (a *agent) GuestExecStatus(_ context.Context, args *qga.GuestExecStatusArgs) (*qga.GuestExecStatus, error) {
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
	if p.out.truncated {
		st.OutTruncated = qga.Ptr(true)
	}
	if p.err.truncated {
		st.ErrTruncated = qga.Ptr(true)
	}
	return st, nil
}
