package main

import (
	"context"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/qapi-go/qapi/gen/qga"
	"github.com/qapi-go/qapi/gen/qga/qgaserver"
	qruntime "github.com/qapi-go/qapi/runtime"
	"github.com/qapi-go/qapi/runtime/server"
)

// agent implements the commands; the guest-file-* ones are in files.go,
// guest-exec* in exec.go.
type agent struct {
	qgaserver.UnimplementedServer
	root      *os.Root
	rootDir   string // absolute, cleaned
	allowExec bool

	mu        sync.Mutex
	files     map[int64]*os.File
	procs     map[int64]*process
	nextFile  int64
	implement []string
}

// version is what guest-info reports: the release of the schema the agent
// is built from, whose conventions (such as guest-exec's capture modes,
// new in 8.0) it follows.
const version = "10.2.2"

func newAgent(root string, allowExec bool) (*agent, error) {
	dir, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	if d, err := filepath.EvalSymlinks(dir); err == nil {
		dir = d
	}
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	a := &agent{root: r, rootDir: dir, allowExec: allowExec, files: map[int64]*os.File{}, procs: map[int64]*process{}, nextFile: 1000}
	a.implement = []string{
		"guest-ping", "guest-sync", "guest-sync-delimited", "guest-info", "guest-get-osinfo",
		"guest-get-host-name", "guest-get-time",
		"guest-file-open", "guest-file-read", "guest-file-write", "guest-file-close",
		"guest-file-seek", "guest-file-flush",
	}
	if allowExec {
		a.implement = append(a.implement, "guest-exec", "guest-exec-status")
	}
	return a, nil
}

func (a *agent) close() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, f := range a.files {
		f.Close()
	}
	a.root.Close()
}

// serve answers clients on ln until ctx ends.
func (a *agent) serve(ctx context.Context, ln net.Listener, log *slog.Logger) error {
	mux := server.NewMux()
	qgaserver.Register(mux, a)
	// What the agent does not implement it refuses as qemu-ga refuses a
	// command blocked with --block-rpcs, matching guest-info.
	enabled := map[string]bool{}
	for _, n := range a.implement {
		enabled[n] = true
	}
	for n := range qga.Commands {
		if !enabled[n] {
			mux.Handle(server.Command{Name: n, Run: func(context.Context, *server.Request) (any, error) { return nil, disabled(n) }})
		}
	}
	srv := &server.Server{Protocol: server.QGA, Handler: mux, Logger: log}
	return srv.Serve(ctx, ln)
}

// disabled is how qemu-ga refuses a command blocked with --block-rpcs.
func disabled(name string) error {
	return server.Error(qruntime.CommandNotFound, "Command "+name+" has been disabled")
}

func (a *agent) GuestPing(_ context.Context, _ *qga.GuestPingArgs) error { return nil }

func (a *agent) GuestSyncDelimited(_ context.Context, args *qga.GuestSyncDelimitedArgs) (int64, error) {
	return args.ID, nil
}

func (a *agent) GuestSync(_ context.Context, args *qga.GuestSyncArgs) (int64, error) {
	return args.ID, nil
}

// GuestInfo lists every command of the schema, enabled when this agent
// implements it, as qemu-ga lists its own (blocked ones disabled).
func (a *agent) GuestInfo(_ context.Context, _ *qga.GuestInfoArgs) (*qga.GuestAgentInfo, error) {
	enabled := map[string]bool{}
	for _, n := range a.implement {
		enabled[n] = true
	}
	names := make([]string, 0, len(qga.Commands))
	for n := range qga.Commands {
		names = append(names, n)
	}
	sort.Strings(names)
	info := &qga.GuestAgentInfo{Version: version, SupportedCommands: []qga.GuestAgentCommandInfo{}}
	for _, n := range names {
		info.SupportedCommands = append(info.SupportedCommands, qga.GuestAgentCommandInfo{
			Name: n, Enabled: enabled[n], SuccessResponse: !qga.Commands[n].NoReply,
		})
	}
	return info, nil
}

func (a *agent) GuestGetHostName(_ context.Context, _ *qga.GuestGetHostNameArgs) (*qga.GuestHostName, error) {
	h, err := os.Hostname()
	if err != nil {
		return nil, err
	}
	return &qga.GuestHostName{HostName: h}, nil
}

func (a *agent) GuestGetTime(_ context.Context, _ *qga.GuestGetTimeArgs) (int64, error) {
	return time.Now().UnixNano(), nil
}

// GuestGetOsinfo reads the kernel's identity from /proc and the
// distribution's from /etc/os-release, as qemu-ga does on Linux.
func (a *agent) GuestGetOsinfo(_ context.Context, _ *qga.GuestGetOsinfoArgs) (*qga.GuestOSInfo, error) {
	info := &qga.GuestOSInfo{}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		info.KernelRelease = qga.Ptr(strings.TrimSpace(string(b)))
	}
	if b, err := os.ReadFile("/proc/sys/kernel/version"); err == nil {
		info.KernelVersion = qga.Ptr(strings.TrimSpace(string(b)))
	}
	info.Machine = qga.Ptr(machine())
	b, err := os.ReadFile("/etc/os-release")
	if err != nil {
		b, _ = os.ReadFile("/usr/lib/os-release")
	}
	fields := map[string]**string{
		"ID": &info.ID, "NAME": &info.Name, "PRETTY_NAME": &info.PrettyName,
		"VERSION": &info.Version, "VERSION_ID": &info.VersionID,
		"VARIANT": &info.Variant, "VARIANT_ID": &info.VariantID,
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
		if p, known := fields[k]; ok && known {
			v = strings.Trim(v, `"'`)
			*p = &v
		}
	}
	return info, nil
}

// machine is uname's machine field for the architectures Go names
// differently.
func machine() string {
	switch runtime.GOARCH {
	case "amd64":
		return "x86_64"
	case "386":
		return "i686"
	case "arm64":
		return "aarch64"
	}
	return runtime.GOARCH
}
