package generator_test

import (
	"testing"

	"github.com/qapi-go/qapi/generator"
	"github.com/qapi-go/qapi/internal/gomodtest"
	"github.com/qapi-go/qapi/parser"
)

// BenchmarkGenerate measures generating the full vendored QMP and QGA
// schemas (already parsed) to formatted Go; one iteration does both.
func BenchmarkGenerate(b *testing.B) {
	root := gomodtest.RepoRoot(b)
	var schemas []*parser.Schema
	var sources []string
	for _, r := range releases[:2] {
		s, src := parseRelease(b, root, r)
		schemas = append(schemas, s)
		sources = append(sources, src)
	}
	b.ResetTimer()
	cpu0 := cpuTime()
	var bytes int
	for i := 0; i < b.N; i++ {
		bytes = 0
		for j, s := range schemas {
			files, err := generator.Generate(s, generator.Config{Package: "x", Source: sources[j]})
			if err != nil {
				b.Fatal(err)
			}
			for _, f := range files {
				bytes += len(f.Content)
			}
		}
	}
	b.ReportMetric(float64(bytes), "bytes/op")
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
	}
}

// BenchmarkGenerateRange measures generating the checked-in bindings: the
// QMP range (7.2, 10.0, 10.2) and the QGA range (5.0, 7.2, 10.0, 10.2),
// one iteration doing both, each with its server package (everything
// make generate writes). "merge" starts from the parsed schemas (as
// BenchmarkGenerate does), "parse" includes reading every release's
// schema (what make generate does, minus the go command and file writes).
func BenchmarkGenerateRange(b *testing.B) {
	ranges := [][]release{qmpRange, qgaRange}
	gen := func(b *testing.B, rels [][]generator.Release) int {
		n := 0
		for _, r := range rels {
			rng, err := generator.Merge(r)
			if err != nil {
				b.Fatal(err)
			}
			cfg := generator.Config{Package: "x", Range: rng}
			files, err := generator.Generate(rng.Schema, cfg)
			if err != nil {
				b.Fatal(err)
			}
			server, err := generator.GenerateServer(rng.Schema, cfg, generator.ServerConfig{Package: "xserver", BindingsImport: "example.com/x"})
			if err != nil {
				b.Fatal(err)
			}
			for _, f := range append(files, server...) {
				n += len(f.Content)
			}
		}
		return n
	}
	b.Run("merge", func(b *testing.B) {
		var rels [][]generator.Release
		for _, r := range ranges {
			rels = append(rels, parseRange(b, r))
		}
		b.ResetTimer()
		cpu0 := cpuTime()
		var n int
		for b.Loop() {
			n = gen(b, rels)
		}
		b.ReportMetric(float64(n), "bytes/op")
		if cpu := cpuTime() - cpu0; cpu > 0 {
			b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
		}
	})
	b.Run("parse", func(b *testing.B) {
		cpu0 := cpuTime()
		for b.Loop() {
			var rels [][]generator.Release
			for _, r := range ranges {
				rels = append(rels, parseRange(b, r))
			}
			gen(b, rels)
		}
		if cpu := cpuTime() - cpu0; cpu > 0 {
			b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
		}
	})
}
