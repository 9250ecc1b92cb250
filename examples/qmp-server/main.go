// Command qmp-server is a stand-in QEMU: a QMP monitor that answers
// query-status, query-version, stop, cont (with STOP and RESUME events),
// query-commands and quit (with SHUTDOWN), plus query-name, query-kvm,
// query-target, query-uuid, getfd, closefd, add-fd, query-fdsets,
// remove-fd, query-yank (out of band too) and device_del (it has no
// devices), for testing QMP clients without QEMU.
//
//	qmp-server -listen /tmp/qmp.sock [-name NAME]
//
// It is built on the generated qmpserver.Server and package runtime/server,
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
	"github.com/qapi-go/qapi/gen/qmp/qmpserver"
	qruntime "github.com/qapi-go/qapi/runtime"
	"github.com/qapi-go/qapi/runtime/server"
)

func main() {
	listen := flag.String("listen", "", "unix socket path to listen on (required)")
	name := flag.String("name", "", "the VM's name, for query-name")
	flag.Parse()
	if *listen == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: qmp-server -listen PATH [-name NAME]")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ln, err := net.Listen("unix", *listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, "qmp-server:", err)
		os.Exit(1)
	}
	if err := run(ctx, ln, *name, slog.New(slog.NewTextHandler(os.Stderr, nil))); err != nil {
		fmt.Fprintln(os.Stderr, "qmp-server:", err)
		os.Exit(1)
	}
}

// run serves on ln until ctx ends or a client quits.
func run(ctx context.Context, ln net.Listener, name string, log *slog.Logger) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	vm := &machine{running: true, quit: cancel, name: name, fds: map[string]*os.File{}}
	defer vm.closeFDs()
	mux := server.NewMux()
	qmpserver.Register(mux, vm)
	vm.mux = mux
	srv := &server.Server{Handler: mux, Logger: log}
	return srv.Serve(ctx, ln)
}

// machine is the state of the stand-in VM.
type machine struct {
	qmpserver.UnimplementedServer
	mux  *server.Mux
	quit context.CancelFunc

	name string

	mu      sync.Mutex
	running bool
	fds     map[string]*os.File // getfd's, by name
	fdsets  []*fdset            // add-fd's, sorted by id
}

// implemented lists the commands machine answers, for query-commands.
var implemented = []string{"add-fd", "closefd", "cont", "device_del", "getfd", "qmp_capabilities", "query-commands", "query-fdsets", "query-kvm", "query-name", "query-status", "query-target", "query-uuid", "query-version", "query-yank", "quit", "remove-fd", "stop"}

func (m *machine) QueryStatus(_ context.Context, _ *qmp.QueryStatusArgs) (*qmp.StatusInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.running {
		return &qmp.StatusInfo{Running: true, Status: qmp.RunStateRunning}, nil
	}
	return &qmp.StatusInfo{Status: qmp.RunStatePaused}, nil
}

func (m *machine) QueryVersion(_ context.Context, _ *qmp.QueryVersionArgs) (*qmp.VersionInfo, error) {
	v := server.DefaultVersion
	return &qmp.VersionInfo{
		Qemu:    qmp.VersionTriple{Major: int64(v.Major), Minor: int64(v.Minor), Micro: int64(v.Micro)},
		Package: v.Package,
	}, nil
}

// Stop and Cont emit their event to every client, before the reply, as
// QEMU does; a VM already in the state asked for emits nothing.
func (m *machine) Stop(ctx context.Context, _ *qmp.StopArgs) error {
	return m.setRunning(ctx, false, &qmp.StopEvent{})
}

func (m *machine) Cont(ctx context.Context, _ *qmp.ContArgs) error {
	return m.setRunning(ctx, true, &qmp.ResumeEvent{})
}

func (m *machine) setRunning(ctx context.Context, running bool, ev qmpserver.Event) error {
	m.mu.Lock()
	changed := m.running != running
	m.running = running
	m.mu.Unlock()
	if !changed {
		return nil
	}
	return qmpserver.EmitEvent(server.RequestFrom(ctx).Conn.Server(), ev)
}

func (m *machine) QueryCommands(_ context.Context, _ *qmp.QueryCommandsArgs) ([]qmp.CommandInfo, error) {
	out := make([]qmp.CommandInfo, len(implemented))
	for i, n := range implemented {
		out[i] = qmp.CommandInfo{Name: n}
	}
	return out, nil
}

// Quit answers, sends SHUTDOWN, and stops the server, as QEMU exits.
func (m *machine) Quit(ctx context.Context, _ *qmp.QuitArgs) error {
	req := server.RequestFrom(ctx)
	qmpserver.EmitEvent(req.Conn, &qmp.ShutdownEvent{Reason: qmp.ShutdownCauseHostQMPQuit})
	go func() {
		// Let the reply and the event go out first.
		<-req.Conn.Done()
		m.quit()
	}()
	req.Conn.CloseAfterReply()
	return nil
}

func (m *machine) QueryName(_ context.Context, _ *qmp.QueryNameArgs) (*qmp.NameInfo, error) {
	if m.name == "" {
		return &qmp.NameInfo{}, nil
	}
	return &qmp.NameInfo{Name: &m.name}, nil
}

// Getfd keeps the descriptor that came with the request under a name,
// replacing one of the same name, as QEMU does.
func (m *machine) Getfd(ctx context.Context, args *qmp.GetfdArgs) error {
	files := server.RequestFrom(ctx).TakeFiles()
	if len(files) == 0 {
		return server.Error(qruntime.GenericError, "No file descriptor supplied via SCM_RIGHTS")
	}
	for _, f := range files[:len(files)-1] {
		f.Close()
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if old := m.fds[args.Fdname]; old != nil {
		old.Close()
	}
	m.fds[args.Fdname] = files[len(files)-1]
	return nil
}

func (m *machine) Closefd(_ context.Context, args *qmp.ClosefdArgs) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	f := m.fds[args.Fdname]
	if f == nil {
		return server.Error(qruntime.GenericError, "File descriptor named '"+args.Fdname+"' not found")
	}
	delete(m.fds, args.Fdname)
	return f.Close()
}

func (m *machine) closeFDs() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, f := range m.fds {
		f.Close()
	}
	m.closeFdsets()
}
