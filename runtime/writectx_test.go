package runtime

import (
	"bufio"
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/qapi-go/qapi/internal/leakcheck"
)

// A peer that stops reading (a guest whose agent hangs, leaving the
// channel's buffers full) must not hold a caller past its context: the
// write is interrupted, the call returns ctx.Err(), and the session
// resynchronises (0xFF discards the partial request) before the next call.
func TestQGAWriteHonoursContext(t *testing.T) {
	leakcheck.Check(t)
	client, server := net.Pipe()
	defer server.Close()
	r := bufio.NewReader(server)
	readLine := func() string {
		t.Helper()
		l, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("peer read: %v", err)
		}
		return strings.TrimSuffix(l, "\n")
	}
	syncReply := func(l string) {
		t.Helper()
		m := rtSyncRE.FindStringSubmatch(strings.TrimPrefix(l, "\xff"))
		if m == nil {
			t.Fatalf("request %q, want guest-sync-delimited", l)
		}
		if _, err := server.Write([]byte("\xff{\"return\": " + m[1] + "}\n")); err != nil {
			t.Fatal(err)
		}
	}
	type res struct {
		q   *QGA
		err error
	}
	ch := make(chan res, 1)
	go func() {
		q, err := NewQGA(context.Background(), client)
		ch <- res{q, err}
	}()
	syncReply(readLine())
	rs := <-ch
	if rs.err != nil {
		t.Fatal(rs.err)
	}
	q := rs.q
	defer q.Close()

	// The peer reads nothing now.
	tests := []struct {
		name       string
		call       func(ctx context.Context) error
		cancelOnly bool // a context without a deadline, cancelled
	}{
		{"Call", func(ctx context.Context) error { return q.Call(ctx, "guest-ping", nil, nil) }, false},
		{"Call-cancel", func(ctx context.Context) error { return q.Call(ctx, "guest-ping", nil, nil) }, true},
		{"NoReply", func(ctx context.Context) error { return q.Call(ctx, "guest-shutdown", nil, nil, NoReply()) }, false},
		{"Sync", func(ctx context.Context) error { return q.Sync(ctx) }, false},
	}
	for _, tt := range tests {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		want := context.DeadlineExceeded
		if tt.cancelOnly {
			ctx, cancel = context.WithCancel(context.Background())
			time.AfterFunc(50*time.Millisecond, cancel)
			want = context.Canceled
		}
		errc := make(chan error, 1)
		go func() { errc <- tt.call(ctx) }()
		select {
		case err := <-errc:
			if !errors.Is(err, want) {
				t.Errorf("%s: err %v, want %v", tt.name, err, want)
			}
		case <-time.After(5 * time.Second):
			cancel()
			q.Close()
			t.Fatalf("%s: blocked in write past its context", tt.name)
		}
		cancel()
	}
	if err := q.Err(); err != nil {
		t.Fatalf("session failed: %v", err)
	}

	// The peer reads again: the next call resynchronises first.
	errc := make(chan error, 1)
	go func() { errc <- q.Call(context.Background(), "guest-ping", nil, nil) }()
	syncReply(readLine())
	if l := readLine(); l != `{"execute":"guest-ping"}` {
		t.Fatalf("request %q, want guest-ping", l)
	}
	if _, err := server.Write([]byte("{\"return\": {}}\n")); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

// On a QMP session a request cut short cannot be taken back: a writer
// whose context ends while the peer reads nothing returns ctx.Err() at
// once and the requests still go out whole when the peer reads again.
func TestQMPWriteHonoursContext(t *testing.T) {
	leakcheck.Check(t)
	client, server := net.Pipe()
	defer server.Close()
	r := bufio.NewReader(server)
	ch := make(chan error, 1)
	var q *QMP
	go func() {
		var err error
		q, err = NewQMP(context.Background(), client)
		ch <- err
	}()
	if _, err := server.Write([]byte(rtGreeting)); err != nil {
		t.Fatal(err)
	}
	if _, err := r.ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	if _, err := server.Write([]byte("{\"return\": {}}\r\n")); err != nil {
		t.Fatal(err)
	}
	if err := <-ch; err != nil {
		t.Fatal(err)
	}
	defer q.Close()

	// The peer reads nothing now.
	tests := []struct {
		name string
		opts []CallOption
	}{
		{"Call", nil},
		{"NoReply", []CallOption{NoReply()}},
		{"OOB", []CallOption{OutOfBand()}},
	}
	for _, tt := range tests {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		errc := make(chan error, 1)
		go func() { errc <- q.Call(ctx, "query-status", nil, nil, tt.opts...) }()
		select {
		case err := <-errc:
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("%s: err %v, want context.DeadlineExceeded", tt.name, err)
			}
		case <-time.After(5 * time.Second):
			cancel()
			q.Close()
			t.Fatalf("%s: blocked in write past its context", tt.name)
		}
		cancel()
	}
	if err := q.Err(); err != nil {
		t.Fatalf("session failed: %v", err)
	}
	errc := make(chan error, 1)
	var name struct{ Name string }
	go func() { errc <- q.Call(context.Background(), "query-name", nil, &name) }()

	// The peer reads again: every request arrives whole, in order (the
	// NoReply call, which writes alone, gave up before it was queued).
	for _, want := range []string{
		`{"execute":"query-status"}`,
		`{"exec-oob":"query-status","id":1}`,
		`{"execute":"query-name"}`,
	} {
		l, err := r.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.TrimSuffix(l, "\n"); got != want {
			t.Fatalf("request %q, want %q", got, want)
		}
	}
	if _, err := server.Write([]byte("{\"return\": {}}\r\n{\"return\": {\"name\": \"vm\"}}\r\n")); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil || name.Name != "vm" {
		t.Fatalf("query-name: %+v, %v", name, err)
	}
}
