package runtime

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/qapi-go/qapi/internal/qemutest"
)

// BenchmarkRealQMPInterleaved compares, against one QEMU, sequential
// query-status calls made by the raw loop, the typed client, and the
// typed client with a per-call context.WithTimeout, in blocks of 50 calls
// taken in turn, so that a loaded machine's drift weighs on all three
// alike. It reports each one's wall and CPU time per call and the
// client's ratios to the raw loop's ("wall-x", "cpu-x").
func BenchmarkRealQMPInterleaved(b *testing.B) {
	// QEMU serves one client per monitor: give the raw loop its own.
	sock2 := filepath.Join(qemutest.SocketDir(b), "qmp2.sock")
	sock := rtStartQEMU(b, "-qmp", "unix:"+sock2+",server=on,wait=off")
	rtWaitSocket(b, sock2)
	raw := rtRawQMP(b, sock2, true)
	q, err := DialQMP(context.Background(), "unix", sock)
	if err != nil {
		b.Fatal(err)
	}
	defer q.Close()
	variants := []struct {
		name string
		call func()
	}{
		{"raw", func() { raw.call(b, rtQueryStatus) }},
		{"client", func() {
			var st rtStatus
			if err := q.Call(context.Background(), "query-status", nil, &st); err != nil {
				b.Fatal(err)
			}
		}},
		{"timeout", func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			var st rtStatus
			err := q.Call(ctx, "query-status", nil, &st)
			cancel()
			if err != nil {
				b.Fatal(err)
			}
		}},
	}
	const block = 50
	wall := make([]time.Duration, len(variants))
	cpu := make([]time.Duration, len(variants))
	calls := 0
	b.ResetTimer()
	for calls < b.N {
		for i, v := range variants {
			t0, c0 := time.Now(), rtCPU()
			for range block {
				v.call()
			}
			wall[i] += time.Since(t0)
			cpu[i] += rtCPU() - c0
		}
		calls += block
	}
	per := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / float64(calls) }
	for i, v := range variants {
		b.ReportMetric(per(wall[i]), v.name+"-wall-ns/op")
		b.ReportMetric(per(cpu[i]), v.name+"-cpu-ns/op")
	}
	b.ReportMetric(float64(wall[1])/float64(wall[0]), "client-wall-x")
	b.ReportMetric(float64(cpu[1])/float64(cpu[0]), "client-cpu-x")
	b.ReportMetric(float64(wall[2])/float64(wall[0]), "timeout-wall-x")
	b.ReportMetric(float64(cpu[2])/float64(cpu[0]), "timeout-cpu-x")
}
