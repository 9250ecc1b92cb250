package server_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/qapi-go/qapi/internal/qemutest"
	"github.com/qapi-go/qapi/runtime"
	"github.com/qapi-go/qapi/runtime/server"
)

// BenchmarkServerCPU measures what a server process spends per request
// when the runtime's QMP client calls query-status sequentially over a
// unix socket, for runtime/server and, in the same run, for QEMU and for
// floors on the same socket that parse no JSON and reply with fixed text:
//
//   - qemu: QEMU 7.2 (-machine none), the baseline: the issue holds a Go
//     server to a tenth of QEMU's CPU per query-status (its threads'
//     CPU time from /proc), and to 1.5 times the client's.
//   - floor-netpoll: the least a Go server can do through net.Conn (Go's
//     netpoller): read a line with bufio, write the reply.
//   - floor-recvmsg: the same reading with recvmsg, as a server that
//     accepts file descriptors must.
//   - floor-hop: floor-netpoll handing each line to a second goroutine that
//     writes the reply, as a session would that ran in-band commands on a
//     worker goroutine.
//   - floor-blocking: blocking read(2) and write(2) on the raw descriptor,
//     bypassing the netpoller.
//   - floor-raw: floor-netpoll with read(2) and write(2) made with
//     syscall.RawSyscall through the netpoller (syscall.RawConn): no
//     entersyscall, so no wake-up of the runtime's sysmon thread, which
//     sleeps whenever the process is idle between two requests. It is the
//     one floor below floor-netpoll (about a third less CPU per request
//     when measured); the server does not do it, as a raw system call on
//     a descriptor that is (or is made) blocking would stall the
//     scheduler.
//   - session, session-no-oob: runtime/server with an untyped Mux command
//     returning a struct (framing, parsing, dispatch, encoding, the reply
//     path), with and without the client enabling oob.
//
// Each server runs in its own process (this test binary, re-executed with
// SERVER_BENCH_KIND set; SERVER_BENCH_CPUPROFILE=FILE profiles it), so
// that "server-cpu-ns/op" is its CPU time alone (getrusage),
// "client-cpu-ns/op" this process's, and "server-allocs/op" its heap
// allocations per request.
//
//	go test -run '^$' -bench BenchmarkServerCPU -benchtime 20000x ./runtime/server/
func BenchmarkServerCPU(b *testing.B) {
	for _, tc := range []struct {
		name, kind string
		opts       []runtime.Option
	}{
		{"qemu", "qemu", nil},
		{"floor-netpoll", "floor-netpoll", nil},
		{"floor-recvmsg", "floor-recvmsg", nil},
		{"floor-hop", "floor-hop", nil},
		{"floor-blocking", "floor-blocking", nil},
		{"floor-raw", "floor-raw", nil},
		{"session", "session", nil},
		{"session-no-oob", "session", []runtime.Option{runtime.WithoutOOB()}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var p benchPeer
			if tc.kind == "qemu" {
				p = qemuPeer{qemutest.Start(b)}
			} else {
				p = startBenchServer(b, tc.kind)
			}
			ctx := context.Background()
			q, err := runtime.DialQMP(ctx, "unix", p.socket(), tc.opts...)
			if err != nil {
				b.Fatal(err)
			}
			defer q.Close()
			var st benchStatus
			b.ReportAllocs()
			s0, m0 := p.stats(b)
			c0 := processCPU()
			for i := 0; i < b.N; i++ {
				if err := q.Call(ctx, "query-status", nil, &st); err != nil {
					b.Fatal(err)
				}
			}
			client := processCPU() - c0
			s1, m1 := p.stats(b)
			if st.Status == "" {
				b.Fatalf("reply decoded to %+v", st)
			}
			srv := s1 - s0
			b.ReportMetric(float64(client)/float64(b.N), "client-cpu-ns/op")
			b.ReportMetric(float64(srv)/float64(b.N), "server-cpu-ns/op")
			b.ReportMetric(float64(srv)/float64(client), "server/client")
			if tc.kind != "qemu" {
				b.ReportMetric(float64(m1-m0)/float64(b.N), "server-allocs/op")
			}
		})
	}
}

// benchPeer is a server BenchmarkServerCPU measures.
type benchPeer interface {
	socket() string
	// stats returns the peer's CPU time so far and, for a Go server, its
	// heap allocations.
	stats(b *testing.B) (cpu time.Duration, mallocs uint64)
}

// qemuPeer is QEMU (-machine none), the baseline.
type qemuPeer struct{ p *qemutest.Process }

func (q qemuPeer) socket() string { return q.p.Socket }

// stats sums the CPU time of QEMU's threads from
// /proc/PID/task/*/schedstat (nanoseconds).
func (q qemuPeer) stats(b *testing.B) (time.Duration, uint64) {
	tasks, err := filepath.Glob("/proc/" + strconv.Itoa(q.p.PID()) + "/task/*/schedstat")
	if err != nil || len(tasks) == 0 {
		b.Skip("no /proc/PID/task/*/schedstat to read QEMU's CPU time from")
	}
	var total time.Duration
	for _, t := range tasks {
		data, err := os.ReadFile(t)
		if err != nil {
			continue // a thread that ended
		}
		if f := strings.Fields(string(data)); len(f) > 0 {
			ns, _ := strconv.ParseInt(f[0], 10, 64)
			total += time.Duration(ns)
		}
	}
	return total, 0
}

// TestMain doubles as the benchmark's server process: with
// SERVER_BENCH_KIND and SERVER_BENCH_SOCK set, the test binary serves
// that kind of server until its stdin closes, printing "CPU-ns mallocs"
// for each line it reads there.
func TestMain(m *testing.M) {
	if kind := os.Getenv("SERVER_BENCH_KIND"); kind != "" {
		serveBenchKind(kind, os.Getenv("SERVER_BENCH_SOCK"))
		return
	}
	os.Exit(m.Run())
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

type benchServerProc struct {
	sock  string
	stdin io.WriteCloser
	out   *bufio.Reader
}

func startBenchServer(b *testing.B, kind string) *benchServerProc {
	b.Helper()
	sock := filepath.Join(b.TempDir(), "s.sock")
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "SERVER_BENCH_KIND="+kind, "SERVER_BENCH_SOCK="+sock)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { stdin.Close(); cmd.Wait() })
	p := &benchServerProc{sock: sock, stdin: stdin, out: bufio.NewReader(stdout)}
	// The server prints "ready" once it listens.
	if line, err := p.out.ReadString('\n'); err != nil || line != "ready\n" {
		b.Fatalf("bench server %s: %q %v", kind, line, err)
	}
	return p
}

func (p *benchServerProc) socket() string { return p.sock }

func (p *benchServerProc) stats(b *testing.B) (cpu time.Duration, mallocs uint64) {
	b.Helper()
	fmt.Fprintln(p.stdin, "stats")
	line, err := p.out.ReadString('\n')
	if err != nil {
		b.Fatal(err)
	}
	f := strings.Fields(line)
	c, _ := strconv.ParseInt(f[0], 10, 64)
	m, _ := strconv.ParseUint(f[1], 10, 64)
	return time.Duration(c), m
}

func serveBenchKind(kind, sock string) {
	ln, err := net.Listen("unix", sock)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	switch kind {
	case "floor-netpoll":
		go serveFloorNetpoll(ln)
	case "floor-recvmsg":
		go serveFloorRecvmsg(ln)
	case "floor-hop":
		go serveFloorHop(ln)
	case "floor-blocking":
		go serveFloorBlocking(ln)
	case "floor-raw":
		go serveFloorRaw(ln)
	case "session":
		st := &benchStatus{Status: "running", Running: true}
		m := server.NewMux()
		m.Handle(server.Command{Name: "query-status", CheckParams: true, Run: func(context.Context, *server.Request) (any, error) {
			return st, nil
		}})
		go (&server.Server{Handler: m}).Serve(context.Background(), ln)
	default:
		fmt.Fprintln(os.Stderr, "unknown SERVER_BENCH_KIND", kind)
		os.Exit(1)
	}
	if path := os.Getenv("SERVER_BENCH_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err == nil && pprof.StartCPUProfile(f) == nil {
			defer pprof.StopCPUProfile()
		}
	}
	fmt.Println("ready")
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		var ms goruntime.MemStats
		goruntime.ReadMemStats(&ms)
		fmt.Printf("%d %d\n", processCPU(), ms.Mallocs)
	}
}

// floorGreeting and floorStatus are what the floor servers send: QEMU's
// greeting, and query-status's reply as runtime/server prints it.
const (
	floorGreeting = `{"QMP": {"version": {"qemu": {"micro": 2, "minor": 2, "major": 10}, "package": ""}, "capabilities": ["oob"]}}` + "\r\n"
	floorStatus   = `{"return": {"status": "running", "singlestep": false, "running": true}}` + "\r\n"
	floorEmpty    = `{"return": {}}` + "\r\n"
)

// serveEach serves every connection ln accepts with serve, on a goroutine
// of its own.
func serveEach(ln net.Listener, serve func(net.Conn)) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go serve(c)
	}
}

// replyLines writes floorReply for each complete line of pending and
// returns what is left of it (an incomplete line).
func replyLines(pending []byte, write func([]byte) error) ([]byte, error) {
	for {
		i := bytes.IndexByte(pending, '\n')
		if i < 0 {
			return pending, nil
		}
		if err := write(floorReply(pending[:i])); err != nil {
			return nil, err
		}
		pending = pending[:copy(pending, pending[i+1:])]
	}
}

// floorReply is the fixed reply to a request line: {} for
// qmp_capabilities, the status for anything else.
func floorReply(line []byte) []byte {
	if bytes.Contains(line, []byte("qmp_capabilities")) {
		return []byte(floorEmpty)
	}
	return []byte(floorStatus)
}

func serveFloorNetpoll(ln net.Listener) {
	serveEach(ln, func(c net.Conn) {
		defer c.Close()
		c.Write([]byte(floorGreeting))
		r := bufio.NewReader(c)
		for {
			line, err := r.ReadSlice('\n')
			if err != nil {
				return
			}
			if _, err := c.Write(floorReply(line)); err != nil {
				return
			}
		}
	})
}

// serveFloorRecvmsg is serveFloorNetpoll reading with recvmsg, as a
// server that accepts file descriptors must.
func serveFloorRecvmsg(ln net.Listener) {
	serveEach(ln, func(c net.Conn) {
		uc := c.(*net.UnixConn)
		defer c.Close()
		c.Write([]byte(floorGreeting))
		buf := make([]byte, 4096)
		oob := make([]byte, syscall.CmsgSpace(16*4))
		write := func(b []byte) error { _, err := c.Write(b); return err }
		var pending []byte
		for {
			n, _, _, _, err := uc.ReadMsgUnix(buf, oob)
			if err != nil || n == 0 {
				return
			}
			if pending, err = replyLines(append(pending, buf[:n]...), write); err != nil {
				return
			}
		}
	})
}

// serveFloorHop is serveFloorNetpoll with each request handed to a
// second goroutine that writes the reply, as a session with oob enabled
// hands in-band requests to its worker.
func serveFloorHop(ln net.Listener) {
	serveEach(ln, func(c net.Conn) {
		defer c.Close()
		c.Write([]byte(floorGreeting))
		work := make(chan []byte, 7)
		go func() {
			for line := range work {
				c.Write(floorReply(line))
			}
		}()
		defer close(work)
		r := bufio.NewReader(c)
		for {
			line, err := r.ReadSlice('\n')
			if err != nil {
				return
			}
			work <- bytes.Clone(line)
		}
	})
}

// serveFloorBlocking reads with blocking read(2) on the socket's
// descriptor, bypassing the netpoller.
func serveFloorBlocking(ln net.Listener) {
	serveEach(ln, func(c net.Conn) {
		defer c.Close()
		raw, _ := c.(*net.UnixConn).SyscallConn()
		var fd int
		raw.Control(func(f uintptr) { fd = int(f); syscall.SetNonblock(fd, false) })
		syscall.Write(fd, []byte(floorGreeting))
		write := func(b []byte) error { _, err := syscall.Write(fd, b); return err }
		buf := make([]byte, 4096)
		var pending []byte
		for {
			n, err := syscall.Read(fd, buf)
			if err != nil || n <= 0 {
				return
			}
			if pending, err = replyLines(append(pending, buf[:n]...), write); err != nil {
				return
			}
		}
	})
}

// serveFloorRaw is serveFloorNetpoll with read(2) and write(2) made as
// raw system calls through the netpoller (syscall.RawConn), which skips
// the scheduler's entersyscall bookkeeping.
func serveFloorRaw(ln net.Listener) {
	serveEach(ln, func(c net.Conn) {
		defer c.Close()
		raw, _ := c.(*net.UnixConn).SyscallConn()
		write := func(b []byte) error {
			var werr error
			err := raw.Write(func(fd uintptr) bool {
				_, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
				if e == syscall.EAGAIN {
					return false
				}
				if e != 0 {
					werr = e
				}
				return true
			})
			if err != nil {
				return err
			}
			return werr
		}
		write([]byte(floorGreeting))
		buf := make([]byte, 4096)
		var pending []byte
		for {
			var n uintptr
			var rerr error
			err := raw.Read(func(fd uintptr) bool {
				var e syscall.Errno
				n, _, e = syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)))
				if e == syscall.EAGAIN {
					return false
				}
				if e != 0 {
					rerr = e
				}
				return true
			})
			if err != nil || rerr != nil || n == 0 {
				return
			}
			if pending, err = replyLines(append(pending, buf[:n]...), write); err != nil {
				return
			}
		}
	})
}
