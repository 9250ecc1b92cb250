package parser

import "testing"

// BenchmarkParse parses the full vendored QMP schema (46 files) from disk,
// includes resolved and every check run, doc comments included.
func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Parse("../schema/qapi/qapi-schema.json", Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheckAndBuild measures stages 2 and 3 alone on the full QMP
// schema (stage 1's output is computed once).
func BenchmarkCheckAndBuild(b *testing.B) {
	file := "../schema/qapi/qapi-schema.json"
	d := &diag{}
	exprs, docs, err := readSchemaFiles(nil, file, d)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		defs, err := checkExprs(exprs, d)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := buildSchema(file, defs, docs, d, false); err != nil {
			b.Fatal(err)
		}
	}
}
