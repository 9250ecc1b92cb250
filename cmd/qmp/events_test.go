package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a bytes.Buffer safe for a writer and a reader at once.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestEventsQEMU(t *testing.T) {
	p, second := startQEMU(t)
	var out, errs lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(&env{stdin: strings.NewReader(""), stdout: &out, stderr: &errs, getenv: func(string) string { return "" }},
			[]string{"events", "-count", "2", p.Socket, "STOP"})
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	q := dialSecond(t, ctx, second)
	defer q.Close()
	// The tool subscribes after connecting: toggle until it has seen two
	// STOPs (RESUMEs are filtered out).
	var code int
loop:
	for {
		for _, c := range []string{"stop", "cont"} {
			if _, err := q.Execute(ctx, c, nil); err != nil {
				t.Fatal(err)
			}
		}
		select {
		case code = <-done:
			break loop
		case <-ctx.Done():
			t.Fatalf("events did not end; stdout %q stderr %q", out.String(), errs.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d lines, want 2:\n%s", len(lines), out.String())
	}
	for _, l := range lines {
		var ev struct {
			Event     string
			Timestamp struct{ Seconds, Microseconds int64 }
		}
		if err := json.Unmarshal([]byte(l), &ev); err != nil || ev.Event != "STOP" || ev.Timestamp.Seconds < 1e9 {
			t.Errorf("line %q: %+v, %v", l, ev, err)
		}
	}
}
