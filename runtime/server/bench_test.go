package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"testing"

	"github.com/qapi-go/qapi/runtime/server"
)

type benchStatus struct {
	Status     string `json:"status"`
	Singlestep bool   `json:"singlestep"`
	Running    bool   `json:"running"`
}

// BenchmarkSession: a minimal client (write the request, read the reply
// line) calls query-status sequentially on a server in the same process,
// with and without oob negotiated (with it, in-band requests run on the
// connection's second goroutine). Allocations are the server's plus the
// client's one read of a line.
func BenchmarkSession(b *testing.B) {
	st := &benchStatus{Status: "running", Running: true}
	m := server.NewMux()
	m.Handle(server.Command{Name: "query-status", CheckParams: true, Run: func(context.Context, *server.Request) (any, error) {
		return st, nil
	}})
	for _, tc := range []struct{ name, negotiate string }{
		{"oob", `{"execute":"qmp_capabilities","arguments":{"enable":["oob"]}}`},
		{"no-oob", `{"execute":"qmp_capabilities"}`},
	} {
		b.Run(tc.name, func(b *testing.B) {
			sock := b.TempDir() + "/s.sock"
			ln, err := net.Listen("unix", sock)
			if err != nil {
				b.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { (&server.Server{Handler: m}).Serve(ctx, ln); close(done) }()
			defer func() { cancel(); <-done }()
			c, err := net.Dial("unix", sock)
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			r := bufio.NewReader(c)
			r.ReadSlice('\n')
			c.Write([]byte(tc.negotiate))
			r.ReadSlice('\n')
			req := []byte(`{"execute":"query-status"}` + "\n")
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := c.Write(req); err != nil {
					b.Fatal(err)
				}
				line, err := r.ReadSlice('\n')
				if err != nil {
					b.Fatal(err)
				}
				if i == 0 && !json.Valid(line) {
					b.Fatalf("reply %q", line)
				}
			}
		})
	}
}
