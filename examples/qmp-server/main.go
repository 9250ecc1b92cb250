// Command qmp-server is a stand-in QEMU: a QMP monitor that answers
// query-status, query-version, stop, cont (with STOP and RESUME events),
// query-commands and quit, for testing QMP clients without QEMU.
//
//	qmp-server -listen /tmp/qmp.sock
//
// It is built on the generated qmp.Server and package runtime/server,
// which speak the wire as QEMU does.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"sync"

	"github.com/qapi-go/qapi/gen/qmp"
	"github.com/qapi-go/qapi/runtime/server"
)

func main() {
	listen := flag.String("listen", "", "unix socket path to listen on (required)")
	flag.Parse()
	if *listen == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: qmp-server -listen PATH")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ln, err := net.Listen("unix", *listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, "qmp-server:", err)
		os.Exit(1)
	}
	if err := run(ctx, ln, slog.New(slog.NewTextHandler(os.Stderr, nil))); err != nil {
		fmt.Fprintln(os.Stderr, "qmp-server:", err)
		os.Exit(1)
	}
}

// run serves on ln until ctx ends or a client quits.
func run(ctx context.Context, ln net.Listener, log *slog.Logger) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	vm := &machine{running: true, quit: cancel}
	mux := server.NewMux()
	qmp.RegisterServer(mux, vm)
	vm.mux = mux
	srv := &server.Server{Handler: mux, Logger: log}
	return srv.Serve(ctx, ln)
}

// machine is the state of the stand-in VM.
type machine struct {
	qmp.UnimplementedServer
	mux  *server.Mux
	quit context.CancelFunc

	mu      sync.Mutex
	running bool
}

// implemented lists the commands machine answers, for query-commands.
var implemented = []string{"cont", "qmp_capabilities", "query-commands", "query-status", "query-version", "quit", "stop"}

func (m *machine) QueryStatus(context.Context) (*qmp.StatusInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.running {
		return &qmp.StatusInfo{Running: true, Status: qmp.RunStateRunning}, nil
	}
	return &qmp.StatusInfo{Status: qmp.RunStatePaused}, nil
}

func (m *machine) QueryVersion(context.Context) (*qmp.VersionInfo, error) {
	v := server.DefaultVersion
	return &qmp.VersionInfo{
		Qemu:    qmp.VersionTriple{Major: int64(v.Major), Minor: int64(v.Minor), Micro: int64(v.Micro)},
		Package: v.Package,
	}, nil
}

// Stop and Cont emit their event to every client, before the reply, as
// QEMU does; a VM already in the state asked for emits nothing.
func (m *machine) Stop(ctx context.Context) error {
	return m.setRunning(ctx, false, &qmp.StopEvent{})
}

func (m *machine) Cont(ctx context.Context) error {
	return m.setRunning(ctx, true, &qmp.ResumeEvent{})
}

func (m *machine) setRunning(ctx context.Context, running bool, ev qmp.ServerEvent) error {
	m.mu.Lock()
	changed := m.running != running
	m.running = running
	m.mu.Unlock()
	if !changed {
		return nil
	}
	return qmp.EmitEvent(server.RequestFrom(ctx).Conn.Server(), ev)
}

func (m *machine) QueryCommands(context.Context) ([]qmp.CommandInfo, error) {
	out := make([]qmp.CommandInfo, len(implemented))
	for i, n := range implemented {
		out[i] = qmp.CommandInfo{Name: n}
	}
	return out, nil
}

// Quit answers, sends SHUTDOWN, and stops the server, as QEMU exits.
func (m *machine) Quit(ctx context.Context) error {
	req := server.RequestFrom(ctx)
	qmp.EmitEvent(req.Conn, &qmp.ShutdownEvent{Reason: qmp.ShutdownCauseHostQMPQuit})
	go func() {
		// Let the reply and the event go out first.
		<-req.Conn.Done()
		m.quit()
	}()
	req.Conn.CloseAfterReply()
	return nil
}
