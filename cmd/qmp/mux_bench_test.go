package main

import (
	"context"
	"net"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/qapi-go/qapi/internal/qemutest"
	qmpruntime "github.com/qapi-go/qapi/runtime"
)

// BenchmarkMuxQueryStatus compares, in one run, a client's sequential
// query-status talking to QEMU directly (its second monitor) and through
// the mux (in front of its first monitor), interleaved call by call so
// that the machine's load weighs on both alike. It reports the wall time
// per call of each and their ratio (target: mux/direct <= 1.3).
//
// Measured against QEMU 7.2 on the 2-core development machine at load
// 14-25 (other builds running): mux/direct 0.89-1.19 over ten runs of
// 3,000 calls, median about 1.08; 390-930 µs per direct call, the load
// moving both sides alike. The mux's own CPU per call (a socket hop each
// way, a JSON scan of the request) is small next to QEMU's.
func BenchmarkMuxQueryStatus(b *testing.B) {
	dir := qemutest.SocketDir(b)
	second := filepath.Join(dir, "direct.sock")
	p := qemutest.Start(b, "-qmp", "unix:"+second+",server=on,wait=off")
	ctx := context.Background()
	up, err := qmpruntime.DialQMP(ctx, "unix", p.Socket)
	if err != nil {
		b.Fatal(err)
	}
	m := newMux(up, muxConfig{allow: defaultReadOnlyAllow})
	defer func() { m.Close(); m.Wait() }()
	sock := filepath.Join(dir, "mux.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		b.Fatal(err)
	}
	go m.Serve(ln, false)
	direct, err := qmpruntime.DialQMP(ctx, "unix", second)
	if err != nil {
		b.Fatal(err)
	}
	defer direct.Close()
	viaMux, err := qmpruntime.DialQMP(ctx, "unix", sock)
	if err != nil {
		b.Fatal(err)
	}
	defer viaMux.Close()
	var st struct{ Status string }
	for _, q := range []*qmpruntime.QMP{direct, viaMux} { // warm up
		for i := 0; i < 100; i++ {
			if err := q.Call(ctx, "query-status", nil, &st); err != nil {
				b.Fatal(err)
			}
		}
	}
	var tDirect, tMux time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if err := direct.Call(ctx, "query-status", nil, &st); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if err := viaMux.Call(ctx, "query-status", nil, &st); err != nil {
			b.Fatal(err)
		}
		tDirect += t1.Sub(t0)
		tMux += time.Since(t1)
	}
	b.ReportMetric(float64(tDirect.Microseconds())/float64(b.N), "direct-µs/call")
	b.ReportMetric(float64(tMux.Microseconds())/float64(b.N), "mux-µs/call")
	b.ReportMetric(float64(tMux)/float64(tDirect), "mux/direct")
}

// TestMuxIdleCost measures what an idle, negotiated client costs the mux:
// at most two goroutines and 32 KiB (heap and stacks; the test's own ends
// of the connections are counted too, so the figure is an upper bound).
// Measured: 2.00 goroutines and about 13.5 KiB per idle client.
func TestMuxIdleCost(t *testing.T) {
	_, _, sock, _, _ := startMux(t)
	const n = 200
	measure := func() (goroutines int, bytes uint64) {
		var ms runtime.MemStats
		for i := 0; i < 3; i++ {
			runtime.GC()
		}
		time.Sleep(50 * time.Millisecond) // let goroutines park
		runtime.ReadMemStats(&ms)
		return runtime.NumGoroutine(), ms.HeapInuse + ms.StackInuse
	}
	g0, m0 := measure()
	conns := make([]net.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	buf := make([]byte, 4096)
	readLine := func(c net.Conn) string {
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		k, err := c.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		return string(buf[:k])
	}
	for i := 0; i < n; i++ {
		c, err := net.Dial("unix", sock)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		readLine(c) // greeting
		c.Write([]byte(`{"execute":"qmp_capabilities"}`))
		if got := readLine(c); got != "{\"return\":{}}\r\n" {
			t.Fatalf("negotiation: %q", got)
		}
		c.Write([]byte(`{"execute":"query-status"}`))
		readLine(c)
	}
	g1, m1 := measure()
	perG := float64(g1-g0) / n
	perB := float64(int64(m1)-int64(m0)) / n
	t.Logf("per idle client: %.2f goroutines, %.0f bytes (heap+stack)", perG, perB)
	if perG > 2 {
		t.Errorf("%.2f goroutines per idle client, want <= 2", perG)
	}
	if perB > 32<<10 {
		t.Errorf("%.0f bytes per idle client, want <= 32 KiB", perB)
	}
}
