// Package server is the other side of the wire: QMP and QGA server
// sessions that speak as QEMU's monitor and guest agent do, for typed
// fakes in tests, guest agents written in Go, and programs that sit
// between a client and QEMU. The generated server packages beside the
// bindings (gen/qmp/qmpserver, gen/qga/qgaserver, or your own) type it:
// their Server interface, UnimplementedServer, Register and EmitEvent are
// built on this package.
//
//	type vm struct {
//		qmpserver.UnimplementedServer
//	}
//
//	func (vm) QueryStatus(ctx context.Context, _ *qmp.QueryStatusArgs) (*qmp.StatusInfo, error) {
//		return &qmp.StatusInfo{Running: true, Status: qmp.RunStateRunning}, nil
//	}
//
//	mux := server.NewMux()
//	qmpserver.Register(mux, vm{})
//	srv := &server.Server{Handler: mux}
//	err := srv.ListenAndServe(ctx, "unix", "/run/vm/qmp.sock") // until ctx ends
//
// # The wire, as QEMU speaks it
//
// A QMP session sends the greeting (Server.Version, Server.Capabilities:
// "oob" unless told otherwise) and answers every command but
// qmp_capabilities with CommandNotFound ("Expecting capabilities
// negotiation with 'qmp_capabilities'") until the client negotiated.
// With "oob" enabled, requests sent with "exec-oob" run at once on the
// connection's reader and their replies may overtake in-band ones, which
// run in order: the session goes on reading (and running out-of-band
// requests) while an in-band command blocks, with at most 8 in-band
// requests queued before it stops reading (QEMU's queue). (It runs
// in-band commands on the reading goroutine and hands reading to a
// second goroutine only when one runs for more than 10 to 20 ms, so an
// out-of-band request waits at most that long behind a blocking one.)
// Without oob each request runs before the next is read. Ids are echoed as QEMU echoes them (any JSON
// value). A QGA session sends no greeting, runs one command at a time,
// and answers guest-sync-delimited behind a 0xFF byte; it implements
// guest-sync and guest-sync-delimited itself when the Handler does not.
//
// Requests are framed as QEMU's JSON streamer frames them (package
// internal/qemujson is a port of it): they need no newline, may share a
// line or span several, may use QEMU's extensions (single-quoted
// strings), and everything QEMU refuses is refused with QEMU's words:
// "JSON parse error, stray '...'" for a byte that cannot start a token
// (a 0xFF byte included, which therefore both resets the parser and
// earns an error line, as with QEMU and qemu-ga), duplicate keys,
// QEMU's limits on size (64 MiB of tokens, Server.MaxMessageSize),
// tokens (2 Mi) and nesting (1024), and the request checks of QEMU's
// qmp_dispatch ("QMP input member 'x' is unexpected", ...). Replies and
// events are printed as QEMU prints them: ": " and ", " separators,
// ASCII with upper-case \uXXXX escapes, members of the envelope in QEMU's
// order, lines ending in "\r\n" (QMP) or "\n" (QGA). Tests hold these to
// transcripts of QEMU 7.2 and 11.1.
//
// # Handlers
//
// A Command's Run gets the *Request, which is also its context: it ends
// when the connection does or the server shuts down. A handler's error
// is answered with its class when it is or wraps a *runtime.CommandError
// (see Error), with CommandNotFound for ErrUnimplemented, and as a
// GenericError with its text otherwise; a panic is recovered, logged
// (Server.Logger) and answered as a GenericError. File descriptors that
// arrive on a unix socket (SCM_RIGHTS) go with the next request that
// completes: Request.TakeFiles, as getfd and add-fd need.
//
// # Connections and memory
//
// Serve accepts any number of clients, each served on its own goroutine
// (with oob enabled, a watchdog, and a second reader after a blocking
// in-band command), independently: one client's input, slowness or
// failure does not affect another. Memory per connection is bounded: a
// 4 KiB read buffer, at most one request's tokens (MaxMessageSize), the
// in-band requests of one read or eight queued ones, and the output
// queued behind a client that does not read (Server.MaxPendingOutput,
// past which it is disconnected; a reply is written by the goroutine
// that produced it, so a client that stops reading stops its own
// session, as QEMU's monitor does). Events
// (Conn.Emit, Server.Emit) never wait for a client. Serve returns when
// its context ends, after every connection has closed and every handler
// has returned.
package server
