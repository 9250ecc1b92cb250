package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/qapi-go/qapi/internal/qemujson"
	"github.com/qapi-go/qapi/runtime"
	"github.com/qapi-go/qapi/runtime/codec"
)

// queueLen is how many in-band requests a QMP connection with oob
// enabled queues before it stops reading (QEMU's QMP_REQ_QUEUE_LEN_MAX);
// without oob it runs each request before reading the next, as QEMU does.
const queueLen = 8

// readBufferSize is what a connection reads at once.
const readBufferSize = 4096

// Conn is one client's session.
type Conn struct {
	srv   *Server
	nc    net.Conn
	ctx   context.Context
	stop  context.CancelFunc
	log   *slog.Logger
	proto Protocol
	term  string // line terminator: "\r\n" for QMP, "\n" for QGA

	out outbox

	// Reader state: owned by the goroutine that reads (the serving
	// goroutine, or after a takeover the second reader; see inband.go).
	r     *reader
	buf   []byte
	st    *qemujson.Streamer
	files []*os.File // arrived, not yet attached to a request
	order []int

	scratch replyBuffer // the serving goroutine's

	// With oob enabled (see inband.go).
	inband    atomic.Uint64 // odd while the serving goroutine runs an in-band command; takenOver after a takeover
	queue     chan *Request // in-band requests from the second reader to the serving goroutine
	watchIdle atomic.Bool
	watchWake chan struct{}

	negotiated atomic.Bool // QMP: qmp_capabilities succeeded
	closeAfter atomic.Bool // see CloseAfterReply
	oob        atomic.Bool // QMP: "oob" enabled

	helpers  sync.WaitGroup // the watchdog and the second reader
	closeErr error
	closed   sync.Once
	done     chan struct{}
}

// replyBuffer is the scratch space of one goroutine that answers
// requests: the serving goroutine, or a second reader (see inband.go).
type replyBuffer struct {
	ebuf []byte
	line []byte
}

// encode encodes a result with runtime/codec, the codec generated types
// are written for (their unknown members and [] for nil required lists
// go out as the client's side sends them).
func (b *replyBuffer) encode(v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return []byte("{}"), nil
	case json.RawMessage:
		return v, nil
	case []byte:
		return v, nil
	}
	var err error
	b.ebuf, err = codec.AppendMarshal(b.ebuf[:0], v)
	return b.ebuf, err
}

// Context returns the connection's context: it ends when the connection
// does or the server shuts down.
func (c *Conn) Context() context.Context { return c.ctx }

// RemoteAddr returns the client's address.
func (c *Conn) RemoteAddr() net.Addr { return c.nc.RemoteAddr() }

// Done is closed when the connection has ended.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Close ends the connection.
func (c *Conn) Close() error {
	c.fail(nil)
	return nil
}

// Server returns the server the connection belongs to.
func (c *Conn) Server() *Server { return c.srv }

// CloseAfterReply has the session close the connection once the reply to
// the command running now has been written, as QEMU does after quit.
func (c *Conn) CloseAfterReply() { c.closeAfter.Store(true) }

// Negotiated reports whether a QMP client completed qmp_capabilities
// (always true for QGA, which has no negotiation).
func (c *Conn) Negotiated() bool { return c.proto == QGA || c.negotiated.Load() }

// OOB reports whether the client enabled out-of-band execution.
func (c *Conn) OOB() bool { return c.oob.Load() }

// Emit sends an event to the client, stamped with the current time:
// {"event": name, "data": data, "timestamp": ...}; data nil sends no
// "data" member. Like QEMU, a QMP connection still negotiating
// capabilities gets no events (Emit returns nil). Emit never waits for
// the client: the event is queued, and a client whose queued output
// outgrows Server.MaxPendingOutput is disconnected.
func (c *Conn) Emit(name string, data any) error {
	if !c.Negotiated() {
		return nil
	}
	var d []byte
	if data != nil {
		var err error
		if d, err = json.Marshal(data); err != nil {
			return fmt.Errorf("event %s: %w", name, err)
		}
	}
	return c.out.send(appendEvent(nil, name, d, time.Now(), c.term), false)
}

func (c *Conn) fail(err error) {
	c.closed.Do(func() {
		c.closeErr = err
		c.stop()
		c.nc.Close()
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
			c.log.Debug("connection ended", "remote", c.nc.RemoteAddr(), "err", err)
		}
	})
}

func newConn(srv *Server, ctx context.Context, nc net.Conn) *Conn {
	c := &Conn{srv: srv, nc: nc, proto: srv.Protocol, log: srv.logger(), done: make(chan struct{})}
	c.ctx, c.stop = context.WithCancel(ctx)
	c.term = "\r\n"
	if c.proto == QGA {
		c.term = "\n"
	}
	c.out = outbox{conn: nc, max: srv.maxPendingOutput(), fail: c.fail}
	c.st = qemujson.NewStreamer(qemujson.Limits{TokenSize: srv.MaxMessageSize})
	return c
}

// serve runs the session until the connection ends.
func (c *Conn) serve() {
	defer close(c.done)
	defer c.helpers.Wait()
	defer c.fail(nil)
	stopWatch := context.AfterFunc(c.ctx, func() { c.nc.Close() })
	defer stopWatch()
	if c.proto == QMP {
		if err := c.out.send(c.srv.greeting(c.term), true); err != nil {
			return
		}
	}
	c.r = newReader(c.nc)
	c.buf = make([]byte, readBufferSize)
	if rest, worker := c.readLoop(&reading{c: c, rb: &c.scratch}); worker {
		c.inBand(rest)
	}
}

// reading is what one goroutine that reads keeps for itself.
type reading struct {
	c *Conn
	// rb formats the replies to the requests this goroutine answers.
	rb *replyBuffer
	// second is set on the reader that took over (see inband.go): it
	// queues in-band requests for the serving goroutine.
	second bool
	// pending are the in-band requests of the last read, which the
	// serving goroutine runs itself once the read is parsed (oob only).
	pending []*Request
}

// readLoop reads and answers requests until the connection ends. When a
// takeover made the calling goroutine the in-band worker it returns at
// once, with worker set and the in-band requests it has yet to run.
func (c *Conn) readLoop(rd *reading) (rest []*Request, worker bool) {
	defer func() {
		if worker {
			return // the reader state now belongs to the second reader
		}
		if rd.second {
			close(c.queue)
		}
		closeFiles(c.files)
		c.files = nil
	}()
	for {
		n, files, err := c.r.read(c.buf)
		if len(files) > 0 {
			c.files = append(c.files, files...)
			if len(c.files) > maxPendingFiles {
				// A client sending descriptors without commands to take
				// them: keep the newest.
				closeFiles(c.files[:len(c.files)-maxPendingFiles])
				c.files = append(c.files[:0], c.files[len(c.files)-maxPendingFiles:]...)
			}
		}
		if n > 0 {
			c.st.Feed(c.buf[:n], rd.message)
		}
		for i, req := range rd.pending {
			rd.pending[i] = nil
			if !c.runInline(req, rd.rb) {
				return rd.pending[i+1:], true
			}
		}
		rd.pending = rd.pending[:0]
		if err != nil || c.ctx.Err() != nil {
			c.fail(err)
			return nil, false
		}
	}
}

// maxPendingFiles bounds the descriptors a connection holds for commands
// that have not arrived yet.
const maxPendingFiles = 64

// message handles one text or error from the streamer, on the reader.
func (rd *reading) message(m *qemujson.Message) {
	c := rd.c
	if c.ctx.Err() != nil {
		return
	}
	req := &Request{Context: c.ctx, Conn: c}
	if len(c.files) > 0 {
		req.Files, c.files = c.files, nil
	}
	var desc string
	if m.Err != "" {
		desc = m.Err
	} else {
		desc, c.order = parseRequest(m, c.proto == QMP && c.oob.Load(), req, c.order)
		// QEMU runs a request with "exec-oob" and no "execute" at once,
		// whatever was negotiated (it is refused then).
		if m.IsObject && m.Get("exec-oob") != nil && m.Get("execute") == nil {
			c.dispatch(req, desc, rd.rb)
			return
		}
	}
	if !c.oob.Load() {
		// Without oob QEMU runs each request before it reads the next.
		c.dispatch(req, desc, rd.rb)
		return
	}
	// An in-band request with oob enabled: it runs after what this read
	// returned is parsed (out-of-band requests in it overtake it), on
	// the serving goroutine; it outlives the streamer's buffers.
	req.ID = bytes.Clone(req.ID)
	req.Args = bytes.Clone(req.Args)
	req.refused = desc
	if !rd.second {
		rd.pending = append(rd.pending, req)
		return
	}
	select {
	case c.queue <- req:
	case <-c.ctx.Done():
		closeFiles(req.Files)
	}
}

// inBand runs in-band requests in order on the serving goroutine after a
// takeover: first those it had left, then those the second reader
// queues, until that reader ends.
func (c *Conn) inBand(rest []*Request) {
	for _, req := range rest {
		c.runQueued(req)
	}
	for req := range c.queue {
		c.runQueued(req)
	}
}

func (c *Conn) runQueued(req *Request) {
	if c.ctx.Err() != nil {
		closeFiles(req.Files)
		return
	}
	c.dispatch(req, req.refused, &c.scratch)
}

func closeFiles(files []*os.File) {
	for _, f := range files {
		f.Close()
	}
}

// dispatch answers one request: desc, when set, is why it was refused
// before it could name a command.
func (c *Conn) dispatch(req *Request, desc string, rb *replyBuffer) {
	defer func() {
		closeFiles(req.Files)
		req.Files = nil
	}()
	if desc != "" {
		c.replyError(req, runtime.GenericError, desc, rb)
		return
	}
	if c.proto == QMP && req.Command == "qmp_capabilities" {
		if req.OOB {
			c.replyError(req, runtime.GenericError, "The command qmp_capabilities does not support OOB", rb)
			return
		}
		c.capabilities(req, rb)
		return
	}
	if c.proto == QMP && !c.negotiated.Load() {
		c.replyError(req, runtime.CommandNotFound, "Expecting capabilities negotiation with 'qmp_capabilities'", rb)
		return
	}
	var cmd *Command
	if h := c.srv.Handler; h != nil {
		cmd = h.Lookup(req.Command)
	}
	if cmd == nil {
		if b := c.builtin(req.Command); b != nil {
			cmd = b
		} else {
			c.replyError(req, runtime.CommandNotFound, "The command "+req.Command+" has not been found", rb)
			return
		}
	}
	if req.OOB && !cmd.AllowOOB {
		c.replyError(req, runtime.GenericError, "The command "+req.Command+" does not support OOB", rb)
		return
	}
	result, err := c.run(cmd, req)
	if errors.Is(err, ErrUnimplemented) {
		if b := c.builtin(req.Command); b != nil {
			result, err = c.run(b, req)
		}
	}
	if err != nil {
		class, desc := ErrorReply(req.Command, err)
		c.replyError(req, class, desc, rb)
		return
	}
	if cmd.NoReply {
		return
	}
	res, err := rb.encode(result)
	if err != nil {
		c.log.Error("cannot encode result", "command", req.Command, "err", err)
		c.replyError(req, runtime.GenericError, "cannot encode the result of "+req.Command+": "+err.Error(), rb)
		return
	}
	line := rb.line[:0]
	if c.proto == QGA && req.Command == "guest-sync-delimited" {
		line = append(line, 0xFF)
	}
	line = append(line, `{"return": `...)
	line = qemujson.AppendQEMUStyle(line, res)
	if req.ID != nil {
		line = append(line, `, "id": `...)
		line = qemujson.AppendQEMUStyle(line, req.ID)
	}
	line = append(line, '}')
	line = append(line, c.term...)
	rb.line = line
	c.out.send(line, true)
	if cap(rb.line) > maxKeptOutput {
		rb.line = nil
	}
	if c.closeAfter.Load() {
		c.out.drain()
		c.fail(nil)
	}
}

// run calls the command, turning a panic into an error reply.
func (c *Conn) run(cmd *Command, req *Request) (result any, err error) {
	defer func() {
		if p := recover(); p != nil {
			c.log.Error("command panicked", "command", req.Command, "panic", p, "stack", string(debug.Stack()))
			result, err = nil, Error(runtime.GenericError, "internal error: command "+req.Command+" failed")
		}
	}()
	if cmd.CheckParams && cmd.Run != nil {
		// Commands that take no typed arguments never call Decode.
		if err := checkParams(cmd.Params, req.Args); err != nil {
			return nil, err
		}
	}
	if cmd.Run == nil {
		return nil, ErrUnimplemented
	}
	return cmd.Run(req, req)
}

func argsOrEmpty(a []byte) []byte {
	if len(a) == 0 {
		return []byte("{}")
	}
	return a
}

func (c *Conn) replyError(req *Request, class runtime.ErrorClass, desc string, rb *replyBuffer) {
	c.out.send(c.errorLine(req, class, desc, rb), true)
}

// errorLine formats an error reply as QEMU prints it (the id first: the
// order of QEMU's QDict).
func (c *Conn) errorLine(req *Request, class runtime.ErrorClass, desc string, rb *replyBuffer) []byte {
	line := rb.line[:0]
	line = append(line, '{')
	if req.ID != nil {
		line = append(line, `"id": `...)
		line = qemujson.AppendQEMUStyle(line, req.ID)
		line = append(line, ", "...)
	}
	line = append(line, `"error": {"class": `...)
	line = qemujson.AppendString(line, string(class))
	line = append(line, `, "desc": `...)
	line = qemujson.AppendString(line, desc)
	line = append(line, "}}"...)
	line = append(line, c.term...)
	rb.line = line
	return line
}

// capabilities is qmp_capabilities, which the session answers itself.
func (c *Conn) capabilities(req *Request, rb *replyBuffer) {
	var args struct {
		Enable json.RawMessage `json:"enable"`
	}
	err := checkParams([]Param{{Name: "enable", Optional: true}}, argsOrEmpty(req.Args))
	if err == nil {
		err = req.Decode(&args)
	}
	if err != nil {
		class, desc := ErrorReply(req.Command, err)
		c.replyError(req, class, desc, rb)
		return
	}
	var enable []string
	if len(args.Enable) > 0 && string(args.Enable) != "null" {
		var raw []json.RawMessage
		if err := json.Unmarshal(args.Enable, &raw); err != nil {
			c.replyError(req, runtime.GenericError, "Invalid parameter type for 'enable', expected: array", rb)
			return
		}
		for i, r := range raw {
			var s string
			if json.Unmarshal(r, &s) != nil {
				c.replyError(req, runtime.GenericError, "Invalid parameter type for 'enable["+strconv.Itoa(i)+"]', expected: string", rb)
				return
			}
			if s != "oob" { // QEMU's QMPCapability enum has only "oob"
				c.replyError(req, runtime.GenericError, "Parameter 'null' does not accept value '"+s+"'", rb)
				return
			}
			enable = append(enable, s)
		}
	}
	// QEMU decodes the arguments before it looks at the state, and says
	// 'null' where the member's name belongs (it does, to 11.1).
	if c.negotiated.Load() {
		c.replyError(req, runtime.CommandNotFound, "Capabilities negotiation is already complete, command ignored", rb)
		return
	}
	var unavailable []string
	oob := false
	for _, e := range enable {
		if !c.srv.offers(e) {
			unavailable = append(unavailable, e)
		}
		oob = oob || e == "oob"
	}
	if len(unavailable) > 0 {
		desc := "Capability " + unavailable[0]
		for _, u := range unavailable[1:] {
			desc += ", " + u
		}
		c.replyError(req, runtime.GenericError, desc+" not available", rb)
		return
	}
	if oob {
		c.startWatch()
	}
	c.oob.Store(oob)
	c.negotiated.Store(true)
	line := append(rb.line[:0], `{"return": {}`...)
	if req.ID != nil {
		line = append(line, `, "id": `...)
		line = qemujson.AppendQEMUStyle(line, req.ID)
	}
	line = append(line, '}')
	line = append(line, c.term...)
	rb.line = line
	c.out.send(line, true)
}

// builtin returns the session's own implementation of a command the
// handler lacks: the guest agent's synchronisation commands, which every
// client needs.
func (c *Conn) builtin(name string) *Command {
	if c.proto != QGA {
		return nil
	}
	switch name {
	case "guest-sync", "guest-sync-delimited":
		return &Command{Name: name, CheckParams: true, Params: []Param{{Name: "id"}}, Run: syncCommand}
	}
	return nil
}

func syncCommand(_ context.Context, req *Request) (any, error) {
	var args struct {
		ID int64 `json:"id"`
	}
	if err := req.Decode(&args); err != nil {
		return nil, err
	}
	return args.ID, nil
}
