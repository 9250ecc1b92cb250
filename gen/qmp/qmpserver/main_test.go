package qmpserver_test

import (
	"context"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/qapi-go/qapi/gen/qmp"
	"github.com/qapi-go/qapi/internal/leakcheck"
)

// TestMain doubles as BenchmarkServer's server process: with
// QMP_BENCH_SERVER=SOCK the test binary serves a typed server on SOCK
// (serveBenchServer). Otherwise it runs the tests, then fails if a
// goroutine of this module (a session, a server connection) outlived
// them.
func TestMain(m *testing.M) {
	if sock := os.Getenv("QMP_BENCH_SERVER"); sock != "" {
		serveBenchServer(sock)
		return
	}
	os.Exit(leakcheck.Main(m))
}

// cpuTime is this process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// dialBench dials the QMP socket sock for a benchmark.
func dialBench(b *testing.B, sock string) *qmp.Conn {
	conn, err := qmp.Dial(context.Background(), "unix", sock)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close() })
	return conn
}
