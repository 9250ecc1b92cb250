package runtime

import (
	"encoding/json"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Subscription receives the events of a QMP session that pass its
// filter. Its buffer is bounded: when it is full the reader goroutine
// drops the event rather than wait, and counts it (Dropped). The channel
// closes when the subscription or the session is closed.
type Subscription struct {
	hub     *eventHub
	names   []string         // nil: every event
	match   func(Event) bool // internal filter (CallAndWait)
	ch      chan Event
	dropped atomic.Uint64
	closed  bool // guarded by hub.mu
}

// Events returns the channel the events arrive on. Event.Data is shared
// between subscribers: treat it as read-only.
func (s *Subscription) Events() <-chan Event { return s.ch }

// Dropped is the number of events that found the buffer full and were
// discarded.
func (s *Subscription) Dropped() uint64 { return s.dropped.Load() }

// Close ends the subscription and closes its channel. It is idempotent
// and safe to call concurrently with delivery.
func (s *Subscription) Close() { s.hub.remove(s) }

func (s *Subscription) wants(name string) bool {
	if s.names == nil {
		return true
	}
	for _, n := range s.names {
		if n == name {
			return true
		}
	}
	return false
}

type eventHub struct {
	mu     sync.RWMutex
	subs   []*Subscription
	closed bool
	log    *slog.Logger
	count  *atomic.Int32 // the session's count of subscriptions
}

func (h *eventHub) add(size int, names []string, match func(Event) bool) *Subscription {
	if size < 1 {
		size = 1
	}
	s := &Subscription{hub: h, match: match, ch: make(chan Event, size)}
	if len(names) > 0 {
		s.names = append([]string(nil), names...)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		s.closed = true
		close(s.ch)
		return s
	}
	h.subs = append(h.subs, s)
	h.count.Add(1)
	return s
}

func (h *eventHub) remove(s *Subscription) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	close(s.ch)
	for i, x := range h.subs {
		if x == s {
			h.subs = append(h.subs[:i], h.subs[i+1:]...)
			h.subs = h.subs[:len(h.subs):len(h.subs)] // never alias a dropped slot
			h.count.Add(-1)
			break
		}
	}
}

// closeAll ends every subscription (the session is gone).
func (h *eventHub) closeAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for _, s := range h.subs {
		s.closed = true
		close(s.ch)
	}
	h.subs = nil
	h.count.Store(0)
}

// wanted reports whether any subscription might take an event named name.
func (h *eventHub) wanted(name string) bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for _, s := range h.subs {
		if s.wants(name) {
			return true
		}
	}
	return false
}

// dispatch offers ev to every matching subscription without blocking.
func (h *eventHub) dispatch(ev Event) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for _, s := range h.subs {
		if !s.wants(ev.Name) || (s.match != nil && !s.match(ev)) {
			continue
		}
		select {
		case s.ch <- ev:
		default:
			n := s.dropped.Add(1)
			h.log.Debug("qmp: subscriber buffer full, event dropped", "event", ev.Name, "dropped", n)
		}
	}
}

// parseEvent builds an Event from a message's members, copying what it
// keeps.
func parseEvent(f fields) (Event, bool) {
	name, ok := unquote(f.event)
	if !ok {
		return Event{}, false
	}
	ev := Event{Name: name}
	if f.data != nil {
		ev.Data = append(json.RawMessage(nil), f.data...)
	}
	if f.timestamp != nil {
		if sec, usec, ok := parseTimestamp(f.timestamp); ok && sec >= 0 && usec >= 0 {
			ev.Timestamp = time.Unix(sec, usec*1000)
		}
	}
	return ev, true
}

// parseTimestamp reads QEMU's {"seconds": S, "microseconds": U} (a valid
// JSON value) without allocating.
func parseTimestamp(v []byte) (sec, usec int64, ok bool) {
	if len(v) == 0 || v[0] != '{' {
		return 0, 0, false
	}
	var haveS, haveU bool
	i := 1
	for {
		i = skipSpace(v, i)
		if i >= len(v) || v[i] == '}' {
			return sec, usec, haveS && haveU
		}
		if v[i] == ',' {
			i = skipSpace(v, i+1)
		}
		ks := i
		i = skipString(v, i)
		if i-1 <= ks {
			return 0, 0, false
		}
		key := v[ks+1 : i-1]
		i = skipSpace(v, i)
		i = skipSpace(v, i+1)
		vs := i
		i = skipValue(v, i)
		n, err := strconv.ParseInt(string(v[vs:i]), 10, 64)
		switch string(key) {
		case "seconds":
			sec, haveS = n, err == nil
		case "microseconds":
			usec, haveU = n, err == nil
		}
	}
}
