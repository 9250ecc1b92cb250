package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestEventsQEMU(t *testing.T) {
	p, second := startQEMU(t)
	// Read only after run returned (done).
	var out, errs strings.Builder
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
			t.Fatal("events did not end")
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
