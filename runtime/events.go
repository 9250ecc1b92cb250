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
// filter. Its buffer is bounded in events and in bytes: an event that
// does not fit is dropped rather than waited for, and counted (Dropped).
// The channel closes when the subscription or the session is closed.
type Subscription struct {
	hub     *eventHub
	names   []string         // nil: every event
	match   func(Event) bool // internal filter (CallAndWait)
	ch      chan Event
	dropped atomic.Uint64
	closed  bool // guarded by hub.mu

	// The bound in bytes, kept by the reader goroutine alone (dispatch):
	// sizes holds the sizes of the last queued events sent, oldest at
	// first, held their sum. The events still in ch are always the
	// newest len(ch) sent, so the sizes of older ones are dropped from
	// the count before each send: held never counts less than ch holds.
	maxBytes int
	sizes    []int
	first    int
	queued   int
	held     int
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

// eventSize is what an event counts against a buffer's bound in bytes.
func eventSize(ev Event) int { return len(ev.Name) + len(ev.Data) + 64 }

// offer sends ev without blocking if it fits the buffer's bounds.
func (s *Subscription) offer(ev Event) bool {
	for s.queued > len(s.ch) { // received since: no longer held
		s.held -= s.sizes[s.first]
		s.first = (s.first + 1) % len(s.sizes)
		s.queued--
	}
	n := eventSize(ev)
	if s.held+n > s.maxBytes {
		return false
	}
	select {
	case s.ch <- ev:
	default:
		return false
	}
	s.sizes[(s.first+s.queued)%len(s.sizes)] = n
	s.queued++
	s.held += n
	return true
}

type eventHub struct {
	mu     sync.RWMutex
	subs   []*Subscription
	closed bool
	log    *slog.Logger
	proto  string
}

func (h *eventHub) init(log *slog.Logger, proto string) {
	h.log, h.proto = log, proto
}

func (h *eventHub) add(size, maxBytes int, names []string, match func(Event) bool) *Subscription {
	if size < 1 {
		size = 1
	}
	if maxBytes < 1 {
		maxBytes = DefaultEventBufferBytes
	}
	s := &Subscription{hub: h, match: match, ch: make(chan Event, size), maxBytes: maxBytes, sizes: make([]int, size)}
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

// dispatch offers ev to every matching subscription without blocking
// (the reader goroutine calls it).
func (h *eventHub) dispatch(ev Event) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for _, s := range h.subs {
		if !s.wants(ev.Name) || (s.match != nil && !s.match(ev)) {
			continue
		}
		if !s.offer(ev) {
			n := s.dropped.Add(1)
			h.log.Warn(h.proto+": subscriber buffer full, event dropped", "event", ev.Name,
				"bytes", eventSize(ev), "dropped", n)
		}
	}
}

// parseEvent builds an Event from a message's members, copying what it
// keeps.
func parseEvent(name string, f fields) Event {
	ev := Event{Name: name}
	if f.data != nil {
		ev.Data = append(json.RawMessage(nil), f.data...)
	}
	if f.timestamp != nil {
		if sec, usec, ok := parseTimestamp(f.timestamp); ok && sec >= 0 && usec >= 0 {
			ev.Timestamp = time.Unix(sec, usec*1000)
		}
	}
	return ev
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
