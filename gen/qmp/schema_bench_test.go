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
// recorded query-qmp-schema reply into the typed []SchemaInfo with
// decoding it into []map[string]any (encoding/json, what a program
// without bindings does), both the way a session does it (see memCaller):
// the typed method receives a copy of the "return" value and decodes it
// with package codec, the map is json.Unmarshal'd. The replies are
// QEMU 7.2's (186 KB, 1500 SchemaInfo unions: a release the bindings
// span) and QEMU 11.1's (223 KB: newer than the bindings, with
// definitions and members they do not know). "typed" goes through the
// generated method (Call copies the raw value out, the method decodes
// it with codec.Unmarshal), "codec" calls codec.Unmarshal on the value
// directly, without the copy. cpu-ns/op is this process's CPU time (all
// threads, the garbage collector's included) per decode, which a loaded
// machine distorts far less than ns/op. The budget: typed no slower than
// map, in the same run.
func BenchmarkQueryQMPSchemaDecode(b *testing.B) {
	for _, peer := range []string{"qemu-7.2", "qemu-11.1"} {
		b.Run(peer, func(b *testing.B) {
			benchSchemaDecode(b, []byte(recordedReturn(b, peer, "query-qmp-schema")))
		})
	}
}

func benchSchemaDecode(b *testing.B, reply []byte) {
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
