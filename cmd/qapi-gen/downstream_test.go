package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qapi-go/qapi/internal/gomodtest"
)

// downstreamMain is a program of the downstream module: it dials a fake
// QEMU, calls typed commands and waits for typed events through the
// subset bindings go generate wrote. It imports nothing of the runtime
// but its test helper: the generated package is all it needs. Then it
// serves a stand-in QEMU of its own, typed, on the subset's server
// package, and calls it.
const downstreamMain = `package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net"
	"os"
	"path/filepath"
	"time"

	"example.com/vmm/qmpmin"
	"example.com/vmm/qmpmin/qmpminserver"
	"github.com/qapi-go/qapi/runtime/fakepeer"
	"github.com/qapi-go/qapi/runtime/server"
)

// vm is a stand-in QEMU on the subset's server package: it answers
// query-status and stop (sending STOP, as QEMU does), and leaves the
// other commands of the subset unimplemented.
type vm struct {
	qmpminserver.UnimplementedServer
	running bool
}

func (v *vm) QueryStatus(ctx context.Context, _ *qmpmin.QueryStatusArgs) (*qmpmin.StatusInfo, error) {
	st := qmpmin.RunStatePaused
	if v.running {
		st = qmpmin.RunStateRunning
	}
	return &qmpmin.StatusInfo{Running: v.running, Status: st}, nil
}

func (v *vm) Stop(ctx context.Context, _ *qmpmin.StopArgs) error {
	v.running = false
	return qmpminserver.EmitEvent(server.RequestFrom(ctx).Conn, &qmpmin.StopEvent{})
}

func serveTyped(ctx context.Context, sock string) (*qmpmin.Conn, error) {
	mux := server.NewMux()
	qmpminserver.Register(mux, &vm{running: true})
	ln, err := net.Listen("unix", sock)
	if err != nil {
		return nil, err
	}
	go (&server.Server{Handler: mux}).Serve(ctx, ln)
	return qmpmin.Dial(ctx, "unix", sock)
}

func main() {
	peer := fakepeer.New(nil, fakepeer.Config{Handler: func(cmd string, args json.RawMessage) fakepeer.Response {
		switch cmd {
		case "query-status":
			return fakepeer.Response{Return: map[string]any{"status": "running", "running": true}}
		case "stop":
			// QEMU sends STOP before stop's reply.
			return fakepeer.Response{Events: []fakepeer.Event{{Name: "STOP", Time: time.Unix(1700000000, 0)}}}
		case "device_del":
			// and DEVICE_DELETED after device_del's.
			return fakepeer.Response{EventsAfter: []fakepeer.Event{
				{Name: "DEVICE_DELETED", Data: map[string]any{"device": "net1", "path": "/machine/peripheral/net1"}},
				{Name: "DEVICE_DELETED", Data: map[string]any{"device": "net0", "path": "/machine/peripheral/net0"}},
			}}
		}
		return fakepeer.Response{Error: &fakepeer.Error{Class: "CommandNotFound", Desc: "The command " + cmd + " has not been found"}}
	}})
	defer peer.Close()
	sock, err := peer.Listen()
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	conn, err := qmpmin.Dial(ctx, "unix", sock)
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	fmt.Println("QEMU", conn.Version())

	st, err := conn.QueryStatus(ctx, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("status=%s running=%v\n", st.Status, st.Status == qmpmin.RunStateRunning)

	stop, err := qmpmin.CallAndWait(ctx, conn, func(ctx context.Context) error { return conn.Stop(ctx, nil) }, qmpmin.Any[qmpmin.StopEvent])
	if err != nil || stop == nil {
		log.Fatalf("stop: %v", err)
	}
	fmt.Println("stopped:", stop.EventName())

	del, err := qmpmin.CallAndWait(ctx, conn,
		func(ctx context.Context) error { return conn.DeviceDel(ctx, &qmpmin.DeviceDelArgs{ID: "net0"}) },
		func(e *qmpmin.DeviceDeletedEvent) bool { return e.Device != nil && *e.Device == "net0" })
	if err != nil {
		log.Fatalf("device_del: %v", err)
	}
	fmt.Println("deleted:", del.Path)

	if err := conn.Cont(ctx, nil); errors.Is(err, qmpmin.CommandNotFound) {
		fmt.Println("cont: CommandNotFound")
	} else {
		log.Fatalf("cont: %v", err)
	}
	fmt.Println("commands:", len(qmpmin.Commands))

	dir, err := os.MkdirTemp("", "vmm")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	typed, err := serveTyped(ctx, filepath.Join(dir, "typed.sock"))
	if err != nil {
		log.Fatal(err)
	}
	defer typed.Close()
	st, err = typed.QueryStatus(ctx, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("typed: status=%s\n", st.Status)
	if _, err := qmpmin.CallAndWait(ctx, typed, func(ctx context.Context) error { return typed.Stop(ctx, nil) }, qmpmin.Any[qmpmin.StopEvent]); err != nil {
		log.Fatalf("typed stop: %v", err)
	}
	st, err = typed.QueryStatus(ctx, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("typed: stopped, status=%s\n", st.Status)
	if err := typed.Cont(ctx, nil); errors.Is(err, qmpmin.CommandNotFound) {
		fmt.Println("typed: cont:", err)
	} else {
		log.Fatalf("typed cont: %v", err)
	}
}
`

// TestDownstreamGoGenerate is what the README tells a user to do, in a
// module of their own that starts empty: "go get -tool" the generator
// (through a replace directive to this checkout), a go:generate
// directive that runs "go tool qapi-gen" on the schema of a QEMU tree
// next to the package, then "go generate", "go build" and "go vet" with
// the go command's defaults, for the full QMP bindings and for a
// -commands subset, each with its server package; then a program on the
// subset dials a fake QEMU, calls typed commands and waits for typed
// events with CallAndWait, and serves a typed stand-in of its own on the
// subset's server package.
func TestDownstreamGoGenerate(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a module with go generate in -short mode")
	}
	root := gomodtest.RepoRoot(t)
	m := gomodtest.NewBare(t, "example.com/vmm")
	mod := m.Dir
	write := func(name, content string) { t.Helper(); m.WriteFile(name, []byte(content)) }
	// A QEMU tree's schema next to the module's packages.
	jsons, err := filepath.Glob(filepath.Join(root, "schema", "qapi", "*.json"))
	if err != nil || len(jsons) < 10 {
		t.Fatalf("vendored schema: %v (%d files)", err, len(jsons))
	}
	for _, j := range jsons {
		b, err := os.ReadFile(j)
		if err != nil {
			t.Fatal(err)
		}
		write("qemu/qapi/"+filepath.Base(j), string(b))
	}

	m.Go("get", "-tool", "github.com/qapi-go/qapi/cmd/qapi-gen")
	gomod, err := os.ReadFile(filepath.Join(mod, "go.mod"))
	if err != nil || !strings.Contains(string(gomod), "tool github.com/qapi-go/qapi/cmd/qapi-gen") {
		t.Fatalf("go get -tool did not add the tool directive:\n%s", gomod)
	}

	// The directives README.md and "qapi-gen help generate" show.
	write("qmp/qmp.go", "// Package qmp holds QMP bindings generated from ../qemu.\npackage qmp\n\n"+
		"//go:generate go tool qapi-gen generate -package qmp -out . ../qemu/qapi/qapi-schema.json\n")
	write("qmpmin/qmpmin.go", "// Package qmpmin holds the few QMP commands the VM manager sends.\npackage qmpmin\n\n"+
		"//go:generate go tool qapi-gen generate -package qmpmin -out . -commands @commands.txt -events STOP,RESUME,DEVICE_DELETED -omit-deprecated -omit-unstable ../qemu/qapi/qapi-schema.json\n")
	write("qmpmin/commands.txt", "# commands we send\nquery-status\nstop\ncont\ndevice_del\n")
	write("cmd/vmm/main.go", downstreamMain)

	m.Go("generate", "./...")
	for _, f := range []string{"qmp/qapi.go", "qmp/qapi_conn.go", "qmp/qapi_events.go", "qmp/block_core.go", "qmp/qmpserver/qapi_server.go",
		"qmpmin/qapi.go", "qmpmin/qapi_conn.go", "qmpmin/qapi_events.go", "qmpmin/run_state.go", "qmpmin/qmpminserver/qapi_server.go"} {
		if _, err := os.Stat(filepath.Join(mod, f)); err != nil {
			t.Errorf("go generate did not write %s: %v", f, err)
		}
	}
	if _, err := os.Stat(filepath.Join(mod, "qmpmin", "block_core.go")); err == nil {
		t.Errorf("the subset has block_core.go")
	}
	m.Go("build", "./...")
	m.Go("vet", "./...")

	// The generated packages import only the runtime (its codec,
	// runtime/codec, included) and the standard library, and the server
	// packages their bindings and runtime/server too (and so does the
	// runtime, apart from its own and the module's internal packages).
	// The bindings never import runtime/server: a program that only calls
	// QEMU does not compile the server side.
	listing := m.Go("list", "-deps", "-json=ImportPath,Standard,Imports", "./qmp/...", "./qmpmin/...")
	dec := json.NewDecoder(strings.NewReader(listing))
	for dec.More() {
		var p struct {
			ImportPath string
			Standard   bool
			Imports    []string
		}
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		switch {
		case p.Standard:
		case p.ImportPath == "example.com/vmm/qmp" || p.ImportPath == "example.com/vmm/qmpmin":
			for _, imp := range p.Imports {
				if strings.Contains(strings.SplitN(imp, "/", 2)[0], ".") && imp != "github.com/qapi-go/qapi/runtime" && imp != "github.com/qapi-go/qapi/runtime/codec" {
					t.Errorf("%s imports %s", p.ImportPath, imp)
				}
			}
		case p.ImportPath == "example.com/vmm/qmp/qmpserver" || p.ImportPath == "example.com/vmm/qmpmin/qmpminserver":
			bindings := strings.TrimSuffix(p.ImportPath, "/"+p.ImportPath[strings.LastIndex(p.ImportPath, "/")+1:])
			for _, imp := range p.Imports {
				if strings.Contains(strings.SplitN(imp, "/", 2)[0], ".") && imp != bindings && imp != "github.com/qapi-go/qapi/runtime/server" {
					t.Errorf("%s imports %s", p.ImportPath, imp)
				}
			}
		case strings.HasPrefix(p.ImportPath, "github.com/qapi-go/qapi/runtime"),
			strings.HasPrefix(p.ImportPath, "github.com/qapi-go/qapi/internal/"):
		default:
			t.Errorf("generated packages depend on %s", p.ImportPath)
		}
	}

	got := m.Go("run", "./cmd/vmm")
	want := "QEMU 10.2.2 (v10.2.2)\nstatus=running running=true\nstopped: STOP\ndeleted: /machine/peripheral/net0\ncont: CommandNotFound\ncommands: 4\n" +
		"typed: status=running\ntyped: stopped, status=paused\ntyped: cont: cont: CommandNotFound: The command cont has not been found\n"
	if got != want {
		t.Errorf("program printed\n%s\nwant\n%s", got, want)
	}
}
