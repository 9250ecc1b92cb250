package qga_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/qapi-go/qapi/gen/qga"
	"github.com/qapi-go/qapi/runtime"
)

const benchFileSize = 40 << 20

// BenchmarkFileRead reads a 40 MB file from a real qemu-ga in 4 MiB
// chunks, through FileReader (helper) and through a raw loop over the
// runtime session (raw): guest-file-open, guest-file-read until eof,
// guest-file-close, decoding each chunk. Both discard the data after
// decoding it. Compare their MB/s.
func BenchmarkFileRead(b *testing.B) {
	ga, agent := dialAgent(b)
	path := filepath.Join(agent.Dir, "bench.bin")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.CopyN(f, rand.Reader, benchFileSize); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()

	b.Run("helper", func(b *testing.B) {
		b.SetBytes(benchFileSize)
		for b.Loop() {
			n, err := ga.CopyFromGuest(ctx, io.Discard, path, qga.WithChunkSize(4<<20))
			if err != nil || n != benchFileSize {
				b.Fatalf("read %d, %v", n, err)
			}
		}
	})

	b.Run("raw", func(b *testing.B) {
		b.SetBytes(benchFileSize)
		for b.Loop() {
			if n, err := rawRead(ctx, ga.Session(), path, 4<<20); err != nil || n != benchFileSize {
				b.Fatalf("read %d, %v", n, err)
			}
		}
	})
}

// rawRead is the hand-written loop a user of the runtime alone would
// write.
func rawRead(ctx context.Context, s *runtime.QGA, path string, chunk int) (int64, error) {
	var h int64
	if err := s.Call(ctx, "guest-file-open", map[string]any{"path": path, "mode": "r"}, &h); err != nil {
		return 0, err
	}
	defer s.Call(ctx, "guest-file-close", map[string]any{"handle": h}, nil)
	var total int64
	for {
		raw, err := s.Execute(ctx, "guest-file-read", map[string]any{"handle": h, "count": chunk})
		if err != nil {
			return total, err
		}
		var r struct {
			Count int64  `json:"count"`
			Buf   string `json:"buf-b64"`
			EOF   bool   `json:"eof"`
		}
		if err := json.Unmarshal(raw, &r); err != nil {
			return total, err
		}
		data, err := base64.StdEncoding.DecodeString(r.Buf)
		if err != nil {
			return total, err
		}
		total += int64(len(data))
		if r.EOF {
			return total, nil
		}
	}
}

// BenchmarkFileReadPaired alternates the helper and the raw loop within
// each iteration, so that both see the same machine load, and reports
// each one's throughput and their ratio (helper/raw; the goal is ≥ 0.9).
func BenchmarkFileReadPaired(b *testing.B) {
	ga, agent := dialAgent(b)
	path := filepath.Join(agent.Dir, "bench.bin")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.CopyN(f, rand.Reader, benchFileSize); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	var helper, raw, helperCPU, rawCPU time.Duration
	b.SetBytes(2 * benchFileSize)
	for i := 0; b.Loop(); i++ {
		// Alternate which goes first.
		for k := range 2 {
			start, startCPU := time.Now(), cpuTime()
			if (i+k)%2 == 0 {
				n, err := ga.CopyFromGuest(ctx, io.Discard, path, qga.WithChunkSize(4<<20))
				if err != nil || n != benchFileSize {
					b.Fatalf("helper read %d, %v", n, err)
				}
				helper += time.Since(start)
				helperCPU += cpuTime() - startCPU
			} else {
				n, err := rawRead(ctx, ga.Session(), path, 4<<20)
				if err != nil || n != benchFileSize {
					b.Fatalf("raw read %d, %v", n, err)
				}
				raw += time.Since(start)
				rawCPU += cpuTime() - startCPU
			}
		}
	}
	mbps := func(d time.Duration) float64 { return float64(b.N) * benchFileSize / 1e6 / d.Seconds() }
	b.ReportMetric(mbps(helper), "helper-MB/s")
	b.ReportMetric(mbps(raw), "raw-MB/s")
	b.ReportMetric(raw.Seconds()/helper.Seconds(), "helper/raw")
	// The client's own CPU time per MB (the agent is another process):
	// what the helper costs independently of the machine's load.
	perMB := func(d time.Duration) float64 { return float64(d.Microseconds()) / (float64(b.N) * benchFileSize / 1e6) }
	b.ReportMetric(perMB(helperCPU), "helper-cpu-µs/MB")
	b.ReportMetric(perMB(rawCPU), "raw-cpu-µs/MB")
}

// cpuTime is the CPU time this process used so far (user and system).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkCall compares typed calls with the runtime's untyped ones on
// a real agent, alternating them so that both see the same load: ping
// (no result) typed vs Session.Call, and guest-get-host-name typed vs
// Session.Execute (raw result, no decoding).
func BenchmarkCall(b *testing.B) {
	ga, _ := dialAgent(b)
	ctx := context.Background()
	for _, bc := range []struct {
		name       string
		typed, raw func() error
	}{
		{"ping", func() error { return ga.GuestPing(ctx, nil) },
			func() error { return ga.Session().Call(ctx, "guest-ping", nil, nil) }},
		{"host-name", func() error { _, err := ga.GuestGetHostName(ctx, nil); return err },
			func() error { _, err := ga.Session().Execute(ctx, "guest-get-host-name", nil); return err }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var typed, raw time.Duration
			for i := 0; b.Loop(); i++ {
				for k := range 2 {
					start := time.Now()
					if (i+k)%2 == 0 {
						if err := bc.typed(); err != nil {
							b.Fatal(err)
						}
						typed += time.Since(start)
					} else {
						if err := bc.raw(); err != nil {
							b.Fatal(err)
						}
						raw += time.Since(start)
					}
				}
			}
			b.ReportMetric(float64(typed.Nanoseconds())/float64(b.N), "typed-ns/call")
			b.ReportMetric(float64(raw.Nanoseconds())/float64(b.N), "raw-ns/call")
			b.ReportMetric(typed.Seconds()/raw.Seconds(), "typed/raw")
		})
	}
}

// BenchmarkFileWrite writes a 40 MB file to a real qemu-ga in 4 MiB
// chunks through CopyToGuest, for reference (the agent's JSON parser,
// which reads a request a byte at a time, sets the pace).
func BenchmarkFileWrite(b *testing.B) {
	ga, agent := dialAgent(b)
	path := filepath.Join(agent.Dir, "bench-out.bin")
	data := make([]byte, benchFileSize)
	rand.Read(data)
	ctx := context.Background()
	b.SetBytes(benchFileSize)
	for b.Loop() {
		n, err := ga.CopyToGuest(ctx, path, bytes.NewReader(data))
		if err != nil || n != benchFileSize {
			b.Fatalf("wrote %d, %v", n, err)
		}
	}
}
