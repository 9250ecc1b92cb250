package runtime

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/qapi-go/qapi/internal/qemutest"
)

// Benchmarks compare the client with a minimal hand-written loop on the
// same kind of socket and the same peer. "cpu-ns/op" is this process's
// CPU time (user+system, getrusage) per call: with the peer in another
// process it is the client's CPU alone.

func rtCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func rtMeasure(b *testing.B, f func()) {
	b.ReportAllocs()
	b.ResetTimer()
	c0 := rtCPU()
	p0 := rtPeerCPU()
	f()
	b.StopTimer()
	b.ReportMetric(float64(rtCPU()-c0)/float64(b.N), "cpu-ns/op")
	if rtPeerPID != 0 {
		b.ReportMetric(float64(rtPeerCPU()-p0)/float64(b.N), "peer-cpu-ns/op")
	}
}

// rtPeerPID is the real peer process of the running benchmark; its CPU
// time per call ("peer-cpu-ns/op", all threads, from schedstat) shows
// what a request costs QEMU, unaffected by the machine's load.
var rtPeerPID int

func rtPeerCPU() time.Duration {
	if rtPeerPID == 0 {
		return 0
	}
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", rtPeerPID))
	var total int64
	for _, t := range tasks {
		b, err := os.ReadFile(t)
		if err != nil {
			continue
		}
		var ns int64
		fmt.Sscan(string(b), &ns)
		total += ns
	}
	return time.Duration(total)
}

// rtStartPeerProcess runs the benchmark peer (TestMain) in a child
// process and returns its socket.
func rtStartPeerProcess(tb testing.TB) string {
	tb.Helper()
	sock := filepath.Join(tb.TempDir(), "peer.sock")
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "RT_BENCH_PEER="+sock)
	stdin, _ := cmd.StdinPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	rtPeerPID = cmd.Process.Pid
	tb.Cleanup(func() { rtPeerPID = 0; stdin.Close(); cmd.Process.Kill(); cmd.Wait() })
	rtWaitSocket(tb, sock)
	return sock
}

func rtWaitSocket(tb testing.TB, sock string) {
	tb.Helper()
	for i := 0; i < 500; i++ {
		if c, err := net.Dial("unix", sock); err == nil {
			c.Close()
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	tb.Fatalf("%s never came up", sock)
}

// rtStartQEMU starts qemu-system-x86_64 with a QMP socket (skipping when
// QEMU is not installed, failing under CI=true) and returns the socket.
func rtStartQEMU(tb testing.TB, extra ...string) string {
	tb.Helper()
	return rtRealPeer(tb, qemutest.Start(tb, extra...))
}

// rtStartQGA starts qemu-ga on the host, listening on a unix socket in a
// temporary directory, with everything that acts on the host blocked
// (qemutest.AgentBlockedRPCs).
func rtStartQGA(tb testing.TB) string {
	tb.Helper()
	return rtRealPeer(tb, qemutest.StartAgent(tb))
}

// rtRealPeer makes p the peer whose CPU time the benchmark reports.
func rtRealPeer(tb testing.TB, p *qemutest.Process) string {
	rtPeerPID = p.PID()
	tb.Cleanup(func() { rtPeerPID = 0 })
	return p.Socket
}

type rtStatus struct {
	Status  string `json:"status"`
	Running bool   `json:"running"`
}

// rawQMP is the minimal hand-written client the benchmarks compare with.
type rawQMP struct {
	c net.Conn
	r *bufio.Reader
}

func rtRawQMP(tb testing.TB, sock string, oob bool) *rawQMP {
	tb.Helper()
	c, err := net.Dial("unix", sock)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	r := &rawQMP{c: c, r: bufio.NewReader(c)}
	r.r.ReadSlice('\n')
	caps := `{"execute":"qmp_capabilities"}` + "\n"
	if oob {
		caps = `{"execute":"qmp_capabilities","arguments":{"enable":["oob"]}}` + "\n"
	}
	c.Write([]byte(caps))
	r.r.ReadSlice('\n')
	return r
}

func (r *rawQMP) call(tb testing.TB, req []byte) {
	if _, err := r.c.Write(req); err != nil {
		tb.Fatal(err)
	}
	line, err := r.r.ReadSlice('\n')
	if err != nil {
		tb.Fatal(err)
	}
	var reply struct{ Return rtStatus }
	if err := json.Unmarshal(line, &reply); err != nil {
		tb.Fatal(err)
	}
}

var rtQueryStatus = []byte(`{"execute":"query-status"}` + "\n")

func rtBenchClient(b *testing.B, sock string) {
	q, err := DialQMP(context.Background(), "unix", sock)
	if err != nil {
		b.Fatal(err)
	}
	defer q.Close()
	ctx := context.Background()
	rtMeasure(b, func() {
		for i := 0; i < b.N; i++ {
			var st rtStatus
			if err := q.Call(ctx, "query-status", nil, &st); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// rtBenchClientTimeout is rtBenchClient with a cancellable context per
// call, as careful callers write it.
func rtBenchClientTimeout(b *testing.B, sock string) {
	q, err := DialQMP(context.Background(), "unix", sock)
	if err != nil {
		b.Fatal(err)
	}
	defer q.Close()
	rtMeasure(b, func() {
		for i := 0; i < b.N; i++ {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			var st rtStatus
			err := q.Call(ctx, "query-status", nil, &st)
			cancel()
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}

func rtBenchRaw(b *testing.B, sock string) {
	r := rtRawQMP(b, sock, true)
	rtMeasure(b, func() {
		for i := 0; i < b.N; i++ {
			r.call(b, rtQueryStatus)
		}
	})
}

// BenchmarkFakePeer: sequential query-status against the minimal peer in
// another process, over a unix socket.
func BenchmarkFakePeer(b *testing.B) {
	sock := rtStartPeerProcess(b)
	b.Run("client", func(b *testing.B) { rtBenchClient(b, sock) })
	b.Run("client-timeout", func(b *testing.B) { rtBenchClientTimeout(b, sock) })
	b.Run("raw", func(b *testing.B) { rtBenchRaw(b, sock) })
}

// BenchmarkRealQMP: sequential query-status against QEMU, typed, with
// a per-call timeout, raw; and 8 goroutines calling at once on one
// session (compare its ns/op with client's: throughput).
func BenchmarkRealQMP(b *testing.B) {
	sock := rtStartQEMU(b)
	b.Run("raw", func(b *testing.B) { rtBenchRaw(b, sock) })
	b.Run("client", func(b *testing.B) { rtBenchClient(b, sock) })
	b.Run("client-timeout", func(b *testing.B) { rtBenchClientTimeout(b, sock) })
	b.Run("parallel-8", func(b *testing.B) { rtBenchParallel(b, sock, 8) })
}

// rtBenchParallel: n goroutines calling query-status on one session.
func rtBenchParallel(b *testing.B, sock string, n int) {
	q, err := DialQMP(context.Background(), "unix", sock)
	if err != nil {
		b.Fatal(err)
	}
	defer q.Close()
	b.SetParallelism(max(1, n/max(1, rtGOMAXPROCS())))
	rtMeasure(b, func() {
		b.RunParallel(func(pb *testing.PB) {
			ctx := context.Background()
			for pb.Next() {
				var st rtStatus
				if err := q.Call(ctx, "query-status", nil, &st); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// BenchmarkRealQMPParallel: 64 goroutines calling query-status on one
// session; compare ns/op with BenchmarkRealQMP/client.
func BenchmarkRealQMPParallel(b *testing.B) {
	sock := rtStartQEMU(b)
	for _, oob := range []bool{true, false} {
		name := "oob"
		var opts []Option
		if !oob {
			name = "no-oob"
			opts = append(opts, WithoutOOB())
		}
		b.Run(name, func(b *testing.B) {
			q, err := DialQMP(context.Background(), "unix", sock, opts...)
			if err != nil {
				b.Fatal(err)
			}
			defer q.Close()
			b.SetParallelism(64 / max(1, rtGOMAXPROCS()))
			rtMeasure(b, func() {
				b.RunParallel(func(pb *testing.PB) {
					ctx := context.Background()
					for pb.Next() {
						var st rtStatus
						if err := q.Call(ctx, "query-status", nil, &st); err != nil {
							b.Error(err)
							return
						}
					}
				})
			})
		})
	}
}

// BenchmarkRealQMPPipelinedRaw is the raw counterpart of
// BenchmarkRealQMPParallel/oob: one goroutine keeps 64 requests in flight,
// another reads the replies.
func BenchmarkRealQMPPipelinedRaw(b *testing.B) {
	sock := rtStartQEMU(b)
	r := rtRawQMP(b, sock, true)
	window := make(chan struct{}, 64)
	rtMeasure(b, func() {
		go func() {
			for i := 0; i < b.N; i++ {
				window <- struct{}{}
				if _, err := r.c.Write(rtQueryStatus); err != nil {
					return
				}
			}
		}()
		for i := 0; i < b.N; i++ {
			line, err := r.r.ReadSlice('\n')
			if err != nil {
				b.Fatal(err)
			}
			var reply struct{ Return rtStatus }
			if err := json.Unmarshal(line, &reply); err != nil {
				b.Fatal(err)
			}
			<-window
		}
	})
}

// BenchmarkRealQMPRequestShape measures what an id costs QEMU: a raw
// sequential loop with the same command written three ways.
func BenchmarkRealQMPRequestShape(b *testing.B) {
	sock := rtStartQEMU(b)
	for _, tc := range []struct{ name, req string }{
		{"no-id", `{"execute":"query-status"}`},
		{"int-id", `{"execute":"query-status","id":1}`},
		{"qmp-id", `{"execute":"query-status","id":"__qmp#00001"}`},
		{"spaced", `{"execute": "query-status", "id": "__qmp#00001"}`},
	} {
		b.Run(tc.name, func(b *testing.B) {
			r := rtRawQMP(b, sock, true)
			req := []byte(tc.req + "\n")
			rtMeasure(b, func() {
				for i := 0; i < b.N; i++ {
					r.call(b, req)
				}
			})
		})
	}
}

// BenchmarkRealQGA: guest-ping against a host qemu-ga.
func BenchmarkRealQGA(b *testing.B) {
	sock := rtStartQGA(b)
	b.Run("client", func(b *testing.B) {
		q, err := DialQGA(context.Background(), "unix", sock)
		if err != nil {
			b.Fatal(err)
		}
		defer q.Close()
		ctx := context.Background()
		rtMeasure(b, func() {
			for i := 0; i < b.N; i++ {
				if err := q.Call(ctx, "guest-ping", nil, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("raw", func(b *testing.B) {
		c, err := net.Dial("unix", sock)
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		r := bufio.NewReader(c)
		c.Write([]byte("\xff{\"execute\":\"guest-sync-delimited\",\"arguments\":{\"id\":42}}\n"))
		for {
			l, err := r.ReadSlice('\n')
			if err != nil {
				b.Fatal(err)
			}
			if string(l) == "\xff{\"return\": 42}\n" {
				break
			}
		}
		req := []byte(`{"execute":"guest-ping"}` + "\n")
		rtMeasure(b, func() {
			for i := 0; i < b.N; i++ {
				c.Write(req)
				l, err := r.ReadSlice('\n')
				if err != nil {
					b.Fatal(err)
				}
				var reply struct{ Return json.RawMessage }
				if err := json.Unmarshal(l, &reply); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}

// BenchmarkFakePeerVariants: the other call shapes against the minimal
// peer process.
func BenchmarkFakePeerVariants(b *testing.B) {
	sock := rtStartPeerProcess(b)
	q, err := DialQMP(context.Background(), "unix", sock)
	if err != nil {
		b.Fatal(err)
	}
	defer q.Close()
	ctx := context.Background()
	b.Run("execute", func(b *testing.B) {
		rtMeasure(b, func() {
			for i := 0; i < b.N; i++ {
				if _, err := q.Execute(ctx, "query-status", nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("oob", func(b *testing.B) {
		rtMeasure(b, func() {
			for i := 0; i < b.N; i++ {
				if err := q.Call(ctx, "query-status", nil, nil, OutOfBand()); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("subscribed", func(b *testing.B) {
		// A subscription costs a call nothing: the reader dispatches
		// replies and events alike.
		sub := q.Subscribe("STOP")
		defer sub.Close()
		rtMeasure(b, func() {
			for i := 0; i < b.N; i++ {
				if err := q.Call(ctx, "query-status", nil, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	type args struct {
		Device string `json:"device"`
		Force  bool   `json:"force,omitempty"`
	}
	b.Run("struct-args", func(b *testing.B) {
		rtMeasure(b, func() {
			for i := 0; i < b.N; i++ {
				if err := q.Call(ctx, "eject", &args{Device: "cd0"}, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("parallel-64", func(b *testing.B) {
		b.SetParallelism(64 / max(1, rtGOMAXPROCS()))
		rtMeasure(b, func() {
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					var st rtStatus
					if err := q.Call(ctx, "query-status", nil, &st); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	})
}
