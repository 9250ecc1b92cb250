package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qapi-go/qapi/internal/gomodtest"
)

// downstreamMain is a program of the downstream module: it drives the
// bindings go generate wrote against the runtime's fake peer.
const downstreamMain = `package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"

	"example.com/vmm/qmp"
	"github.com/qapi-go/qapi/runtime"
	"github.com/qapi-go/qapi/runtime/fakepeer"
)

func main() {
	peer := fakepeer.New(nil, fakepeer.Config{Handler: func(cmd string, args json.RawMessage) fakepeer.Response {
		switch cmd {
		case "query-status":
			return fakepeer.Response{Return: map[string]any{"status": "paused", "running": false}}
		case "device_del":
			return fakepeer.Response{Return: map[string]any{}}
		}
		return fakepeer.Response{Error: &fakepeer.Error{Class: "CommandNotFound", Desc: "The command " + cmd + " has not been found"}}
	}})
	defer peer.Close()
	ctx := context.Background()
	sess, err := runtime.NewQMP(ctx, peer.Pipe())
	if err != nil {
		log.Fatal(err)
	}
	defer sess.Close()
	c := qmp.NewConn(sess)

	st, err := c.QueryStatus(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("status=%s running=%v paused=%v\n", st.Status, st.Running, st.Status == qmp.RunStatePaused)
	if err := c.DeviceDel(ctx, qmp.DeviceDelArgs{ID: "net0"}); err != nil {
		log.Fatal(err)
	}
	fmt.Println("device_del: ok")
	var ce *runtime.CommandError
	if err := c.Cont(ctx); errors.As(err, &ce) {
		fmt.Printf("cont: %s\n", ce.Class)
	} else {
		log.Fatalf("cont: %v", err)
	}
	fmt.Println("commands:", len(qmp.Commands) > 200)
}
`

// TestDownstreamGoGenerate is what a user of the generator does: a
// module of their own with a go:generate directive, the schema of a QEMU
// tree next to it, "go generate", "go build", "go vet" and a program
// against the fake peer. The replace directive points at this checkout;
// everything resolves from the module cache (GOPROXY=off).
func TestDownstreamGoGenerate(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a module with go generate in -short mode")
	}
	root := gomodtest.RepoRoot(t)
	m := gomodtest.New(t, "example.com/vmm")
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
	// The full bindings, with the directive README.md shows, and a
	// subset with its command list in a file.
	write("qmp/qmp.go", "// Package qmp holds QMP bindings generated from ../qemu.\npackage qmp\n\n"+
		"//go:generate go run github.com/qapi-go/qapi/cmd/qapi-gen generate -package qmp -out . ../qemu/qapi/qapi-schema.json\n")
	write("qmpmin/qmpmin.go", "// Package qmpmin holds the few QMP commands the VM manager sends.\npackage qmpmin\n\n"+
		"//go:generate go run github.com/qapi-go/qapi/cmd/qapi-gen generate -package qmpmin -out . -commands @commands.txt -events SHUTDOWN,STOP -omit-deprecated -omit-unstable ../qemu/qapi/qapi-schema.json\n")
	write("qmpmin/commands.txt", "# commands we send\nqmp_capabilities\nquery-status\nstop\ncont\nquit\n")
	write("cmd/vmm/main.go", downstreamMain)

	goCmd := m.Go
	goCmd("generate", "./...")
	for _, f := range []string{"qmp/qapi.go", "qmp/block_core.go", "qmpmin/qapi.go", "qmpmin/run_state.go"} {
		if _, err := os.Stat(filepath.Join(mod, f)); err != nil {
			t.Errorf("go generate did not write %s: %v", f, err)
		}
	}
	if _, err := os.Stat(filepath.Join(mod, "qmpmin", "block_core.go")); err == nil {
		t.Errorf("the subset has block_core.go")
	}
	goCmd("build", "./...")
	goCmd("vet", "./...")

	// The generated packages import only the runtime (its server side,
	// runtime/server, included) and the standard library (and so does
	// the runtime, apart from its own and the module's internal packages).
	listing := goCmd("list", "-deps", "-json=ImportPath,Standard,Imports", "./qmp", "./qmpmin")
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
				if strings.Contains(strings.SplitN(imp, "/", 2)[0], ".") && imp != "github.com/qapi-go/qapi/runtime" && imp != "github.com/qapi-go/qapi/runtime/server" {
					t.Errorf("%s imports %s", p.ImportPath, imp)
				}
			}
		case strings.HasPrefix(p.ImportPath, "github.com/qapi-go/qapi/runtime"),
			strings.HasPrefix(p.ImportPath, "github.com/qapi-go/qapi/internal/"):
		default:
			t.Errorf("generated packages depend on %s", p.ImportPath)
		}
	}

	got := goCmd("run", "./cmd/vmm")
	want := "status=paused running=false paused=true\ndevice_del: ok\ncont: CommandNotFound\ncommands: true\n"
	if got != want {
		t.Errorf("program printed\n%s\nwant\n%s", got, want)
	}
}
