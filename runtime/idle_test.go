package runtime

import (
	"context"
	goruntime "runtime"
	"testing"
)

// TestIdleCost: an idle session costs at most 32 KiB and one goroutine
// (its reader, blocked in Read), with or without a subscription.
func TestIdleCost(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a peer process")
	}
	sock := rtStartPeerProcess(t)
	for _, watched := range []bool{false, true} {
		const n = 100
		goruntime.GC()
		var before, after goruntime.MemStats
		goruntime.ReadMemStats(&before)
		g0 := goruntime.NumGoroutine()
		qs := make([]*QMP, n)
		for i := range qs {
			q, err := DialQMP(context.Background(), "unix", sock)
			if err != nil {
				t.Fatal(err)
			}
			if err := q.Call(context.Background(), "query-status", nil, nil); err != nil {
				t.Fatal(err)
			}
			if watched {
				q.Subscribe("STOP")
			}
			qs[i] = q
		}
		goruntime.GC()
		goruntime.ReadMemStats(&after)
		g1 := goruntime.NumGoroutine()
		mem := (int64(after.HeapInuse+after.StackInuse) - int64(before.HeapInuse+before.StackInuse)) / n
		gs := float64(g1-g0) / n
		t.Logf("watched=%v: %d bytes and %.2f goroutines per idle session", watched, mem, gs)
		if mem > 32<<10 || gs > 1 {
			t.Errorf("idle session costs %d bytes, %.2f goroutines", mem, gs)
		}
		for _, q := range qs {
			q.Close()
		}
	}
}
