package runtime

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
)

type rtLogBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *rtLogBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *rtLogBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestLogging(t *testing.T) {
	var buf rtLogBuf
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	p, c := newRTPeer(t)
	q := p.qmp(c, WithLogger(logger))
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- q.Call(ctx, "slow", nil, nil) }()
	p.expect(`{"execute":"slow"}`)
	cancel()
	<-errc
	go func() { p.expect(`{"execute":"next"}`); p.send(`{"return": 1}` + "\r\n" + `{"return": 2}` + "\r\n") }()
	if err := q.Call(context.Background(), "next", nil, nil); err != nil {
		t.Fatal(err)
	}
	q.Close()
	out := buf.String()
	for _, want := range []string{"level=DEBUG", "qmp: send", "qmp: recv", "reply to a cancelled call dropped"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "level=INFO") || strings.Contains(out, "level=WARN") || strings.Contains(out, "level=ERROR") {
		t.Errorf("log above debug level:\n%s", out)
	}
}
