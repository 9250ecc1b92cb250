package generator_test

import (
	"testing"

	"github.com/qapi-go/qapi/generator"
	"github.com/qapi-go/qapi/internal/gomodtest"
	"github.com/qapi-go/qapi/parser"
)

// The ranges of releases gen/qmp and gen/qga span (as the Makefile gives
// them), oldest first; release.pkg is the release's name.
var (
	qmpRange = []release{
		{"7.2", "testdata/schemas/qemu-7.2.0/qapi/qapi-schema.json"},
		{"10.0", "testdata/schemas/qemu-10.0.13/qapi/qapi-schema.json"},
		{"10.2", "qmp"},
	}
	qgaRange = []release{
		{"5.0", "testdata/schemas/qga-5.0/qapi-schema.json"},
		{"7.2", "testdata/schemas/qemu-7.2.0/qga/qapi-schema.json"},
		{"10.0", "testdata/schemas/qemu-10.0.13/qga/qapi-schema.json"},
		{"10.2", "qga"},
	}
)

// parseRange parses the releases of rng.
func parseRange(tb testing.TB, rng []release) []generator.Release {
	tb.Helper()
	root := gomodtest.RepoRoot(tb)
	var rels []generator.Release
	for _, r := range rng {
		s, _ := parseRelease(tb, root, r)
		rels = append(rels, generator.Release{Name: r.pkg, Schema: s})
	}
	return rels
}

// mergeRange parses and merges the releases of rng.
func mergeRange(tb testing.TB, rng []release) (*generator.Range, []generator.Release) {
	tb.Helper()
	rels := parseRange(tb, rng)
	r, err := generator.Merge(rels)
	if err != nil {
		tb.Fatal(err)
	}
	checkLinks(tb, r.Schema)
	return r, rels
}

// hasDef reports whether s defines a command or event called name.
func hasDef(s *parser.Schema, meta, name string) bool {
	d := s.Lookup(name)
	return d != nil && d.Meta() == meta
}
