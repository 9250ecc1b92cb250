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
// default, every message at debug level), WithMaxMessageSize,
// WithoutOOB, WithEventBuffer.
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
// without disturbing later calls. A reply nobody waits for is logged and
// dropped. A context also bounds the write of a request to a peer that
// has stopped reading: a QGA session resynchronises before the next call,
// but a QMP request cut short cannot be taken back, so the QMP session
// fails (its *ConnError wraps the context's error).
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
// costs throughput, and an "id" member costs the most of all. But QEMU
// answers in-band commands strictly in the order it reads them; only
// out-of-band replies can overtake. So in-band requests carry no id at
// all and wait in a FIFO: the n-th in-band reply belongs to the n-th
// in-band request written, and the write order is the FIFO order because
// both happen under one writer lock. Out-of-band requests carry the
// shortest id there is, a decimal integer ("id":1, "id":2, ...), and their
// replies, which QEMU echoes the id into, are matched by id. Events carry
// neither and go to subscribers. Requests are encoded compactly into a
// reused buffer: {"execute":"query-status"} with no spaces and no
// "arguments" member when the arguments are absent, null or {}.
//
// Measured here against QEMU 7.2 (-machine none; a raw sequential loop of
// query-status, BenchmarkRealQMPRequestShape, which reports QEMU's own CPU
// time per call, a figure the machine's load does not disturb):
// {"execute":"query-status"} costs QEMU ~125 µs per call,
// {"execute":"query-status","id":1} ~150-170 µs (+20-35 %), and
// {"execute":"query-status","id":"__qmp#00001"} ~215-235 µs (+70-85 %).
// So in-band calls go without ids, the FIFO costing nothing on the wire,
// and the shortest ids are reserved for exec-oob, whose replies can
// overtake.
//
// # Reading
//
// There is no reader goroutine in the way of a reply. Whoever holds the
// connection's read token reads and dispatches messages: a caller
// waiting for its reply takes the token when it is free and reads until
// its own reply has come, handing the replies of other callers to them on
// the way; then it gives the token to the next waiting caller. A
// sequential caller thus reads its reply straight from the socket, as a
// hand-written loop would, without a goroutine switch (which, on a
// multi-core machine, costs a cross-thread wakeup per call). A caller
// whose context ends while it reads is interrupted with a read deadline;
// the partial message stays buffered for the next reader.
//
// Each session has one background goroutine. It reads the greeting (or
// the first sync reply); afterwards, when the token has been left free
// with no call for a while, it takes it and reads, blocked in Read, until
// the next reply, so that events and the end of the connection are
// noticed between calls. It looks 10 ms after the last reply it read,
// then at doubling intervals while callers are busy, up to every 40 ms
// when the session is watched (it has subscriptions, or Done, Err or
// CallAndWait was called) and every second otherwise. An idle session
// thus has no timer and never wakes up, and a busy one has no per-call
// timer or goroutine. (Periodic wakeups are measured to make a whole
// process's socket round trips dearer: by ~40 % at 1 ms, ~10 % at 10 ms.)
// The price is latency between calls: an EOF arriving just after a burst
// of calls is seen when the background goroutine looks (≤ 40 ms on a
// watched session) or at the next call. Events must not wait so: while a
// session has event subscriptions, a caller that read its reply hands the
// token to the background goroutine at once, and that goroutine keeps
// it, blocked in Read, so events reach subscribers as they arrive. The
// replies of a subscribed session then come through the background
// goroutine, a goroutine switch per call (BenchmarkFakePeerVariants/
// subscribed: ~18 µs of client CPU per sequential call against ~14 µs
// unsubscribed); a session without subscriptions pays an atomic load per
// call. In-band replies carry no id,
// so a reply nobody asked for that arrives between two calls cannot be
// told from the next call's reply if the next call reads it first; QEMU
// never sends one.
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
// enforced while reading: a longer line is never buffered past the limit.
// An idle connection holds a 4 KiB read buffer and one goroutine (about
// 20 KiB in all, TestIdleCost); longer messages are
// assembled in a buffer released afterwards, sized after the previous
// long message, and a reply over 64 KiB is handed to its caller (a
// json.RawMessage result, Execute) in that buffer, without a copy.
// Every message is checked to be one JSON object in the pass that finds
// its top-level members. A
// message that is too long, is not a JSON object, or is malformed fails a
// QMP connection with a *ProtocolError; on a QGA session it fails the
// call in progress and the session resynchronises. Nothing the peer sends
// makes the client panic.
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
// subscription has a bounded buffer; the reader goroutine never waits for
// a subscriber: an event that finds the buffer full is dropped and
// counted (Subscription.Dropped), and logged. Events carry their raw data
// and their parsed timestamp. CallAndWait runs a command and waits for the
// event it causes without a race: it subscribes before sending, because
// QEMU sends STOP before stop's reply and DEVICE_DELETED either before or
// after device_del's.
//
// # Performance
//
// Measured on a 2-core machine shared with other work (load 8-20; medians
// of 5-10 interleaved runs of go test -bench, see bench_test.go), per
// sequential query-status call decoded into a struct, against a minimal
// hand-written loop (write the request, bufio.ReadSlice the reply,
// json.Unmarshal) on the same socket and peer:
//
//	peer                      client CPU/call   raw CPU/call   allocs (client/raw)
//	minimal peer process      13.8-14.4 µs      13.6-13.7 µs   6 / 8
//	QEMU 7.2                  25-43 µs          26-42 µs       6 / 8
//	qemu-ga 7.2 (guest-ping)  16.6-21.2 µs      14.5-21.1 µs   0 / 7
//
// Wall time per call is the raw loop's within the machine's noise (best
// of runs: 22.1 vs 23.3 µs with the minimal peer, 144 vs 142 µs with
// QEMU, 38.3 vs 37.9 µs with qemu-ga). Of the 6 allocations of a Call into
// a struct, the runtime makes none: they are encoding/json's and the
// result's. A context that can be cancelled adds context.AfterFunc's
// allocations while the caller reads. 64 goroutines calling at once get
// 5.7× the sequential throughput from the minimal peer (4.2 vs 24 µs per
// call); from QEMU on this loaded machine neither they nor a raw
// pipelined loop gain, as QEMU itself is CPU-bound (~125 µs of its CPU per
// call). An idle session holds about 20 KiB and one goroutine.
//
// # Errors
//
// An error reply is a *CommandError with Class and Desc; errors.Is
// matches it against the ErrorClass constants (GenericError,
// CommandNotFound, DeviceNotActive, DeviceNotFound, KVMMissingCap). A
// *ProtocolError reports a peer breaking the protocol; a *ConnError a
// connection that is gone. They are distinct types.
package runtime
