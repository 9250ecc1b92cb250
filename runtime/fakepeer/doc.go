// Package fakepeer is a scripted QMP and QGA server for tests: it speaks
// the real wire protocol (QEMU's docs/interop/qmp-spec.rst and the guest
// agent's guest-sync-delimited convention) so that code built on a QMP or
// QGA client can be unit-tested without QEMU, including against the
// misbehaviour a real QEMU or a hostile guest can show.
//
// It uses only the standard library and the module's runtime, and may be
// imported by any test.
//
// # Typed fakes
//
// A script speaks JSON. A test that would rather write Go values serves
// a generated Server instead: fill a server.Mux with the Register of the
// generated server package (gen/qmp/qmpserver, gen/qga/qgaserver, or the
// one qapi-gen writes beside your bindings) and a type that embeds its
// UnimplementedServer, and NewServer (net.Pipe) or ListenServer (a unix
// socket, file descriptors included) serves it with package
// runtime/server, which speaks the wire as QEMU does; handlers emit
// typed events with the server package's EmitEvent.
//
//	type vm struct{ qmpserver.UnimplementedServer }
//
//	func (vm) QueryStatus(context.Context, *qmp.QueryStatusArgs) (*qmp.StatusInfo, error) {
//		return &qmp.StatusInfo{Running: true, Status: qmp.RunStateRunning}, nil
//	}
//
//	mux := server.NewMux()
//	qmpserver.Register(mux, vm{})
//	conn, err := qmp.New(ctx, fakepeer.NewServer(t, &server.Server{Handler: mux}))
//
// Scripts remain the tool for misbehaviour (garbage, partial lines,
// replies nobody asked for) and for checking exactly what a client sent.
//
// # A first test
//
//	func TestStatus(t *testing.T) {
//		conn, peer := fakepeer.NewQMP(t,
//			fakepeer.Expect("query-status"),
//			fakepeer.Reply(map[string]any{"status": "running", "running": true}),
//		)
//		// hand conn to the code under test, which greets, negotiates and
//		// calls query-status...
//		_ = peer
//	}
//
// NewQMP returns the client's end of a net.Pipe. The peer sends the QMP
// greeting, answers qmp_capabilities by itself, then follows the script
// step by step. When the test ends the peer is closed (every goroutine
// it started has returned when Close returns) and a script whose steps
// did not all run is reported as a failure.
//
// # Scripts
//
// A script is a list of Steps run in order by one goroutine:
//
//   - Expect waits for a command, optionally checking its arguments
//     (Args, NoArgs), how it was sent (OOB, InBand, WithID), the file
//     descriptors that came with it (Files) or anything else (Check).
//     Something else arriving is a failure with a message that names the
//     step, what was expected and what arrived.
//   - Reply, ReplyError and Respond answer the oldest expected request
//     not answered yet (ReplyTo and Respond can pick a command, to let an
//     out-of-band reply overtake in-band ones), echoing its "id" member
//     when it had one, for "execute" and "exec-oob" alike. ReplyWithID
//     sends a reply with an id nobody used.
//   - Emit and EmitEvent send events; put them before or after a Reply.
//   - Write and Line send raw bytes: garbage, stale data, a partial line.
//     LongReply sends a valid reply of an exact size (to exercise a
//     client's message-size limit), SplitReply one written in pieces,
//     PartialReply half a reply.
//   - Delay, WaitFor and Do pace the script and synchronise it with the
//     test; Close ends the connection (after PartialReply: end of stream
//     in the middle of a reply); ExpectEOF waits for the client to close.
//
// Like QEMU, whose monitor output is buffered, the peer never waits for
// the client to read: what a step writes is queued and delivered in
// order by a writer goroutine while the script goes on (each step's
// bytes with their own Write, so partial lines stay partial). Close
// delivers what is queued first; Flush waits for delivery explicitly.
//
// After the last step the peer keeps reading: with Config.Handler every
// further request is answered by the handler (a free-form mode that
// needs no script at all), without one any request is a failure.
//
// # What the peer does by itself
//
// In QMP mode (lines end in "\r\n", as QEMU's do) the peer sends the
// greeting (Config.Version, Config.Capabilities, or a verbatim
// Config.Greeting), answers qmp_capabilities accepting any subset of the
// offered capabilities (or Config.NegotiationError), and answers like
// QEMU a command sent before negotiation (CommandNotFound), a repeated
// qmp_capabilities, exec-oob without the oob capability and malformed
// requests. Config.ManualNegotiation hands qmp_capabilities to the
// script.
//
// In QGA mode (no greeting, lines end in "\n") a 0xFF byte resets the
// peer's parser and guest-sync-delimited is answered with a 0xFF byte
// followed by a reply returning its id argument, wherever it arrives in
// the script; guest-sync likewise without the 0xFF. Config.SyncByteError
// emulates the QEMU 7.2 agent, which answers a bare 0xFF with a JSON
// parse error line before that. Config.ManualSync hands synchronisation
// to the script (Expect("guest-sync-delimited") then SyncReply, with
// Write to inject stale bytes first).
//
// Requests need no newline: the peer splits its input into JSON texts as
// QEMU's JSON streamer does.
//
// # Transports
//
// NewQMP and NewQGA serve over net.Pipe. New with a Config, then one of
//
//   - Pipe: net.Pipe, returns the client's end;
//   - Listen: a unix socket in a new temporary directory, returns its
//     path (file descriptors sent with SCM_RIGHTS are received and
//     attached to the request they came with, see Request.Files);
//   - Dial: connects to a client that listens, as QEMU does with
//     "-qmp unix:PATH,server=off";
//   - Serve: any net.Conn.
//
// A Peer serves one connection.
//
// # Assertions
//
// Received returns every message the client sent, raw, in order;
// Requests the parsed requests; Commands their names; Enabled the
// capabilities negotiated. Wait waits for the session to end and returns
// the first failure; Err returns it without waiting. Failures go to the
// testing.TB given to New (with tb.Errorf, so the test continues and the
// client sees the connection close) and to Config.Errors when set.
package fakepeer
