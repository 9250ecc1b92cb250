package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/qapi-go/qapi/runtime"
)

// muxClient is one client of the mux. It frames the client's side itself
// rather than on runtime/server's sessions, which re-encode what they send
// as QEMU would: the mux must hand back a client's id byte for byte, pass
// QEMU's events with QEMU's own timestamps, and log the raw traffic.
//
// Two goroutines serve it while it is idle: its reader (which parses and checks requests, answers what the mux
// answers itself and queues the rest) and its outbox's writer. In-band
// requests run one after another on a worker goroutine that exists only
// while some are queued, so the reader keeps reading (an exec-oob request
// must not wait behind them) and the client's order is kept.
type muxClient struct {
	m        *mux
	id       uint64
	conn     net.Conn
	readonly bool
	out      *outbox

	negotiated atomic.Bool
	oob        bool // set by the reader only
	gone       atomic.Bool

	mu      sync.Mutex
	pending []*muxRequest // in-band requests not yet sent
	working bool          // a worker goroutine runs
	slots   chan struct{} // bounds the requests in flight (queued or running)

	inflight sync.WaitGroup // requests accepted and not yet answered

	done sync.WaitGroup
}

// muxRequest is a checked request ready to forward.
type muxRequest struct {
	command string
	args    json.RawMessage // nil when absent
	id      json.RawMessage // the client's id, exactly as sent; nil when absent
	oob     bool
}

func newMuxClient(m *mux, conn net.Conn, readonly bool) *muxClient {
	return &muxClient{
		m: m, id: m.nextID.Add(1), conn: conn, readonly: readonly,
		out:   newOutbox(m.cfg.outboxLimit()),
		slots: make(chan struct{}, muxMaxInFlight),
	}
}

func (c *muxClient) start() {
	kind := "client"
	if c.readonly {
		kind = "read-only client"
	}
	c.m.cfg.log.note(c.id, fmt.Sprintf("%s connected from %q", kind, c.conn.RemoteAddr().String()))
	c.done.Add(2)
	writerDone := make(chan struct{})
	go func() {
		defer c.done.Done()
		defer close(writerDone)
		var log func([]byte)
		if c.m.cfg.log != nil {
			log = func(b []byte) { c.m.cfg.log.message(c.id, "out", b) }
		}
		c.out.writeLoop(c.conn, log)
	}()
	go func() {
		defer c.done.Done()
		err := c.readLoop()
		if errors.Is(err, io.EOF) {
			// The client finished sending (or died, which looks the
			// same): what it asked for still runs, in order, and its
			// replies go out if it is still there to read them.
			c.inflight.Wait()
		}
		c.gone.Store(true)
		c.m.remove(c)
		c.dropPending()
		c.out.close(nil)
		if errors.Is(err, errBadInput) {
			// Read what the client is still sending until the writer has
			// sent the error reply and shut down its side (it sets a
			// deadline): closing with unread input would reset the
			// connection and lose the reply.
			io.CopyN(io.Discard, c.conn, 64<<20)
		}
		<-writerDone
		c.conn.Close()
		if cause := c.out.cause(); errors.Is(cause, errOutboxFull) {
			err = cause
		}
		c.m.cfg.log.note(c.id, fmt.Sprintf("disconnected: %v", err))
	}()
	c.send(c.m.greeting)
}

func (c *muxClient) send(msg []byte) {
	if !c.out.push(msg) && c.out.failed() {
		// Overflow: close at once, also when the writer is stuck in a
		// write to a client that stopped reading.
		c.conn.Close()
	}
}

// shutdown ends the client when the mux closes: what is queued is still
// written, then the connection closes; a client that neither reads nor
// stops sending gets two seconds (the deadline unblocks the writer and
// the reader), so that the mux's Close always returns.
func (c *muxClient) shutdown() {
	c.gone.Store(true)
	c.out.close(nil)
	c.conn.SetDeadline(time.Now().Add(2 * time.Second))
}

func (c *muxClient) wait() { c.done.Wait() }

// budgetReader fails a read once a request has taken more than its budget
// of bytes, so that json.Decoder never buffers past the bound.
type budgetReader struct {
	r     io.Reader
	left  int
	total int64 // bytes read so far
}

// errBadInput ends a client whose input cannot be read on: malformed
// JSON (a JSON stream cannot be resynchronised) or an oversize request.
var errBadInput = errors.New("bad input")

var errRequestTooLarge = fmt.Errorf("request larger than %d bytes", muxMaxRequest)

func (b *budgetReader) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, errRequestTooLarge
	}
	if len(p) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= n
	b.total += int64(n)
	return n, err
}

// readLoop reads requests until the client goes away or breaks the
// protocol beyond repair (malformed JSON cannot be resynchronised).
func (c *muxClient) readLoop() error {
	br := &budgetReader{r: c.conn, left: muxMaxRequest}
	dec := json.NewDecoder(br)
	for {
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if err != nil {
			var se *json.SyntaxError
			switch {
			case errors.As(err, &se):
				c.send(errReply("GenericError", "JSON parse error, "+se.Error(), nil))
				return fmt.Errorf("%w: %v", errBadInput, err)
			case errors.Is(err, errRequestTooLarge):
				c.send(errReply("GenericError", "JSON parse error, "+err.Error(), nil))
				return fmt.Errorf("%w: %v", errBadInput, err)
			}
			return err
		}
		// Give the next request its full budget, minus what the decoder
		// has already buffered of it.
		br.left = muxMaxRequest - int(br.total-dec.InputOffset())
		c.m.cfg.log.message(c.id, "in", raw)
		c.handle(raw)
	}
}

// handle answers what the mux answers itself (protocol errors,
// negotiation, refusals) and queues the rest for QEMU.
func (c *muxClient) handle(raw json.RawMessage) {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(raw, &members); err != nil || members == nil {
		c.send(errReply("GenericError", "QMP input must be a JSON object", nil))
		return
	}
	req := &muxRequest{id: oneLine(members["id"])}
	for k, v := range members {
		switch k {
		case "execute", "exec-oob":
			var name string
			if json.Unmarshal(v, &name) != nil {
				c.send(errReply("GenericError", fmt.Sprintf("QMP input member '%s' must be a string", k), req.id))
				return
			}
			if req.command != "" {
				c.send(errReply("GenericError", "QMP input member 'exec-oob' is unexpected", req.id))
				return
			}
			req.command, req.oob = name, k == "exec-oob"
		case "arguments":
			if len(v) == 0 || v[0] != '{' {
				c.send(errReply("GenericError", "QMP input member 'arguments' must be an object", req.id))
				return
			}
			req.args = v
		case "id":
		default:
			c.send(errReply("GenericError", fmt.Sprintf("QMP input member '%s' is unexpected", k), req.id))
			return
		}
	}
	switch {
	case req.command == "":
		c.send(errReply("GenericError", "QMP input lacks member 'execute'", req.id))
		return
	case req.oob && !c.oob:
		c.send(errReply("GenericError", "QMP input member 'exec-oob' is unexpected", req.id))
		return
	case req.oob && req.id == nil:
		c.send(errReply("GenericError", "Out-of-band execution requires 'id'", req.id))
		return
	case req.command == "qmp_capabilities":
		c.negotiate(req)
		return
	case !c.negotiated.Load():
		c.send(errReply("CommandNotFound", "Expecting capabilities negotiation with 'qmp_capabilities'", req.id))
		return
	case c.readonly && !c.m.cfg.allow.allows(req.command):
		c.send(errReply("GenericError", fmt.Sprintf("qmp mux: command '%s' is not allowed on the read-only socket", req.command), req.id))
		return
	}
	c.slots <- struct{}{} // waits (stops reading) while the client has too many in flight
	c.inflight.Add(1)
	if req.oob {
		go func() {
			defer c.inflight.Done()
			c.forward(req)
			<-c.slots
		}()
		return
	}
	c.mu.Lock()
	c.pending = append(c.pending, req)
	if !c.working {
		c.working = true
		go c.work()
	}
	c.mu.Unlock()
}

func (c *muxClient) negotiate(req *muxRequest) {
	if c.negotiated.Load() {
		c.send(errReply("CommandNotFound", "Capabilities negotiation is already complete, command ignored", req.id))
		return
	}
	var args struct {
		Enable []string `json:"enable"`
	}
	if req.args != nil {
		if err := json.Unmarshal(req.args, &args); err != nil {
			c.send(errReply("GenericError", "Invalid parameter type for 'enable', expected: array", req.id))
			return
		}
	}
	oob := false
	for _, cap := range args.Enable {
		if cap != "oob" || !c.m.oob {
			c.send(errReply("GenericError", fmt.Sprintf("Capability '%s' not available", cap), req.id))
			return
		}
		oob = true
	}
	c.oob = oob
	c.send(appendID([]byte(`{"return":{}`), req.id))
	c.negotiated.Store(true)
}

// work runs the client's queued in-band requests in order, then exits.
func (c *muxClient) work() {
	for {
		c.mu.Lock()
		if len(c.pending) == 0 {
			c.working = false
			c.mu.Unlock()
			return
		}
		req := c.pending[0]
		c.pending[0] = nil
		c.pending = c.pending[1:]
		c.mu.Unlock()
		if !c.out.failed() {
			c.forward(req)
		}
		<-c.slots
		c.inflight.Done()
	}
}

// dropPending forgets the in-band requests of a client that left and that
// were not sent yet: they would only cost QEMU time.
func (c *muxClient) dropPending() {
	c.mu.Lock()
	n := len(c.pending)
	c.pending = nil
	c.mu.Unlock()
	for i := 0; i < n; i++ {
		<-c.slots
		c.inflight.Done()
	}
}

// forward runs req on QEMU and sends the reply with the client's id. The
// upstream call is never cancelled: a request cut short while being
// written would break the monitor for everyone. A reply for a client that
// has gone is dropped.
func (c *muxClient) forward(req *muxRequest) {
	var opts []runtime.CallOption
	if req.oob {
		opts = append(opts, runtime.OutOfBand())
	}
	var args any
	if req.args != nil {
		args = req.args
	}
	res, err := c.m.up.Execute(context.Background(), req.command, args, opts...)
	c.m.flushEvents()
	if c.gone.Load() {
		return
	}
	if err != nil {
		var ce *runtime.ConnError
		if errors.As(err, &ce) {
			return // QEMU is gone: the mux closes every client
		}
		c.send(upstreamError(err, req.id))
		return
	}
	if res == nil {
		res = json.RawMessage(`{}`)
	}
	res = oneLine(res)
	b := make([]byte, 0, len(res)+len(req.id)+20)
	b = append(b, `{"return":`...)
	b = append(b, res...)
	c.send(appendID(b, req.id))
}

// oneLine keeps a JSON value on one line, as messages are lines: a value
// with line breaks (white space between tokens: a client's id written
// over lines, a reply from a monitor with pretty=on) is compacted, which
// keeps it the same JSON value. Anything else goes out byte for byte.
func oneLine(v json.RawMessage) json.RawMessage {
	if !bytes.ContainsAny(v, "\r\n") {
		return v
	}
	var b bytes.Buffer
	if json.Compact(&b, v) != nil {
		return v
	}
	return b.Bytes()
}
