package fakepeer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Step is one action of a script. Build steps with the functions of this
// package (Expect, Reply, Emit, Write, Delay, Close, ...); the zero Step
// does nothing.
type Step struct {
	desc string
	run  func(*session) error
}

// String describes the step, as failure messages show it.
func (s Step) String() string {
	if s.desc == "" {
		return "no-op"
	}
	return s.desc
}

// Expect waits for the next request and checks that it is command (sent
// with "execute" or "exec-oob") and satisfies opts. Anything else (another
// command, invalid input, the client closing the connection, nothing
// within Config.ExpectTimeout) is a failure: it is reported and the peer
// closes the connection. The matched request becomes pending: the next
// Reply (or ReplyError, Respond, ...) answers it, echoing its "id".
// Pending requests are answered oldest first, as QEMU answers in-band
// commands.
func Expect(command string, opts ...ExpectOption) Step {
	var e expectation
	for _, o := range opts {
		o(&e)
	}
	desc := fmt.Sprintf("Expect(%q%s)", command, e.desc)
	return Step{desc: desc, run: func(s *session) error {
		it, err := s.read(s.p.cfg.ExpectTimeout)
		if errors.Is(err, errTimeout) {
			return s.failf("command %q did not arrive within %v (%s)", command, s.p.cfg.ExpectTimeout, s.lastSeen())
		}
		if err != nil {
			return err
		}
		switch it.kind {
		case kindEOF:
			return s.failf("the client closed the connection (%v) instead of sending %q", it.err, command)
		case kindGarbage:
			return s.failf("expected command %q, received invalid input %v", command, it)
		}
		req := it.req
		if req.Command != command {
			return s.failf("expected command %q, got %q: %s", command, req.Command, req.Raw)
		}
		if msg := e.check(req); msg != "" {
			return s.failf("command %q: %s; request: %s", command, msg, req.Raw)
		}
		if !e.noReply {
			s.pending = append(s.pending, req)
		}
		return nil
	}}
}

// ExpectOption adds a check to Expect.
type ExpectOption func(*expectation)

type expectation struct {
	desc    string
	args    []byte // compact JSON, nil: not checked
	noArgs  bool
	oob     *bool
	files   int // -1: not checked
	noReply bool
	checks  []func(Request) error
}

// Args checks the request's "arguments" member: it must be equal, as
// JSON, to v marshalled with encoding/json (pass a json.RawMessage for
// literal JSON). Member order and spacing do not matter; a missing
// "arguments" member equals {}.
func Args(v any) ExpectOption {
	b, err := json.Marshal(v)
	return func(e *expectation) {
		if err != nil {
			panic(fmt.Sprintf("fakepeer.Args: %v", err))
		}
		e.args = b
		e.desc += ", Args(" + string(b) + ")"
	}
}

// NoArgs checks that the request has no "arguments" member at all.
func NoArgs() ExpectOption {
	return func(e *expectation) { e.noArgs = true; e.desc += ", NoArgs()" }
}

// OOB checks that the request was sent out of band ("exec-oob").
func OOB() ExpectOption {
	return func(e *expectation) { t := true; e.oob = &t; e.desc += ", OOB()" }
}

// InBand checks that the request was sent in band ("execute").
func InBand() ExpectOption {
	return func(e *expectation) { f := false; e.oob = &f; e.desc += ", InBand()" }
}

// WithID checks that the request carries an "id" member.
func WithID() ExpectOption {
	return Check(func(r Request) error {
		if r.ID == nil {
			return errors.New(`no "id" member`)
		}
		return nil
	})
}

// Files checks that n file descriptors arrived with the request (unix
// sockets only; see Request.Files).
func Files(n int) ExpectOption {
	return func(e *expectation) { e.files = n + 1; e.desc += fmt.Sprintf(", Files(%d)", n) }
}

// NoReply marks the request as one that gets no reply (a command with
// 'success-response': false), so that later replies answer the requests
// after it.
func NoReply() ExpectOption {
	return func(e *expectation) { e.noReply = true; e.desc += ", NoReply()" }
}

// Check runs f on the request; a non-nil error is a failure.
func Check(f func(Request) error) ExpectOption {
	return func(e *expectation) { e.checks = append(e.checks, f); e.desc += ", Check(...)" }
}

func (e *expectation) check(req Request) string {
	if e.oob != nil && req.OOB != *e.oob {
		if req.OOB {
			return "sent with exec-oob, expected execute"
		}
		return "sent with execute, expected exec-oob"
	}
	if e.noArgs && req.Args != nil {
		return fmt.Sprintf("expected no arguments member, got %s", req.Args)
	}
	if e.args != nil {
		got := req.Args
		if got == nil {
			got = json.RawMessage("{}")
		}
		if !jsonEqual(got, e.args) {
			return fmt.Sprintf("arguments differ:\n\tgot:  %s\n\twant: %s", compactJSON(got), e.args)
		}
	}
	if e.files > 0 && len(req.Files) != e.files-1 {
		return fmt.Sprintf("got %d file descriptors, want %d", len(req.Files), e.files-1)
	}
	for _, f := range e.checks {
		if err := f(req); err != nil {
			return err.Error()
		}
	}
	return ""
}

func jsonEqual(a, b []byte) bool {
	decode := func(b []byte) (any, error) {
		d := json.NewDecoder(bytes.NewReader(b))
		d.UseNumber()
		var v any
		err := d.Decode(&v)
		return normalizeNumbers(v), err
	}
	va, err1 := decode(a)
	vb, err2 := decode(b)
	return err1 == nil && err2 == nil && reflect.DeepEqual(va, vb)
}

// normalizeNumbers makes 1, 1.0 and 1e0 compare equal.
func normalizeNumbers(v any) any {
	switch v := v.(type) {
	case json.Number:
		if i, err := strconv.ParseInt(string(v), 10, 64); err == nil {
			return i
		}
		if f, err := strconv.ParseFloat(string(v), 64); err == nil {
			if i := int64(f); float64(i) == f {
				return i
			}
			return f
		}
		return string(v)
	case map[string]any:
		for k, e := range v {
			v[k] = normalizeNumbers(e)
		}
	case []any:
		for i, e := range v {
			v[i] = normalizeNumbers(e)
		}
	}
	return v
}

// ExpectEOF waits for the client to close the connection. A request
// arriving instead is a failure.
func ExpectEOF() Step {
	return Step{desc: "ExpectEOF()", run: func(s *session) error {
		it, err := s.read(s.p.cfg.ExpectTimeout)
		if errors.Is(err, errTimeout) {
			return s.failf("the client did not close the connection within %v", s.p.cfg.ExpectTimeout)
		}
		if err != nil {
			return err
		}
		if it.kind != kindEOF {
			return s.failf("expected the client to close the connection, received %v", it)
		}
		return errStopped
	}}
}

// Reply answers the oldest pending request (see Expect) with a success
// reply whose "return" member is ret marshalled with encoding/json (nil:
// {}), echoing the request's "id". With no request pending the reply
// carries no id.
func Reply(ret any) Step {
	return Respond("", Response{Return: ret})
}

// ReplyError answers the oldest pending request with an error reply.
func ReplyError(class, desc string) Step {
	return Respond("", Response{Error: &Error{Class: class, Desc: desc}})
}

// Respond answers the oldest pending request for command ("" for the
// oldest of any command) with r: its events, its reply, its events
// after. Answering a later command first is how a script lets an
// out-of-band reply overtake in-band ones.
func Respond(command string, r Response) Step {
	desc := "Respond(" + strconv.Quote(command) + ", ...)"
	switch {
	case command == "" && r.Error != nil && len(r.Events)+len(r.EventsAfter) == 0 && !r.NoReply:
		desc = fmt.Sprintf("ReplyError(%q, %q)", r.Error.Class, r.Error.Desc)
	case command == "" && r.Error == nil && len(r.Events)+len(r.EventsAfter) == 0 && !r.NoReply:
		desc = "Reply(" + shortJSON(r.Return) + ")"
	}
	return Step{desc: desc, run: func(s *session) error {
		req, _ := s.popPending(command)
		return s.respond(req, r)
	}}
}

// ReplyTo answers the oldest pending request for command with ret.
func ReplyTo(command string, ret any) Step {
	st := Respond(command, Response{Return: ret})
	st.desc = fmt.Sprintf("ReplyTo(%q, %s)", command, shortJSON(ret))
	return st
}

// ReplyWithID sends a success reply carrying exactly id (marshalled with
// encoding/json) without answering any pending request: a reply nobody
// asked for, or one for an unknown id.
func ReplyWithID(id, ret any) Step {
	return Step{desc: fmt.Sprintf("ReplyWithID(%s, %s)", shortJSON(id), shortJSON(ret)), run: func(s *session) error {
		b, err := json.Marshal(id)
		if err != nil {
			return s.failf("cannot marshal id: %v", err)
		}
		return s.reply(b, ret)
	}}
}

// SyncReply answers the oldest pending guest-sync-delimited (or
// guest-sync) request the way qemu-ga does: a 0xFF byte (for
// guest-sync-delimited), then a reply returning the request's "id"
// argument. Use it with Config.ManualSync.
func SyncReply() Step {
	return Step{desc: "SyncReply()", run: func(s *session) error {
		for _, c := range []string{"guest-sync-delimited", "guest-sync"} {
			if req, ok := s.popPending(c); ok {
				return s.syncReply(req)
			}
		}
		return s.failf("no guest-sync-delimited or guest-sync request is pending")
	}}
}

// Emit sends the event name with data (nil: no data member), timestamped
// now.
func Emit(name string, data any) Step {
	return EmitEvent(Event{Name: name, Data: data})
}

// EmitEvent sends ev.
func EmitEvent(ev Event) Step {
	return Step{desc: fmt.Sprintf("Emit(%q)", ev.Name), run: func(s *session) error {
		return s.event(ev)
	}}
}

// Write sends b exactly as given: garbage, a partial line, stale bytes
// before a resynchronisation, a hand-made reply. It answers no pending
// request: after a hand-made reply, use ReplyTo or Respond with a command
// name for the requests that follow.
func Write(b []byte) Step {
	b = append([]byte(nil), b...)
	return Step{desc: "Write(" + shortQuote(b) + ")", run: func(s *session) error {
		return s.write(b)
	}}
}

// Line sends text followed by the protocol's line terminator ("\r\n"
// for QMP, "\n" for QGA), without checking that it is JSON.
func Line(text string) Step {
	return Step{desc: "Line(" + shortQuote([]byte(text)) + ")", run: func(s *session) error {
		return s.write([]byte(text + s.term))
	}}
}

// LongReply answers the oldest pending request with a valid success reply
// that is exactly n bytes long, terminator excluded (its "return" is a
// string of "x"s). It is streamed without holding n bytes in memory.
// Use it to test a client's maximum message size.
func LongReply(n int) Step {
	return Step{desc: fmt.Sprintf("LongReply(%d)", n), run: func(s *session) error {
		req, _ := s.popPending("")
		prefix := []byte(`{"return": "`)
		suffix := []byte(`"`)
		if req.ID != nil {
			suffix = append(suffix, `, "id": `...)
			suffix = append(suffix, qemuStyle(compactJSON(req.ID))...)
		}
		suffix = append(suffix, '}')
		suffix = append(suffix, s.term...)
		fill := n - len(prefix) - (len(suffix) - len(s.term))
		if err := s.write(prefix); err != nil {
			return err
		}
		chunk := bytes.Repeat([]byte("x"), min(max(fill, 0), 64<<10))
		for fill > 0 {
			c := chunk[:min(fill, len(chunk))]
			if err := s.write(c); err != nil {
				return err
			}
			fill -= len(c)
		}
		return s.write(suffix)
	}}
}

// SplitReply answers the oldest pending request with ret, written in
// pieces separate writes with gap between them, so that the client
// receives partial lines.
func SplitReply(ret any, pieces int, gap time.Duration) Step {
	return Step{desc: fmt.Sprintf("SplitReply(%s, %d, %v)", shortJSON(ret), pieces, gap), run: func(s *session) error {
		req, _ := s.popPending("")
		b, err := replyBytes(req.ID, ret)
		if err != nil {
			return s.failf("cannot marshal the return value: %v", err)
		}
		b = append(qemuStyle(b), s.term...)
		pieces := max(1, min(pieces, len(b)))
		size := (len(b) + pieces - 1) / pieces
		for i := 0; i < len(b); i += size {
			if i > 0 {
				if err := s.sleep(gap); err != nil {
					return err
				}
			}
			if err := s.write(b[i:min(i+size, len(b))]); err != nil {
				return err
			}
		}
		return nil
	}}
}

// PartialReply answers the oldest pending request with the first half of
// a reply returning ret, without a line terminator: follow it with Close
// for an end of stream in the middle of a reply, or with Write for the
// rest.
func PartialReply(ret any) Step {
	return Step{desc: "PartialReply(" + shortJSON(ret) + ")", run: func(s *session) error {
		req, _ := s.popPending("")
		b, err := replyBytes(req.ID, ret)
		if err != nil {
			return s.failf("cannot marshal the return value: %v", err)
		}
		b = qemuStyle(b)
		return s.write(b[:len(b)/2])
	}}
}

// Delay pauses the script for d.
func Delay(d time.Duration) Step {
	return Step{desc: fmt.Sprintf("Delay(%v)", d), run: func(s *session) error {
		return s.sleep(d)
	}}
}

func (s *session) sleep(d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-s.p.stop:
		return errStopped
	}
}

// WaitFor pauses the script until ch is closed (or receives a value),
// for instance until the test has cancelled a call whose late reply the
// script sends next. Closing the peer ends the wait.
func WaitFor(ch <-chan struct{}) Step {
	return Step{desc: "WaitFor(...)", run: func(s *session) error {
		select {
		case <-ch:
			return nil
		case <-s.p.stop:
			return errStopped
		}
	}}
}

// Do runs f in the peer's goroutine: to tell the test that the script
// reached a point (close a channel), or to record something.
func Do(f func()) Step {
	return Step{desc: "Do(...)", run: func(*session) error {
		f()
		return nil
	}}
}

// Close closes the connection once everything written before has been
// delivered: the client reads end of stream. Steps after it do not run.
func Close() Step {
	return Step{desc: "Close()", run: func(s *session) error {
		if err := s.out.flush(); err != nil {
			return err
		}
		s.conn.Close()
		return errStopped
	}}
}

// Flush waits until everything written so far has been delivered to the
// client (read by it, over net.Pipe).
func Flush() Step {
	return Step{desc: "Flush()", run: func(s *session) error {
		return s.out.flush()
	}}
}

func shortJSON(v any) string {
	if v == nil {
		return "nil"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%v", v)
	}
	return shortQuoteStr(string(b), false)
}

func shortQuote(b []byte) string { return shortQuoteStr(string(b), true) }

func shortQuoteStr(s string, quote bool) string {
	const limit = 60
	n := len(s)
	if n > limit {
		s = s[:limit]
	}
	if quote {
		s = strconv.Quote(s)
	}
	if n > limit {
		s += fmt.Sprintf("...(%d bytes)", n)
	}
	return strings.TrimSpace(s)
}
