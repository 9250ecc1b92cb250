package qmpserver_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qapi-go/qapi/internal/qemutest"
)

// processCPU is the CPU time of every thread of process pid so far, from
// /proc/PID/task/*/schedstat (nanoseconds); 0 where there is no /proc.
func processCPU(pid int) time.Duration {
	tasks, _ := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*/schedstat")
	var total time.Duration
	for _, t := range tasks {
		b, err := os.ReadFile(t)
		if err != nil {
			continue
		}
		f := strings.Fields(string(b))
		if len(f) > 0 {
			ns, _ := strconv.ParseInt(f[0], 10, 64)
			total += time.Duration(ns)
		}
	}
	return total
}

// BenchmarkServerVsQEMU is BenchmarkServer's baseline, run in the same
// invocation: the same client calls query-status on QEMU 7.2
// (-machine none), and QEMU's own CPU per call is reported ("qemu-cpu-ns/op"),
// the figure a Go server's "server-cpu-ns/op" is held to (a tenth of it).
func BenchmarkServerVsQEMU(b *testing.B) {
	q := qemutest.Start(b)
	conn := dialBench(b, q.Socket)
	ctx := context.Background()
	b.Run("query-status", func(b *testing.B) {
		b.ReportAllocs()
		p0, c0 := processCPU(q.PID()), cpuTime()
		for i := 0; i < b.N; i++ {
			if _, err := conn.QueryStatus(ctx, nil); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(cpuTime()-c0)/float64(b.N), "client-cpu-ns/op")
		b.ReportMetric(float64(processCPU(q.PID())-p0)/float64(b.N), "qemu-cpu-ns/op")
	})
}
