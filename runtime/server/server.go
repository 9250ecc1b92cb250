package server

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/qapi-go/qapi/internal/qemujson"
	"github.com/qapi-go/qapi/runtime"
)

// Protocol selects what a Server speaks.
type Protocol int

const (
	// QMP is QEMU's monitor protocol: a greeting, capabilities
	// negotiation, in-band and out-of-band commands, events; lines end in
	// "\r\n".
	QMP Protocol = iota
	// QGA is the guest agent's: no greeting, one command at a time,
	// guest-sync-delimited answered behind a 0xFF byte; lines end in "\n".
	QGA
)

// DefaultVersion is the version a QMP greeting announces unless
// Server.Version is set.
var DefaultVersion = runtime.Version{Major: 10, Minor: 2, Micro: 2, Package: "qapi-go"}

// DefaultMaxPendingOutput bounds the output a connection queues behind a
// client that does not read (see Server.MaxPendingOutput).
const DefaultMaxPendingOutput = 4 << 20

// Server serves QMP or QGA clients. Set its fields before serving; they
// must not change afterwards.
type Server struct {
	// Protocol is QMP (the default) or QGA.
	Protocol Protocol
	// Handler finds the commands; a generated server package's
	// Register fills a *Mux from a typed Server. qmp_capabilities is answered by the
	// session; so are guest-sync and guest-sync-delimited on QGA when
	// the Handler lacks them.
	Handler Handler
	// Version is announced in the QMP greeting (default DefaultVersion).
	Version *runtime.Version
	// Capabilities are offered in the QMP greeting: nil offers "oob", as
	// every QEMU since 2.12 does; an empty non-nil slice offers none.
	Capabilities []string
	// MaxMessageSize bounds the bytes of one request's tokens (QEMU's
	// limit, 64 MiB, when 0); a larger request is answered with QEMU's
	// "JSON token size limit exceeded". QEMU's limits on tokens
	// (2 Mi) and nesting (1024) apply too.
	MaxMessageSize int
	// MaxPendingOutput bounds the output queued for a client that does
	// not read it (DefaultMaxPendingOutput when 0); past it the client is
	// disconnected, so that it cannot make the server hold memory.
	MaxPendingOutput int
	// Logger receives handler panics at error level and connection
	// events at debug level; nil discards them.
	Logger *slog.Logger

	mu    sync.Mutex
	conns map[*Conn]struct{}
	wg    sync.WaitGroup
}

func (s *Server) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

func (s *Server) maxPendingOutput() int {
	if s.MaxPendingOutput <= 0 {
		return DefaultMaxPendingOutput
	}
	return s.MaxPendingOutput
}

func (s *Server) offers(c string) bool {
	if s.Capabilities == nil {
		return c == "oob"
	}
	for _, o := range s.Capabilities {
		if o == c {
			return true
		}
	}
	return false
}

// greeting is the QMP greeting line, as QEMU prints it.
func (s *Server) greeting(term string) []byte {
	v := DefaultVersion
	if s.Version != nil {
		v = *s.Version
	}
	caps := s.Capabilities
	if caps == nil {
		caps = []string{"oob"}
	}
	b := []byte(`{"QMP": {"version": {"qemu": {"micro": `)
	b = strconv.AppendInt(b, int64(v.Micro), 10)
	b = append(b, `, "minor": `...)
	b = strconv.AppendInt(b, int64(v.Minor), 10)
	b = append(b, `, "major": `...)
	b = strconv.AppendInt(b, int64(v.Major), 10)
	b = append(b, `}, "package": `...)
	b = qemujson.AppendString(b, v.Package)
	b = append(b, `}, "capabilities": [`...)
	for i, c := range caps {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = qemujson.AppendString(b, c)
	}
	b = append(b, "]}}"...)
	return append(b, term...)
}

// ListenAndServe listens on network ("unix" or "tcp") and address and
// serves until ctx ends.
func (s *Server) ListenAndServe(ctx context.Context, network, address string) error {
	ln, err := net.Listen(network, address)
	if err != nil {
		return err
	}
	return s.Serve(ctx, ln)
}

// Serve accepts connections on ln and serves each on its own goroutines
// until ctx ends; then it closes ln and every connection, waits for their
// commands to return (their contexts are cancelled) and returns nil. It
// returns early with the error of a failed Accept.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	defer s.wg.Wait()
	defer s.closeAll()
	var delay time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				// Temporary (EMFILE and the like): back off as net/http does.
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				time.Sleep(delay)
				continue
			}
			ln.Close()
			return err
		}
		delay = 0
		s.start(ctx, nc)
	}
}

// ServeConn serves one connection until it ends or ctx does, and its
// commands have returned.
func (s *Server) ServeConn(ctx context.Context, nc net.Conn) {
	<-s.start(ctx, nc).Done()
}

func (s *Server) start(ctx context.Context, nc net.Conn) *Conn {
	c := newConn(s, ctx, nc)
	s.mu.Lock()
	if s.conns == nil {
		s.conns = map[*Conn]struct{}{}
	}
	s.conns[c] = struct{}{}
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		c.serve()
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
	}()
	return c
}

func (s *Server) closeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.Close()
	}
}

// Conns returns the connections being served.
func (s *Server) Conns() []*Conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*Conn, 0, len(s.conns))
	for c := range s.conns {
		out = append(out, c)
	}
	return out
}

// Emit sends an event to every client that completed negotiation, as
// QEMU broadcasts its events (see Conn.Emit).
func (s *Server) Emit(name string, data any) error {
	var errs []error
	for _, c := range s.Conns() {
		if err := c.Emit(name, data); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Emitter is what events are sent through: a *Conn (one client) or a
// *Server (every client). Generated server packages' EmitEvent takes
// one.
type Emitter interface {
	Emit(name string, data any) error
}
