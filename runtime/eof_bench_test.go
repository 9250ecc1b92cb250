package runtime

import (
	"bufio"
	"context"
	"net"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkEOFNoticed: how long after the peer closes a unix socket a
// pending call fails ("eof-ns/op": from the peer's Close to the call's
// return). The reader is always blocked in Read, so this is a wakeup,
// not a polling interval (the design before looked every 10-40 ms).
func BenchmarkEOFNoticed(b *testing.B) {
	sock := filepath.Join(b.TempDir(), "s")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	var total time.Duration
	for b.Loop() {
		type result struct {
			q   *QMP
			err error
		}
		ch := make(chan result, 1)
		go func() {
			q, err := DialQMP(context.Background(), "unix", sock)
			ch <- result{q, err}
		}()
		c, err := ln.Accept()
		if err != nil {
			b.Fatal(err)
		}
		r := bufio.NewReader(c)
		c.Write([]byte(rtGreeting))
		r.ReadSlice('\n')
		c.Write([]byte(`{"return": {}}` + "\r\n"))
		res := <-ch
		if res.err != nil {
			b.Fatal(res.err)
		}
		errc := make(chan error, 1)
		go func() { errc <- res.q.Call(context.Background(), "query-status", nil, nil) }()
		r.ReadSlice('\n') // the request is pending
		start := time.Now()
		c.Close()
		if err := <-errc; err == nil {
			b.Fatal("call succeeded after EOF")
		}
		total += time.Since(start)
		res.q.Close()
	}
	b.ReportMetric(float64(total.Nanoseconds())/float64(b.N), "eof-ns/op")
}
