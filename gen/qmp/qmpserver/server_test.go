package qmpserver_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/qapi-go/qapi/gen/qmp"
	"github.com/qapi-go/qapi/gen/qmp/qmpserver"
	"github.com/qapi-go/qapi/internal/leakcheck"
	"github.com/qapi-go/qapi/runtime"
	"github.com/qapi-go/qapi/runtime/codec"
	"github.com/qapi-go/qapi/runtime/server"
)

// standIn is a typed QMP server: a VM that runs, stops and resumes,
// takes descriptors with getfd, and panics on demand.
type standIn struct {
	qmpserver.UnimplementedServer
	mu      sync.Mutex
	running bool
	fds     map[string]*os.File
}

func (s *standIn) QueryStatus(ctx context.Context, _ *qmp.QueryStatusArgs) (*qmp.StatusInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := qmp.RunStatePaused
	if s.running {
		st = qmp.RunStateRunning
	}
	return &qmp.StatusInfo{Running: s.running, Status: st}, nil
}

func (s *standIn) Stop(ctx context.Context, _ *qmp.StopArgs) error {
	s.mu.Lock()
	s.running = false
	s.mu.Unlock()
	return qmpserver.EmitEvent(server.RequestFrom(ctx).Conn, &qmp.StopEvent{})
}

func (s *standIn) Cont(ctx context.Context, _ *qmp.ContArgs) error {
	s.mu.Lock()
	s.running = true
	s.mu.Unlock()
	return qmpserver.EmitEvent(server.RequestFrom(ctx).Conn, &qmp.ResumeEvent{})
}

// MigratePause may run out of band.
func (s *standIn) MigratePause(ctx context.Context, _ *qmp.MigratePauseArgs) error { return nil }

func (s *standIn) Getfd(ctx context.Context, args *qmp.GetfdArgs) error {
	files := server.RequestFrom(ctx).TakeFiles()
	if len(files) == 0 {
		return server.Error(runtime.GenericError, "No file descriptor supplied via SCM_RIGHTS")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fds[args.Fdname] = files[len(files)-1]
	for _, f := range files[:len(files)-1] {
		f.Close()
	}
	return nil
}

func (s *standIn) DeviceDel(ctx context.Context, args *qmp.DeviceDelArgs) error {
	if args.ID == "boom" {
		panic("device_del exploded")
	}
	return server.Error(runtime.DeviceNotFound, "Device '"+args.ID+"' not found")
}

func (s *standIn) HumanMonitorCommand(ctx context.Context, args *qmp.HumanMonitorCommandArgs) (string, error) {
	return "", errors.New("plain Go error")
}

// serveStandIn serves a standIn on a unix socket until the test ends.
func serveStandIn(t *testing.T) (*standIn, string) {
	t.Helper()
	impl := &standIn{running: true, fds: map[string]*os.File{}}
	mux := server.NewMux()
	qmpserver.Register(mux, impl)
	srv := &server.Server{Handler: mux}
	sock := filepath.Join(t.TempDir(), "qmp.sock")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
		for _, f := range impl.fds {
			f.Close()
		}
	})
	return impl, sock
}

func TestServerWithOurClient(t *testing.T) {
	leakcheck.Check(t)
	impl, sock := serveStandIn(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := qmp.Dial(ctx, "unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if got, want := conn.Version(), server.DefaultVersion; got != want {
		t.Errorf("Version() = %v, want %v", got, want)
	}
	if !conn.Session().OOB() {
		t.Errorf("oob not negotiated")
	}

	st, err := conn.QueryStatus(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&qmp.StatusInfo{Running: true, Status: qmp.RunStateRunning}, st); diff != "" {
		t.Errorf("QueryStatus (-want +got):\n%s", diff)
	}

	// stop causes STOP, which the session sends before the reply.
	if _, err := qmp.CallAndWait(ctx, conn, func(ctx context.Context) error { return conn.Stop(ctx, nil) },
		func(*qmp.StopEvent) bool { return true }); err != nil {
		t.Fatalf("stop and STOP: %v", err)
	}
	if st, err := conn.QueryStatus(ctx, nil); err != nil || st.Running {
		t.Errorf("after stop: %+v, %v", st, err)
	}

	// Errors: unimplemented, a class, a plain error, a panic.
	errTests := []struct {
		name string
		call func() error
		want *runtime.CommandError
	}{
		{"unimplemented", func() error { _, err := conn.QueryKVM(ctx, nil); return err },
			&runtime.CommandError{Class: runtime.CommandNotFound, Desc: "The command query-kvm has not been found"}},
		{"class", func() error { return conn.DeviceDel(ctx, &qmp.DeviceDelArgs{ID: "disk0"}) },
			&runtime.CommandError{Class: runtime.DeviceNotFound, Desc: "Device 'disk0' not found"}},
		{"plain", func() error {
			_, err := conn.HumanMonitorCommand(ctx, &qmp.HumanMonitorCommandArgs{CommandLine: "info"})
			return err
		}, &runtime.CommandError{Class: runtime.GenericError, Desc: "plain Go error"}},
		{"panic", func() error { return conn.DeviceDel(ctx, &qmp.DeviceDelArgs{ID: "boom"}) },
			&runtime.CommandError{Class: runtime.GenericError, Desc: "internal error: command device_del failed"}},
	}
	for _, tt := range errTests {
		err := tt.call()
		var ce *runtime.CommandError
		if !errors.As(err, &ce) {
			t.Errorf("%s: error %v, want a *runtime.CommandError", tt.name, err)
			continue
		}
		ce.Command = ""
		if diff := cmp.Diff(tt.want, ce); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}

	// The server survived the panic.
	if _, err := conn.QueryStatus(ctx, nil); err != nil {
		t.Errorf("after the panic: %v", err)
	}

	// getfd: the file arrives in the handler.
	f, err := os.CreateTemp(t.TempDir(), "fd")
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("payload")
	defer f.Close()
	if err := conn.Getfd(ctx, &qmp.GetfdArgs{Fdname: "disk"}, runtime.WithFiles(f)); err != nil {
		t.Fatalf("getfd: %v", err)
	}
	impl.mu.Lock()
	got := impl.fds["disk"]
	impl.mu.Unlock()
	if got == nil {
		t.Fatal("getfd: no file arrived")
	}
	buf := make([]byte, 7)
	if _, err := got.ReadAt(buf, 0); err != nil || string(buf) != "payload" {
		t.Errorf("received file reads %q, %v", buf, err)
	}
	if err := conn.Getfd(ctx, &qmp.GetfdArgs{Fdname: "none"}); !errors.Is(err, runtime.GenericError) {
		t.Errorf("getfd without a file: %v", err)
	}
}

// TestServerConcurrentClients has many clients call at once, in band and
// out of band.
func TestServerConcurrentClients(t *testing.T) {
	leakcheck.Check(t)
	_, sock := serveStandIn(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 16*20)
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := qmp.Dial(ctx, "unix", sock)
			if err != nil {
				errs <- err
				return
			}
			defer conn.Close()
			var cwg sync.WaitGroup
			for j := 0; j < 20; j++ {
				cwg.Add(1)
				go func() {
					defer cwg.Done()
					if _, err := conn.QueryStatus(ctx, nil); err != nil {
						errs <- err
					}
				}()
			}
			cwg.Wait()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// vendorName is a typed server whose result carries a member the
// bindings do not know, as a vendor build of QEMU might send.
type vendorName struct{ qmpserver.UnimplementedServer }

func (vendorName) QueryName(context.Context, *qmp.QueryNameArgs) (*qmp.NameInfo, error) {
	name := "vm0"
	return &qmp.NameInfo{Name: &name, UnknownMembers: codec.Members{"x-vendor": json.RawMessage(`{"a":[1,2]}`)}}, nil
}

// TestServerKeepsUnknownMembers: results go out through runtime/codec,
// so the members the bindings do not know reach the client as they do
// from QEMU, and our typed client keeps them.
func TestServerKeepsUnknownMembers(t *testing.T) {
	leakcheck.Check(t)
	mux := server.NewMux()
	qmpserver.Register(mux, vendorName{})
	conn := dialServed(t, &server.Server{Handler: mux})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	raw, err := conn.Session().Execute(ctx, "query-name", nil)
	if err != nil {
		t.Fatal(err)
	}
	var got, want any
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	json.Unmarshal([]byte(`{"name":"vm0","x-vendor":{"a":[1,2]}}`), &want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("query-name on the wire (-want +got):\n%s", diff)
	}
	typed, err := conn.QueryName(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The session writes replies in QEMU's format ({"a": [1, 2]}): the
	// member's value is the same, its spacing QEMU's.
	var vendor any
	if err := json.Unmarshal(typed.UnknownMembers["x-vendor"], &vendor); err != nil {
		t.Fatalf("typed client's x-vendor %q: %v", typed.UnknownMembers["x-vendor"], err)
	}
	if diff := cmp.Diff(want.(map[string]any)["x-vendor"], vendor); diff != "" {
		t.Errorf("typed client's x-vendor (-want +got):\n%s", diff)
	}
}

// dialServed serves srv on a fresh unix socket and dials it.
func dialServed(t *testing.T, srv *server.Server) *qmp.Conn {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "qmp.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	dctx, dcancel := context.WithTimeout(ctx, 10*time.Second)
	defer dcancel()
	conn, err := qmp.Dial(dctx, "unix", sock)
	if err != nil {
		cancel()
		<-done
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return conn
}
