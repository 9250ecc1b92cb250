// Package runtime is the transport generated QMP and QGA bindings run on:
// a client for QEMU's machine protocol (QMP) and its guest agent protocol
// (QGA), with no knowledge of any schema. It uses the standard library
// only.
//
// # Sessions
//
// A *QMP session talks to a QEMU monitor, a *QGA session to a guest agent.
// Both implement Caller, the interface generated code calls, and both
// offer Execute for untyped use:
//
//	q, err := runtime.DialQMP(ctx, "unix", "/run/vm/qmp.sock")
//	if err != nil { ... }
//	defer q.Close()
//	raw, err := q.Execute(ctx, "query-status", nil)
//	var st struct{ Status string }
//	err = q.Call(ctx, "query-status", nil, &st)
//
// Connect with DialQMP / DialQGA (unix or tcp, bounded by a context), run
// a session over any net.Conn with NewQMP / NewQGA, or wait for a QEMU
// that connects to us ("-qmp unix:PATH,server=off") with AcceptQMP /
// AcceptQGA. NewQMP reads the greeting (Greeting: version, package,
// capabilities) and negotiates qmp_capabilities, enabling "oob" when QEMU
// offers it unless WithoutOOB is given; events arriving before the
// negotiation's reply are fine. NewQGA synchronises the channel (below).
//
// Sessions are configured with Options: WithLogger (log/slog, silent by
// default), WithSecretsInLog, WithMaxMessageSize, WithoutOOB,
// WithEventBuffer, WithEventBufferBytes.
//
// # Calls
//
// Any number of goroutines may call a QMP session at once. Requests are
// pipelined, never queued behind another caller's reply: QEMU reads ahead
// when oob is negotiated, so concurrent callers get more throughput than
// sequential ones. Writes are group-committed: a caller appends its
// request to a buffer and, if nobody is writing, writes; requests that
// concurrent callers append meanwhile go out together in the next write,
// so 64 callers cost far fewer than 64 write system calls. Each reply
// reaches exactly its caller. Every call takes a context: cancelling it
// returns ctx.Err() at once, and the reply that arrives later is dropped
// without disturbing later calls. A reply nobody waits for fails the
// session (see Correlation). A context also bounds the write of a
// request to a peer that has stopped reading: a QGA session
// resynchronises before the next call; a QMP request cut short cannot be
// taken back, so a goroutine of its own writes the rest while the caller
// returns ctx.Err().
//
// CallOptions: OutOfBand sends the command with "exec-oob" (for commands
// with allow-oob, once oob is negotiated); NoReply returns once the
// request is written (commands without a success response, such as
// guest-shutdown); WithFiles passes file descriptors with the request as
// SCM_RIGHTS ancillary data over a unix socket, for getfd and add-fd.
//
// # Correlation
//
// QEMU reads a request one byte per main-loop iteration (~2.8 µs of QEMU
// time per byte on the reference machine), so every byte of a request
// costs throughput, and an "id" member costs the most of all. QEMU
// answers in-band commands strictly in the order it reads them; only
// out-of-band replies can overtake. So in-band requests carry no id and
// wait in a FIFO: the n-th in-band reply belongs to the n-th in-band
// request written, and the write order is the FIFO order because both
// are decided under one mutex. Out-of-band requests carry the shortest
// id there is, a decimal integer ("id":1, "id":2, ...), and their
// replies, which QEMU echoes the id into, are matched by id. Events carry
// neither and go to subscribers.
//
// The FIFO holds only if QEMU answers every request exactly once, and
// QEMU answers a request its JSON parser cannot read as one message with
// several id-less error replies: one nested deeper than its limit of
// 1024, one with more than 2^21 tokens or 64 MiB of them, one with a
// 0xFF byte in a string (a 1,100-deep argument value drew 1,032 replies
// from QEMU 7.2). So every request is checked before it is written
// against QEMU's own limits and lexer (the package internal/qemujson,
// taken from QEMU's qobject/json-*.c, unchanged from 7.2 to 10.2):
// nesting, token count and size, strings of valid UTF-8 without the
// code points QEMU refuses, arguments that are a JSON object. A request
// that fails the check fails its own call with a *RequestError and is
// never written. Checking costs a pass over the request (a few
// nanoseconds for query-status); an id on every in-band request would
// cost QEMU 20-35 % more CPU per call (below). And a reply the session
// cannot attribute (a reply while no call waits, an id no call has)
// fails the session with a *ProtocolError: every pending call gets it,
// no caller gets another's reply.
//
// Measured here against QEMU 7.2 (-machine none; a raw sequential loop of
// query-status, BenchmarkRealQMPRequestShape, which reports QEMU's own CPU
// time per call, a figure the machine's load does not disturb):
// {"execute":"query-status"} costs QEMU ~125 µs per call,
// {"execute":"query-status","id":1} ~150-170 µs (+20-35 %), and
// {"execute":"query-status","id":"__qmp#00001"} ~215-235 µs (+70-85 %).
//
// # Reading
//
// Each session has one goroutine of its own, the reader. It reads every
// message from the connection and dispatches it: a reply completes the
// oldest in-band call (or the out-of-band one with its id), an event
// goes to the subscriptions that want it. A caller writes its request
// and waits for its call to complete or its context to end, whichever
// comes first; it never reads. A caller whose context ends abandons its
// call and returns ctx.Err() at once, without touching the connection:
// the reader drops the reply when it comes. The reader is always blocked
// in Read when there is nothing to do, so events reach subscribers as
// they arrive and the end of the connection is noticed at once: every
// pending call fails within microseconds of an EOF. There are no timers
// and no read deadlines. Each reply costs a goroutine switch from the
// reader to the caller (see Performance).
//
// # Guest agent
//
// The agent has no greeting and runs one command at a time, so a QGA
// session serialises calls (a call waiting its turn still honours its
// context). A channel can hold stale bytes: a reply to a command whose
// caller gave up, or a half-written line from a previous client. The
// session resynchronises on connect and before the first call after a
// call was cancelled or timed out or a reply was malformed: it sends
// 0xFF, which resets the agent's parser, then guest-sync-delimited with a
// random id, and discards everything up to the 0xFF the agent answers with
// and the return carrying that id (a QEMU 7.2 agent first answers the
// bare 0xFF with an error line, which is discarded too). Calls with
// NoReply (guest-shutdown, guest-suspend-*) return once written.
//
// # Framing and limits
//
// Messages are newline-delimited JSON objects (QEMU ends lines with
// "\r\n"). The maximum message size (DefaultMaxMessageSize, 16 MiB) is
// enforced while reading: a longer line is never buffered past the limit,
// and the call waiting for it fails as soon as the limit is passed.
// An idle connection holds a 4 KiB read buffer and one goroutine (about
// 20 KiB in all, TestIdleCost); longer messages are assembled in a
// buffer released afterwards, sized after the previous long message, and
// a reply over 64 KiB is handed to its caller (a json.RawMessage result,
// Execute) in that buffer, without a copy. Every message is checked to
// be one JSON object in the pass that finds its top-level members. A
// message that is too long, is not a JSON object, or is malformed fails a
// QMP connection with a *ProtocolError; on a QGA session it fails the
// call in progress and the session resynchronises before the next call
// (the rest of a line over the limit is skipped, up to the budget of a
// synchronisation: a longer line closes the session, so a hostile
// agent's endless line costs bounded CPU). Nothing the peer sends makes
// the client panic.
//
// A request whose arguments cannot be encoded, that QEMU would not read
// as one request (see Correlation), or whose files cannot be passed (a
// closed file, a connection that is not a unix socket) fails its own
// call with a *RequestError; nothing is written and the session goes
// on.
//
// # Failure and close
//
// Close is idempotent and returns after the reader goroutine has exited;
// no goroutine outlives it. When the connection ends, for whatever reason
// (Close, EOF, reset, protocol error), every pending call and every later
// one fails with a *ConnError that wraps the cause and says the
// connection closed, subscriptions end (their channels close), Done() is
// closed and Err() returns the *ConnError.
//
// # Events
//
// Subscribe returns a Subscription for some event names, or all. Each
// subscription has a buffer bounded in events (WithEventBuffer, 64 by
// default) and in bytes (WithEventBufferBytes, 1 MiB by default); the
// reader goroutine never waits for a subscriber: an event that does not
// fit is dropped and counted (Subscription.Dropped), and logged at warn
// level. Events carry their raw data
// and their parsed timestamp. CallAndWait runs a command and waits for the
// event it causes without a race: it subscribes before sending, because
// QEMU sends STOP before stop's reply and DEVICE_DELETED either before or
// after device_del's.
//
// # Performance
//
// Measured against QEMU 7.2 on a 2-core machine shared with other work,
// per sequential query-status call decoded into a struct, compared in
// the same run with a minimal hand-written loop (write the request,
// bufio.ReadSlice the reply, json.Unmarshal) on a second monitor of the
// same QEMU, in blocks of 50 calls taken in turn
// (BenchmarkRealQMPInterleaved, medians of 5 runs): wall time 1.05× the
// raw loop's (1.03-1.10), client CPU 1.19× (1.18-1.25); with a per-call
// context.WithTimeout, 1.06× wall and 1.36× CPU. QEMU spent 350-450 µs
// of its own CPU per call on that machine, the client 80-100 µs.
//
// A Call into a struct allocates twice (the result escaping to an
// interface, and the string it decodes): the runtime allocates nothing,
// and a decoder kept with each pooled call spares encoding/json's four
// allocations per Unmarshal. A per-call context.WithTimeout adds the
// context's own five (7 in all). Eight goroutines calling at once on one
// session get 1.1-1.35× the sequential throughput from QEMU, as much as
// a raw loop keeping 64 requests in flight (BenchmarkRealQMPPipelinedRaw,
// 1.2×): QEMU's own CPU is the bottleneck. A 207 KB reply costs 1.23×
// its size in allocations (BenchmarkSchemaReply). A pending call fails
// 30-45 µs after the peer closes the connection (BenchmarkEOFNoticed).
// An idle session holds 12-17 KiB and one goroutine (TestIdleCost).
//
// # Errors
//
// An error reply is a *CommandError with Class and Desc; errors.Is
// matches it against the ErrorClass constants (GenericError,
// CommandNotFound, DeviceNotActive, DeviceNotFound, KVMMissingCap). A
// *ProtocolError reports a peer breaking the protocol; a *ConnError a
// connection that is gone. They are distinct types.
package runtime
