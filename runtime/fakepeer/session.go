package fakepeer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"time"
)

// session is the state of the one connection a Peer serves. Only the
// session goroutine touches it.
type session struct {
	p          *Peer
	conn       net.Conn
	out        *outbox
	term       string
	idx        int // index of the running step, -1 outside the script
	pending    []Request
	negotiated bool
	oob        bool
	last       []byte // the last message received, for failure messages
}

// errFailed ends a session after a failure that was already reported.
var errFailed = errors.New("fakepeer: failed")

func (s *session) run() {
	s.idx = -1
	p := s.p
	if p.cfg.Protocol == QMP {
		if err := s.greet(); err != nil {
			return
		}
		if !p.cfg.ManualNegotiation {
			if err := s.negotiate(); err != nil {
				return
			}
		} else {
			s.oob = true // the script decides; let exec-oob through
		}
	}
	for i, st := range p.cfg.Script {
		s.idx = i
		p.mu.Lock()
		p.stepsRun = i + 1
		p.mu.Unlock()
		if st.run == nil {
			continue
		}
		if err := st.run(s); err != nil {
			return
		}
	}
	s.idx = -1
	s.tail()
}

// failf reports a failure located at the current step and returns
// errFailed.
func (s *session) failf(format string, args ...any) error {
	where := "after the script"
	switch {
	case s.idx >= 0:
		where = fmt.Sprintf("step %d of %d (%v)", s.idx+1, len(s.p.cfg.Script), s.p.cfg.Script[s.idx])
	case s.p.stepsRunLocked() == 0 && len(s.p.cfg.Script) > 0:
		where = "before the script"
	}
	s.p.fail(where+": "+format, args...)
	return errFailed
}

// write queues b for the client (b must not be modified afterwards); a
// failure to write means the client is gone (or the peer was closed),
// which ends the session quietly.
func (s *session) write(b []byte) error {
	return s.out.put(b)
}

// line sends a compact JSON text in QEMU's style plus the terminator.
func (s *session) line(compact []byte) error {
	b := qemuStyle(compact)
	b = append(b, s.term...)
	return s.write(b)
}

func (s *session) greet() error {
	p := s.p
	if p.cfg.Greeting != nil {
		return s.write(append(append([]byte(nil), p.cfg.Greeting...), s.term...))
	}
	v := DefaultVersion
	if p.cfg.Version != nil {
		v = *p.cfg.Version
	}
	caps := p.cfg.Capabilities
	if caps == nil {
		caps = []string{"oob"}
	}
	pkg, _ := json.Marshal(v.Package)
	cs, err := json.Marshal(caps)
	if err != nil {
		return s.failf("greeting: %v", err)
	}
	b := fmt.Appendf(nil, `{"QMP":{"version":{"qemu":{"micro":%d,"minor":%d,"major":%d},"package":%s},"capabilities":%s}}`,
		v.Micro, v.Minor, v.Major, pkg, cs)
	return s.line(b)
}

// item is one thing read from the client, after the automatic handling.
type item struct {
	kind kind // kindJSON (a request), kindGarbage or kindEOF
	req  Request
	bad  string // kindGarbage: what was wrong
	err  error  // kindEOF: why
}

func (it item) String() string {
	switch it.kind {
	case kindJSON:
		return string(it.req.Raw)
	case kindEOF:
		return fmt.Sprintf("end of stream (%v)", it.err)
	}
	return fmt.Sprintf("%q (%s)", it.req.Raw, it.bad)
}

// read returns the next request, end of stream or invalid input. It
// answers by itself what the peer answers automatically: 0xFF bytes,
// QGA synchronisation, exec-oob without the oob capability, a repeated
// qmp_capabilities. timeout 0 waits until the peer is closed.
func (s *session) read(timeout time.Duration) (item, error) {
	p := s.p
	for {
		m, err := p.next(timeout)
		if err != nil {
			return item{}, err
		}
		switch m.kind {
		case kindEOF:
			return item{kind: kindEOF, err: m.err}, nil
		case kindSync:
			s.last = m.raw
			if p.cfg.SyncByteError {
				if err := s.errorReply(nil, "GenericError", `JSON parse error, stray '\uFFFD'`); err != nil {
					return item{}, err
				}
			}
			continue
		case kindGarbage:
			s.last = m.raw
			if err := s.errorReply(nil, "GenericError", "JSON parse error, invalid input"); err != nil {
				return item{}, err
			}
			return item{kind: kindGarbage, req: Request{Raw: m.raw}, bad: "not a JSON object"}, nil
		}
		s.last = m.raw
		req, bad := parseRequest(m.raw)
		req.Files = m.files
		if bad != "" {
			if err := s.errorReply(req.ID, "GenericError", bad); err != nil {
				return item{}, err
			}
			return item{kind: kindGarbage, req: req, bad: bad}, nil
		}
		p.record(req)
		if p.cfg.Protocol == QGA && !p.cfg.ManualSync &&
			(req.Command == "guest-sync-delimited" || req.Command == "guest-sync") {
			if err := s.syncReply(req); err != nil {
				return item{}, err
			}
			continue
		}
		if p.cfg.Protocol == QMP && !p.cfg.ManualNegotiation && s.negotiated {
			if req.OOB && !s.oob {
				if err := s.errorReply(req.ID, "GenericError", "QMP input member 'exec-oob' is unexpected"); err != nil {
					return item{}, err
				}
				continue
			}
			if req.Command == "qmp_capabilities" {
				if err := s.errorReply(req.ID, "CommandNotFound", "Capabilities negotiation is already complete, command ignored"); err != nil {
					return item{}, err
				}
				continue
			}
		}
		return item{kind: kindJSON, req: req}, nil
	}
}

func (s *session) lastSeen() string {
	if s.last == nil {
		return "nothing received yet"
	}
	b := s.last
	if len(b) > 200 {
		b = b[:200]
	}
	return fmt.Sprintf("last received: %q", b)
}

func (s *session) negotiate() error {
	p := s.p
	for {
		it, err := s.read(p.cfg.ExpectTimeout)
		if errors.Is(err, errTimeout) {
			return s.failf("no qmp_capabilities within %v (%s)", p.cfg.ExpectTimeout, s.lastSeen())
		}
		if err != nil {
			return err
		}
		switch it.kind {
		case kindEOF:
			return errStopped
		case kindGarbage:
			return s.failf("during capabilities negotiation: received invalid input %v", it)
		}
		req := it.req
		if req.Command != "qmp_capabilities" {
			if err := s.errorReply(req.ID, "CommandNotFound", "Expecting capabilities negotiation with 'qmp_capabilities'"); err != nil {
				return err
			}
			continue
		}
		if e := p.cfg.NegotiationError; e != nil {
			if err := s.errorReply(req.ID, e.Class, e.Desc); err != nil {
				return err
			}
			continue
		}
		var args struct {
			Enable []string `json:"enable"`
		}
		if req.Args != nil {
			if err := json.Unmarshal(req.Args, &args); err != nil {
				if err := s.errorReply(req.ID, "GenericError", "Invalid parameter type for 'enable', expected: array"); err != nil {
					return err
				}
				continue
			}
		}
		offered := p.cfg.Capabilities
		if offered == nil {
			offered = []string{"oob"}
		}
		bad := ""
		for _, c := range args.Enable {
			if !slices.Contains(offered, c) {
				bad = c
				break
			}
		}
		if bad != "" {
			if err := s.errorReply(req.ID, "GenericError", fmt.Sprintf("Capability '%s' not available", bad)); err != nil {
				return err
			}
			continue
		}
		p.mu.Lock()
		p.enabled = append([]string{}, args.Enable...)
		p.mu.Unlock()
		s.negotiated = true
		s.oob = slices.Contains(args.Enable, "oob")
		return s.reply(req.ID, nil)
	}
}

// tail serves what arrives after the script: the Handler answers, or
// every request is a failure.
func (s *session) tail() {
	p := s.p
	for {
		it, err := s.read(0)
		if err != nil {
			return
		}
		switch it.kind {
		case kindEOF:
			return
		case kindGarbage:
			s.failf("received invalid input %v", it)
			continue
		}
		req := it.req
		if p.cfg.Handler == nil {
			s.failf("unexpected command %s: the script has ended and there is no Handler", req.Raw)
			if err := s.errorReply(req.ID, "CommandNotFound", "fakepeer: unexpected command "+req.Command); err != nil {
				return
			}
			continue
		}
		if err := s.respond(req, p.cfg.Handler(req.Command, req.Args)); err != nil {
			return
		}
	}
}

// popPending removes and returns the oldest expected request not yet
// answered whose command is cmd ("" for any). ok is false when there is
// none: the reply then carries no id.
func (s *session) popPending(cmd string) (Request, bool) {
	for i, r := range s.pending {
		if cmd == "" || r.Command == cmd {
			s.pending = slices.Delete(s.pending, i, i+1)
			return r, true
		}
	}
	return Request{}, false
}

// replyBytes builds a success reply: {"return": R, "id": ID}.
func replyBytes(id json.RawMessage, ret any) ([]byte, error) {
	r, err := marshal(ret)
	if err != nil {
		return nil, err
	}
	b := append([]byte(`{"return":`), r...)
	if id != nil {
		b = append(b, `,"id":`...)
		b = append(b, compactJSON(id)...)
	}
	return append(b, '}'), nil
}

// errorBytes builds an error reply: {"id": ID, "error": {...}}, the
// member order QEMU uses.
func errorBytes(id json.RawMessage, class, desc string) []byte {
	b := []byte{'{'}
	if id != nil {
		b = append(b, `"id":`...)
		b = append(b, compactJSON(id)...)
		b = append(b, ',')
	}
	e, _ := json.Marshal(Error{Class: class, Desc: desc})
	b = append(b, `"error":`...)
	b = append(b, e...)
	return append(b, '}')
}

func compactJSON(b json.RawMessage) []byte {
	c, err := marshal(b)
	if err != nil {
		return b
	}
	return c
}

func (s *session) reply(id json.RawMessage, ret any) error {
	b, err := replyBytes(id, ret)
	if err != nil {
		return s.failf("cannot marshal the return value: %v", err)
	}
	return s.line(b)
}

func (s *session) errorReply(id json.RawMessage, class, desc string) error {
	return s.line(errorBytes(id, class, desc))
}

// syncReply answers guest-sync-delimited (0xFF, then the reply) or
// guest-sync (the reply), returning the "id" argument.
func (s *session) syncReply(req Request) error {
	var args struct {
		ID *json.Number `json:"id"`
	}
	dec := json.NewDecoder(bytes.NewReader(req.Args))
	dec.UseNumber()
	if req.Args == nil || dec.Decode(&args) != nil || args.ID == nil {
		return s.errorReply(req.ID, "GenericError", "Parameter 'id' is missing")
	}
	if _, err := strconv.ParseInt(string(*args.ID), 10, 64); err != nil {
		return s.errorReply(req.ID, "GenericError", "Invalid parameter type for 'id', expected: integer")
	}
	b, err := replyBytes(req.ID, json.RawMessage(*args.ID))
	if err != nil {
		return err
	}
	b = qemuStyle(b)
	if req.Command == "guest-sync-delimited" {
		b = append([]byte{0xFF}, b...)
	}
	return s.write(append(b, s.term...))
}

func eventBytes(ev Event) ([]byte, error) {
	t := ev.Time
	if t.IsZero() {
		t = time.Now()
	}
	name, err := json.Marshal(ev.Name)
	if err != nil {
		return nil, err
	}
	b := fmt.Appendf(nil, `{"timestamp":{"seconds":%d,"microseconds":%d},"event":%s`,
		t.Unix(), t.Nanosecond()/1000, name)
	if ev.Data != nil {
		d, err := marshal(ev.Data)
		if err != nil {
			return nil, err
		}
		b = append(b, `,"data":`...)
		b = append(b, d...)
	}
	return append(b, '}'), nil
}

func (s *session) event(ev Event) error {
	b, err := eventBytes(ev)
	if err != nil {
		return s.failf("cannot marshal event %s: %v", ev.Name, err)
	}
	return s.line(b)
}

// respond sends a Response to req.
func (s *session) respond(req Request, r Response) error {
	for _, ev := range r.Events {
		if err := s.event(ev); err != nil {
			return err
		}
	}
	if !r.NoReply {
		var err error
		if r.Error != nil {
			err = s.errorReply(req.ID, r.Error.Class, r.Error.Desc)
		} else {
			err = s.reply(req.ID, r.Return)
		}
		if err != nil {
			return err
		}
	}
	for _, ev := range r.EventsAfter {
		if err := s.event(ev); err != nil {
			return err
		}
	}
	return nil
}
