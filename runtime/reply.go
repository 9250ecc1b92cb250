package runtime

import (
	"bytes"
	"encoding/json"
	"sync"
	"sync/atomic"
)

// call is one request waiting for its reply. Exactly one party completes
// it, the one that takes it out of the session's pending set (the reader
// with its reply, or the failure of the session): it sets the outcome and
// then sends on ch, and never touches the call again. The caller waits
// for ch or its context; it returns a call to the pool only after
// receiving from ch, so a call whose caller gave up is never reused and
// the reader's late completion lands in a call nobody will read.
type call struct {
	ch        chan struct{} // receives one value once the outcome is set
	abandoned atomic.Bool   // the caller gave up: the reply is dropped
	buf       []byte        // the reply message (owned copy)
	f         fields        // spans into buf
	err       error         // connection or protocol error instead of a reply
	class     string        // an error reply's class and description
	desc      string

	// A decoder kept with the pooled call decodes small return values
	// (see decode).
	rd  bytes.Reader
	dec *json.Decoder
}

var callPool = sync.Pool{New: func() any { return &call{ch: make(chan struct{}, 1)} }}

func getCall() *call {
	c := callPool.Get().(*call)
	c.abandoned.Store(false)
	c.err = nil
	c.f = fields{}
	return c
}

// putCall returns a call its caller received from ch to the pool.
func putCall(c *call) {
	if cap(c.buf) > keepLineBuffer {
		c.buf = nil
	}
	callPool.Put(c)
}

// complete hands the outcome to the caller (see call).
func (c *call) complete() { c.ch <- struct{}{} }

// failWith completes c with err instead of a reply.
func (c *call) failWith(err error) {
	c.err = err
	c.complete()
}

// setReply stores msg in the call and re-derives the spans. owned, when
// not nil, is a buffer holding msg that the reader handed over
// (frameReader.take): the call keeps it instead of a copy. Otherwise msg
// is copied (the reader's buffer is reused).
func (c *call) setReply(msg []byte, f fields, class, desc string, owned []byte) {
	c.class, c.desc = class, desc
	if owned != nil {
		c.buf = owned
		c.f = fields{ret: f.ret, err: f.err, id: f.id}
		return
	}
	c.buf = append(c.buf[:0], msg...)
	base := msg
	c.f = fields{
		ret: rebase(c.buf, base, f.ret),
		err: rebase(c.buf, base, f.err),
		id:  rebase(c.buf, base, f.id),
	}
}

func rebase(dst, base, span []byte) []byte {
	if span == nil {
		return nil
	}
	off := cap(base) - cap(span)
	return dst[off : off+len(span)]
}

// result turns a completed call into the caller's outcome.
func (c *call) result(command string, result any) error {
	if c.err != nil {
		return c.err
	}
	if c.f.err != nil {
		return &CommandError{Command: command, Class: ErrorClass(c.class), Desc: c.desc}
	}
	if result == nil {
		return nil
	}
	if c.f.ret == nil {
		return protoErr("reply has neither return nor error", c.buf, nil)
	}
	if raw, ok := result.(*json.RawMessage); ok {
		if r := c.handOver(); r != nil {
			*raw = r
		} else {
			*raw = append((*raw)[:0], c.f.ret...)
		}
		return nil
	}
	return c.decode(c.f.ret, result)
}

// smallValue is the largest return value decode reads with the call's
// own decoder; a larger one is left to json.Unmarshal, so the decoder's
// buffer (a copy of the value) stays small.
const smallValue = 4 << 10

// decode is json.Unmarshal(v, result) for v, one valid JSON value. A
// json.Decoder reused across calls keeps its decoding state and scanner:
// decoding query-status's return into a struct then allocates once (the
// string) instead of five times, which is most of what a call
// allocates. The decoder is dropped after any error, so no state of a
// failed decode carries over.
func (c *call) decode(v []byte, result any) error {
	if len(v) > smallValue {
		return json.Unmarshal(v, result)
	}
	if c.dec == nil {
		c.dec = json.NewDecoder(&c.rd)
	}
	c.rd.Reset(v)
	err := c.dec.Decode(result)
	c.rd.Reset(nil)
	if err != nil {
		c.dec = nil
	}
	return err
}

// raw returns the reply's return value.
func (c *call) raw(command string) (json.RawMessage, error) {
	if c.err != nil || c.f.err != nil || c.f.ret == nil {
		return nil, c.result(command, struct{}{})
	}
	if r := c.handOver(); r != nil {
		return r, nil
	}
	return append(json.RawMessage(nil), c.f.ret...), nil
}

// handOver gives the return value away without copying it when the
// call's buffer is one putCall would drop anyway (a large reply) and the
// value fills at least half of it: the call forgets the buffer. It
// returns nil otherwise (the value is copied).
func (c *call) handOver() json.RawMessage {
	if cap(c.buf) <= keepLineBuffer || 2*len(c.f.ret) < cap(c.buf) {
		return nil
	}
	r := c.f.ret[:len(c.f.ret):len(c.f.ret)]
	c.buf, c.f = nil, fields{}
	return r
}

// checkReply validates a reply's shape: a "return" member or an "error"
// object with a string class, and returns the error's class and
// description.
func checkReply(msg []byte, f fields) (class, desc string, err error) {
	if f.err == nil {
		return "", "", nil
	}
	var e struct {
		Class *string `json:"class"`
		Desc  string  `json:"desc"`
	}
	if f.err[0] != '{' || json.Unmarshal(f.err, &e) != nil || e.Class == nil {
		return "", "", protoErr("malformed error reply", msg, nil)
	}
	return *e.Class, e.Desc, nil
}

// ring is the FIFO of in-band calls waiting for their replies, in the
// order their requests were written; it reuses its storage.
type ring struct {
	buf        []*call
	head, size int
}

func (r *ring) push(c *call) {
	if r.size == len(r.buf) {
		n := make([]*call, max(8, 2*len(r.buf)))
		for i := 0; i < r.size; i++ {
			n[i] = r.buf[(r.head+i)%len(r.buf)]
		}
		r.buf, r.head = n, 0
	}
	r.buf[(r.head+r.size)%len(r.buf)] = c
	r.size++
}

func (r *ring) pop() *call {
	if r.size == 0 {
		return nil
	}
	c := r.buf[r.head]
	r.buf[r.head] = nil
	r.head = (r.head + 1) % len(r.buf)
	r.size--
	return c
}

// removeLast takes c out of the ring if it is the newest entry (a call
// whose request could not be written after all) and reports whether it
// was.
func (r *ring) removeLast(c *call) bool {
	if r.size == 0 {
		return false
	}
	i := (r.head + r.size - 1) % len(r.buf)
	if r.buf[i] != c {
		return false
	}
	r.buf[i] = nil
	r.size--
	return true
}

// parseID reads the decimal id the session put in an exec-oob request.
func parseID(b []byte) (uint64, bool) {
	if len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	return n, true
}
