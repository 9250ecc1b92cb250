package qmp_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/qapi-go/qapi/gen/qmp"
	"github.com/qapi-go/qapi/internal/leakcheck"
	"github.com/qapi-go/qapi/internal/qemutest"
	"github.com/qapi-go/qapi/runtime"
	"github.com/qapi-go/qapi/runtime/fakepeer"
)

// The benchmarks compare a typed call (a generated Client method) with the
// same command sent through the runtime session directly on the same
// connection: Call decoding into an equivalent hand-written struct, or
// Execute returning the raw reply. The difference is what the typed layer
// costs.
//
// The peer is in another process (the fake peer, run by TestMain, or a
// real QEMU), so "cpu-ns/op", this process's CPU time per call, is the
// client's alone. The Paired benchmarks alternate typed and raw calls in
// one loop, so that drift in the machine's load hits both alike, and
// report the typed layer's overhead in percent of the raw call's time.
//
//	go test -run '^$' -bench . -count 6 ./gen/qmp/

// TestMain doubles as the benchmark peer: with QMP_BENCH_PEER=SOCK the
// test binary serves the fake peer on SOCK until its stdin closes.
// Otherwise it runs the tests, then fails if a goroutine of this module
// (a session's reader, a subscription, a fake peer) outlived them.
func TestMain(m *testing.M) {
	if sock := os.Getenv("QMP_BENCH_PEER"); sock != "" {
		serveBenchPeer(sock)
		return
	}
	os.Exit(leakcheck.Main(m))
}

func serveBenchPeer(sock string) {
	ln, err := net.Listen("unix", sock)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	go func() { // exit when the parent goes away
		bufio.NewReader(os.Stdin).ReadByte()
		os.Exit(0)
	}()
	for {
		c, err := ln.Accept()
		if err != nil {
			os.Exit(0)
		}
		fakepeer.New(nil, fakepeer.Config{Handler: benchHandler}).Serve(c)
	}
}

// benchSchema is the recorded query-qmp-schema reply the fake peer
// sends (read when first asked for).
var benchSchema = sync.OnceValue(func() json.RawMessage {
	b, err := readRecordedSchema()
	if err != nil {
		return nil
	}
	return b
})

func benchHandler(cmd string, args json.RawMessage) fakepeer.Response {
	switch cmd {
	case "query-qmp-schema":
		return fakepeer.Response{Return: benchSchema()}
	case "query-status":
		return fakepeer.Response{Return: json.RawMessage(`{"status": "running", "singlestep": false, "running": true}`)}
	case "qom-get":
		return fakepeer.Response{Return: json.RawMessage(`"none-machine"`)}
	}
	return fakepeer.Response{Error: &fakepeer.Error{Class: "CommandNotFound", Desc: cmd}}
}

func startBenchPeer(b *testing.B) string {
	sock := filepath.Join(b.TempDir(), "peer.sock")
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "QMP_BENCH_PEER="+sock)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { stdin.Close(); cmd.Process.Kill(); cmd.Wait() })
	for i := 0; i < 500; i++ {
		if c, err := net.Dial("unix", sock); err == nil {
			c.Close()
			return sock
		}
		time.Sleep(10 * time.Millisecond)
	}
	b.Fatal("benchmark peer never came up")
	return ""
}

func dialBench(b *testing.B, sock string) *qmp.Conn {
	conn, err := qmp.Dial(context.Background(), "unix", sock)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close() })
	return conn
}

// benchStatus is query-status's reply as a hand-written struct.
type benchStatus struct {
	Status  string `json:"status"`
	Running bool   `json:"running"`
}

var benchQOMGetArgs = json.RawMessage(`{"path":"/machine","property":"type"}`)

type benchCall struct {
	name       string
	typed, raw func(ctx context.Context, conn *qmp.Conn) error
}

var benchCalls = []benchCall{
	{
		name: "query-status",
		typed: func(ctx context.Context, conn *qmp.Conn) error {
			_, err := conn.QueryStatus(ctx, nil)
			return err
		},
		raw: func(ctx context.Context, conn *qmp.Conn) error {
			var st benchStatus
			return conn.Session().Call(ctx, "query-status", nil, &st)
		},
	},
	{
		// A 186 KB reply of 1500 unions (QEMU 7.2's): the typed
		// []SchemaInfo against encoding/json into []map[string]any.
		name: "query-qmp-schema",
		typed: func(ctx context.Context, conn *qmp.Conn) error {
			_, err := conn.QueryQMPSchema(ctx, nil)
			return err
		},
		raw: func(ctx context.Context, conn *qmp.Conn) error {
			var v []map[string]any
			return conn.Session().Call(ctx, "query-qmp-schema", nil, &v)
		},
	},
	{
		name: "qom-get",
		typed: func(ctx context.Context, conn *qmp.Conn) error {
			_, err := conn.QOMGet(ctx, &qmp.QOMGetArgs{Path: "/machine", Property: "type"})
			return err
		},
		raw: func(ctx context.Context, conn *qmp.Conn) error {
			_, err := conn.Session().Execute(ctx, "qom-get", benchQOMGetArgs)
			return err
		},
	},
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func runCalls(b *testing.B, conn *qmp.Conn) {
	ctx := context.Background()
	for _, bc := range benchCalls {
		for _, kind := range []string{"typed", "raw"} {
			f := bc.typed
			if kind == "raw" {
				f = bc.raw
			}
			b.Run(bc.name+"/"+kind, func(b *testing.B) {
				b.ReportAllocs()
				c0 := cpuTime()
				for i := 0; i < b.N; i++ {
					if err := f(ctx, conn); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(cpuTime()-c0)/float64(b.N), "cpu-ns/op")
			})
		}
		b.Run(bc.name+"/paired", func(b *testing.B) {
			var typed, raw time.Duration
			for i := 0; i < b.N; i++ {
				first, second, d1, d2 := bc.typed, bc.raw, &typed, &raw
				if i%2 == 1 {
					first, second, d1, d2 = bc.raw, bc.typed, &raw, &typed
				}
				t0 := time.Now()
				if err := first(ctx, conn); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				if err := second(ctx, conn); err != nil {
					b.Fatal(err)
				}
				*d1 += t1.Sub(t0)
				*d2 += time.Since(t1)
			}
			b.ReportMetric(float64(typed)/float64(b.N), "typed-ns/op")
			b.ReportMetric(float64(raw)/float64(b.N), "raw-ns/op")
			b.ReportMetric(100*(float64(typed)/float64(raw)-1), "overhead-%")
		})
	}
}

// BenchmarkFakePeer: sequential calls to the fake peer in another process.
func BenchmarkFakePeer(b *testing.B) { runCalls(b, dialBench(b, startBenchPeer(b))) }

// BenchmarkQEMU: sequential calls to a real QEMU (-machine none).
func BenchmarkQEMU(b *testing.B) { runCalls(b, dialBench(b, qemutest.Start(b).Socket)) }

// memCaller is a runtime.Caller without a peer: it encodes the arguments
// and decodes a fixed reply, the work every call does whoever makes it.
// It hands the reply over as a session does (runtime/reply.go): a
// *json.RawMessage result gets a copy of the return value, which the
// session's framing has already found to be one JSON value (the
// generated methods ask for that and decode it with package codec);
// any other result is json.Unmarshal'd.
type memCaller struct{ reply map[string][]byte }

func (m memCaller) Call(ctx context.Context, command string, args, result any, opts ...runtime.CallOption) error {
	if args != nil {
		if _, err := json.Marshal(args); err != nil {
			return err
		}
	}
	if result == nil {
		return nil
	}
	if raw, ok := result.(*json.RawMessage); ok {
		*raw = append((*raw)[:0], m.reply[command]...)
		return nil
	}
	return json.Unmarshal(m.reply[command], result)
}

// BenchmarkLayer isolates the typed layer's CPU cost from the transport:
// the generated method against the same Call made by hand, on a Caller
// that only encodes and decodes. Compare the difference with a real round
// trip (BenchmarkQEMU, BenchmarkFakePeer).
func BenchmarkLayer(b *testing.B) {
	mc := memCaller{reply: map[string][]byte{
		"query-status": []byte(`{"status": "running", "singlestep": false, "running": true}`),
		"qom-get":      []byte(`"none-machine"`),
	}}
	client := (*qmp.Conn)(nil).WithCaller(mc)
	ctx := context.Background()
	b.Run("query-status/typed", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := client.QueryStatus(ctx, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("query-status/raw", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			var st benchStatus
			if err := mc.Call(ctx, "query-status", nil, &st); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("qom-get/typed", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := client.QOMGet(ctx, &qmp.QOMGetArgs{Path: "/machine", Property: "type"}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("qom-get/raw", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			var r json.RawMessage
			if err := mc.Call(ctx, "qom-get", benchQOMGetArgs, &r); err != nil {
				b.Fatal(err)
			}
		}
	})
}
