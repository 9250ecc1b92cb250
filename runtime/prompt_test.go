package runtime

import (
	"context"
	"slices"
	"testing"
	"time"
)

// An event that arrives just after a burst of calls on a subscribed
// session reaches the subscriber at once: the reader goroutine is always
// reading (the design this replaced looked every 10-40 ms).
func TestEventPromptAfterCalls(t *testing.T) {
	p, c := newRTPeer(t)
	q := p.qmp(c)
	sub := q.Subscribe("TICK")
	defer sub.Close()
	var lat []time.Duration
	for range 7 {
		for range 20 {
			errc := make(chan error, 1)
			go func() { errc <- q.Call(context.Background(), "query-status", nil, nil) }()
			p.expect(`{"execute":"query-status"}`)
			p.send(rtStatusReply)
			if err := <-errc; err != nil {
				t.Fatal(err)
			}
		}
		start := time.Now()
		p.send(`{"event": "TICK", "timestamp": {"seconds": 1, "microseconds": 2}}` + "\r\n")
		select {
		case <-sub.Events():
		case <-time.After(5 * time.Second):
			t.Fatal("event not delivered")
		}
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	if med := lat[len(lat)/2]; med >= 5*time.Millisecond {
		t.Errorf("median event latency after calls %v (all: %v), want well under 5ms", med, lat)
	}
}
