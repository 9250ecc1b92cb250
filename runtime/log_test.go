package runtime

import (
	"bytes"
	"context"
	"encoding/json"
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

// TestLoggingRedaction: messages are logged under "json" (not slog's
// "msg"), QGA messages say qga, values that may carry secrets or bulk
// data are replaced by their length unless WithSecretsInLog is given, and
// a dropped event is a warning.
func TestLoggingRedaction(t *testing.T) {
	secrets := []string{"hunter2", "topsecret", "c2VjcmV0ZGF0YQ==", "b3V0cHV0"}
	for _, optIn := range []bool{false, true} {
		var buf rtLogBuf
		logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
		opts := []Option{WithLogger(logger)}
		if optIn {
			opts = append(opts, WithSecretsInLog())
		}
		p, c := newRTPeer(t)
		q := p.qmp(c, opts...)
		sub := q.SubscribeBuffer(1, "EV")
		go func() {
			p.expect(`{"execute":"set_password","arguments":{"protocol":"vnc","password":"hunter2"}}`)
			p.send(`{"event": "EV"}` + "\r\n" + `{"event": "EV"}` + "\r\n" + `{"return": {}}` + "\r\n")
			p.expect(`{"execute":"object-add","arguments":{"qom-type":"secret","id":"s0","data":"topsecret"}}`)
			p.send(`{"return": {}}` + "\r\n")
		}()
		if err := q.Call(context.Background(), "set_password", json.RawMessage(`{"protocol":"vnc","password":"hunter2"}`), nil); err != nil {
			t.Fatal(err)
		}
		if err := q.Call(context.Background(), "object-add", json.RawMessage(`{"qom-type":"secret","id":"s0","data":"topsecret"}`), nil); err != nil {
			t.Fatal(err)
		}
		sub.Close()
		q.Close()

		gp, gc := newRTPeer(t)
		g := gp.qga(gc, opts...)
		go func() {
			gp.expect(`{"execute":"guest-file-write","arguments":{"handle":1,"buf-b64":"c2VjcmV0ZGF0YQ=="}}`)
			gp.send(`{"return": {"count": 10, "eof": false}}` + "\n")
			gp.expect(`{"execute":"guest-exec-status","arguments":{"pid":1}}`)
			gp.send(`{"return": {"exited": true, "out-data": "b3V0cHV0"}}` + "\n")
		}()
		if err := g.Call(context.Background(), "guest-file-write", json.RawMessage(`{"handle":1,"buf-b64":"c2VjcmV0ZGF0YQ=="}`), nil); err != nil {
			t.Fatal(err)
		}
		if err := g.Call(context.Background(), "guest-exec-status", map[string]int{"pid": 1}, nil); err != nil {
			t.Fatal(err)
		}
		g.Close()

		out := buf.String()
		for _, want := range []string{`msg="qmp: send" json=`, `msg="qmp: recv" json=`, `msg="qga: send" json=`, `msg="qga: recv" json=`,
			"level=WARN msg=\"qmp: subscriber buffer full, event dropped\" event=EV"} {
			if !strings.Contains(out, want) {
				t.Errorf("optIn=%v: log lacks %q:\n%s", optIn, want, out)
			}
		}
		if strings.Contains(out, `msg="qmp: send" json=`) && strings.Contains(out, "qmp: send\" json=\"{\\\"execute\\\":\\\"guest") {
			t.Errorf("a QGA message is labelled qmp:\n%s", out)
		}
		for _, s := range secrets {
			if got := strings.Contains(out, s); got != optIn {
				t.Errorf("optIn=%v: log contains %q: %v\n%s", optIn, s, got, out)
			}
		}
		if !optIn && !strings.Contains(out, "redacted: 7 bytes") {
			t.Errorf("redacted values do not say their length:\n%s", out)
		}
	}
}
