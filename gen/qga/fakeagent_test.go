package qga_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/qapi-go/qapi/gen/qga"
	"github.com/qapi-go/qapi/runtime/fakepeer"
)

// fakeAgent is an in-memory guest agent for unit tests: a file system
// behind guest-file-open/read/write/flush/close and scripted programs
// behind guest-exec/guest-exec-status, served by a fakepeer Handler.
type fakeAgent struct {
	mu      sync.Mutex
	files   map[string][]byte
	handles map[int64]*fakeHandle
	next    int64

	reads   []int64 // count of every guest-file-read
	writes  []int   // decoded size of every guest-file-write
	closed  []int64 // handles closed
	maxLine int     // largest buf-b64 seen in a request

	// readHook, when set, may replace the reply to a guest-file-read.
	readHook func(n int, r qga.GuestFileRead) (any, *fakepeer.Error)
	// writeHook, when set, may replace the count a write reports.
	writeHook func(n int, count int64) int64

	// programs run by guest-exec, by path.
	programs map[string]fakeProgram
	procs    map[int64]*fakeProc
	execs    []qga.GuestExecArgs
	polls    int
}

type fakeHandle struct {
	path string
	pos  int
	mode string
}

// fakeProgram says what a program does: after polls status polls it has
// exited with this status (its out-data and err-data given decoded).
type fakeProgram struct {
	polls          int
	exitCode       *int64
	signal         *int64
	stdout, stderr []byte
	outTrunc       bool
}

type fakeProc struct {
	prog  fakeProgram
	polls int
}

func newFakeAgent() *fakeAgent {
	return &fakeAgent{
		files:    map[string][]byte{},
		handles:  map[int64]*fakeHandle{},
		next:     1000,
		programs: map[string]fakeProgram{},
		procs:    map[int64]*fakeProc{},
	}
}

// dial starts a fake peer answering with f and returns a typed client.
func (f *fakeAgent) dial(t testing.TB, opts ...fakepeerOption) *qga.Conn {
	t.Helper()
	cfg := fakepeer.Config{Protocol: fakepeer.QGA, Handler: f.handle}
	for _, o := range opts {
		o(&cfg)
	}
	peer := fakepeer.New(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ga, err := qga.New(ctx, peer.Pipe())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ga.Close() })
	return ga
}

type fakepeerOption func(*fakepeer.Config)

func fail(desc string) fakepeer.Response {
	return fakepeer.Response{Error: &fakepeer.Error{Class: "GenericError", Desc: desc}}
}

func (f *fakeAgent) handle(cmd string, raw json.RawMessage) fakepeer.Response {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch cmd {
	case "guest-ping":
		return fakepeer.Response{}
	case "guest-file-open":
		var a qga.GuestFileOpenArgs
		if err := json.Unmarshal(raw, &a); err != nil {
			return fail(err.Error())
		}
		mode := "r"
		if a.Mode != nil {
			mode = *a.Mode
		}
		_, ok := f.files[a.Path]
		switch mode {
		case "r":
			if !ok {
				return fail(fmt.Sprintf("failed to open file '%s' (mode: 'r'): No such file or directory", a.Path))
			}
		case "w":
			f.files[a.Path] = []byte{}
		case "a":
			if !ok {
				f.files[a.Path] = []byte{}
			}
		default:
			return fail("unsupported mode " + mode)
		}
		f.next++
		h := &fakeHandle{path: a.Path, mode: mode}
		if mode == "a" {
			h.pos = len(f.files[a.Path])
		}
		f.handles[f.next] = h
		return fakepeer.Response{Return: f.next}
	case "guest-file-read":
		var a qga.GuestFileReadArgs
		if err := json.Unmarshal(raw, &a); err != nil {
			return fail(err.Error())
		}
		h := f.handles[a.Handle]
		if h == nil {
			return fail(fmt.Sprintf("handle '%d' has not been found", a.Handle))
		}
		count := int64(4096)
		if a.Count != nil {
			count = *a.Count
		}
		if count < 0 || count > qga.MaxChunkSize {
			return fail(fmt.Sprintf("value '%d' is invalid for argument count", count))
		}
		f.reads = append(f.reads, count)
		data := f.files[h.path][h.pos:]
		data = data[:min(int64(len(data)), count)]
		h.pos += len(data)
		r := qga.GuestFileRead{Count: int64(len(data)), BufB64: base64.StdEncoding.EncodeToString(data), EOF: int64(len(data)) < count}
		if f.readHook != nil {
			ret, e := f.readHook(len(f.reads), r)
			if e != nil {
				return fakepeer.Response{Error: e}
			}
			return fakepeer.Response{Return: ret}
		}
		return fakepeer.Response{Return: r}
	case "guest-file-write":
		var a qga.GuestFileWriteArgs
		if err := json.Unmarshal(raw, &a); err != nil {
			return fail(err.Error())
		}
		h := f.handles[a.Handle]
		if h == nil {
			return fail(fmt.Sprintf("handle '%d' has not been found", a.Handle))
		}
		f.maxLine = max(f.maxLine, len(a.BufB64))
		data, err := base64.StdEncoding.DecodeString(a.BufB64)
		if err != nil {
			return fail("base64: " + err.Error())
		}
		f.writes = append(f.writes, len(data))
		count := int64(len(data))
		if f.writeHook != nil {
			count = f.writeHook(len(f.writes), count)
		}
		data = data[:max(0, min(count, int64(len(data))))]
		file := f.files[h.path]
		file = append(file[:h.pos], data...)
		f.files[h.path] = file
		h.pos += len(data)
		return fakepeer.Response{Return: qga.GuestFileWrite{Count: count}}
	case "guest-file-seek":
		var a qga.GuestFileSeekArgs
		if err := json.Unmarshal(raw, &a); err != nil {
			return fail(err.Error())
		}
		h := f.handles[a.Handle]
		if h == nil {
			return fail(fmt.Sprintf("handle '%d' has not been found", a.Handle))
		}
		if a.Whence.Name == nil {
			return fail("numeric whence not emulated")
		}
		pos := int64(0)
		switch *a.Whence.Name {
		case qga.QGASeekSet:
		case qga.QGASeekCur:
			pos = int64(h.pos)
		case qga.QGASeekEnd:
			pos = int64(len(f.files[h.path]))
		}
		pos += a.Offset
		if pos < 0 {
			return fail("failed to seek file: Invalid argument")
		}
		h.pos = int(min(pos, int64(len(f.files[h.path]))))
		return fakepeer.Response{Return: qga.GuestFileSeek{Position: pos}}
	case "guest-file-flush":
		return fakepeer.Response{}
	case "guest-file-close":
		var a qga.GuestFileCloseArgs
		if err := json.Unmarshal(raw, &a); err != nil {
			return fail(err.Error())
		}
		if f.handles[a.Handle] == nil {
			return fail(fmt.Sprintf("handle '%d' has not been found", a.Handle))
		}
		delete(f.handles, a.Handle)
		f.closed = append(f.closed, a.Handle)
		return fakepeer.Response{}
	case "guest-exec":
		var a qga.GuestExecArgs
		if err := json.Unmarshal(raw, &a); err != nil {
			return fail(err.Error())
		}
		f.execs = append(f.execs, a)
		prog, ok := f.programs[a.Path]
		if !ok {
			return fail(fmt.Sprintf("Guest agent command failed, error was 'Failed to execute child process \u201c%s\u201d (No such file or directory)'", a.Path))
		}
		f.next++
		f.procs[f.next] = &fakeProc{prog: prog}
		return fakepeer.Response{Return: qga.GuestExec{Pid: f.next}}
	case "guest-exec-status":
		var a qga.GuestExecStatusArgs
		if err := json.Unmarshal(raw, &a); err != nil {
			return fail(err.Error())
		}
		f.polls++
		p := f.procs[a.Pid]
		if p == nil {
			return fail("Invalid parameter 'pid'")
		}
		if p.polls < p.prog.polls {
			p.polls++
			return fakepeer.Response{Return: qga.GuestExecStatus{Exited: false}}
		}
		delete(f.procs, a.Pid)
		st := qga.GuestExecStatus{Exited: true, Exitcode: p.prog.exitCode, Signal: p.prog.signal}
		if len(p.prog.stdout) > 0 {
			st.OutData = qga.Ptr(base64.StdEncoding.EncodeToString(p.prog.stdout))
		}
		if len(p.prog.stderr) > 0 {
			st.ErrData = qga.Ptr(base64.StdEncoding.EncodeToString(p.prog.stderr))
		}
		if p.prog.outTrunc {
			st.OutTruncated = qga.Ptr(true)
		}
		return fakepeer.Response{Return: st}
	}
	return fakepeer.Response{Error: &fakepeer.Error{Class: "CommandNotFound", Desc: "The command " + cmd + " has not been found"}}
}

func (f *fakeAgent) file(path string) []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]byte(nil), f.files[path]...)
}

func (f *fakeAgent) setFile(path string, data []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.files[path] = data
}

func (f *fakeAgent) openHandles() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.handles)
}
