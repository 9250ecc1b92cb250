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
