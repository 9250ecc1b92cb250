package qmp_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"os"
	"testing"

	"github.com/qapi-go/qapi/gen/qmp"
	"github.com/qapi-go/qapi/runtime/codec"
)

// recordedSchema is QEMU 7.2's reply to query-qmp-schema (x86_64,
// -machine none), as recorded for package introspect.
func recordedSchema(tb testing.TB) []byte {
	tb.Helper()
	b, err := readRecordedSchema()
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func readRecordedSchema() ([]byte, error) {
	f, err := os.Open("../../introspect/testdata/qemu-7.2.22-x86_64-machine-none.json.gz")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(z)
	return bytes.TrimSpace(b), err
}

// BenchmarkQueryQMPSchemaDecode compares the client CPU of decoding a
// recorded query-qmp-schema reply (186 KB, 1500 SchemaInfo unions) into
// the typed []SchemaInfo with decoding it into []map[string]any, both
// the way a session does it: json.Unmarshal of the "return" value into
// the result Call is given. "typed" goes through the generated method
// (whose result reaches Call wrapped for package codec), "codec" calls
// codec.Unmarshal directly (what a Caller that knows the codec pays).
// cpu-ns/op is this process's CPU time (all threads, the garbage
// collector's included) per decode, which a loaded machine distorts far
// less than ns/op.
func BenchmarkQueryQMPSchemaDecode(b *testing.B) {
	reply := recordedSchema(b)
	client := (*qmp.Conn)(nil).WithCaller(memCaller{reply: map[string][]byte{"query-qmp-schema": reply}})
	ctx := context.Background()
	b.Run("typed", func(b *testing.B) {
		b.SetBytes(int64(len(reply)))
		b.ReportAllocs()
		c0 := cpuTime()
		defer func() { b.ReportMetric(float64(cpuTime()-c0)/float64(b.N), "cpu-ns/op") }()
		for b.Loop() {
			if _, err := client.QueryQMPSchema(ctx, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("codec", func(b *testing.B) {
		b.SetBytes(int64(len(reply)))
		b.ReportAllocs()
		c0 := cpuTime()
		defer func() { b.ReportMetric(float64(cpuTime()-c0)/float64(b.N), "cpu-ns/op") }()
		for b.Loop() {
			var v []qmp.SchemaInfo
			if err := codec.Unmarshal(reply, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("map", func(b *testing.B) {
		b.SetBytes(int64(len(reply)))
		b.ReportAllocs()
		c0 := cpuTime()
		defer func() { b.ReportMetric(float64(cpuTime()-c0)/float64(b.N), "cpu-ns/op") }()
		for b.Loop() {
			var v []map[string]any
			if err := json.Unmarshal(reply, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
}
