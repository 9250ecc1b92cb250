package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qapi-go/qapi/gen/qga"
	"github.com/qapi-go/qapi/internal/qemutest"
	"github.com/qapi-go/qapi/runtime"
)

// serveAgent serves this program's agent, its files confined to root, on
// a unix socket until the test ends, and returns the socket's path.
func serveAgent(t *testing.T, root string, allowExec bool) string {
	t.Helper()
	a, err := newAgent(root, allowExec)
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(qemutest.SocketDir(t), "qga.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.serve(ctx, ln, slog.New(slog.DiscardHandler)) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
		a.close()
	})
	return sock
}

// startAgent serves an agent confined to a new directory and returns a
// connected client and that directory.
func startAgent(t *testing.T, allowExec bool) (*qga.Conn, string) {
	t.Helper()
	root := t.TempDir()
	sock := serveAgent(t, root, allowExec)
	dctx, dcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer dcancel()
	conn, err := qga.Dial(dctx, "unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn, root
}

func TestAgent(t *testing.T) {
	conn, root := startAgent(t, false)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := conn.GuestPing(ctx, nil); err != nil {
		t.Fatal(err)
	}
	info, err := conn.GuestInfo(ctx, nil)
	if err != nil || info.Version != version {
		t.Fatalf("guest-info: %+v, %v", info, err)
	}
	enabled := map[string]bool{}
	for _, c := range info.SupportedCommands {
		enabled[c.Name] = c.Enabled
	}
	if !enabled["guest-file-read"] || enabled["guest-exec"] || enabled["guest-shutdown"] {
		t.Errorf("guest-info enabled: file-read %v, exec %v, shutdown %v", enabled["guest-file-read"], enabled["guest-exec"], enabled["guest-shutdown"])
	}
	if os, err := conn.GuestGetOsinfo(ctx, nil); err != nil || os.KernelRelease == nil || os.Machine == nil {
		t.Errorf("guest-get-osinfo: %+v, %v", os, err)
	}
	host, _ := os.Hostname()
	if h, err := conn.GuestGetHostName(ctx, nil); err != nil || h.HostName != host {
		t.Errorf("guest-get-host-name: %+v, %v", h, err)
	}
	if ns, err := conn.GuestGetTime(ctx, nil); err != nil || time.Since(time.Unix(0, ns)).Abs() > time.Minute {
		t.Errorf("guest-get-time: %v, %v", ns, err)
	}

	// Files go through the generated client's chunked helpers.
	payload := bytes.Repeat([]byte("qapi-go "), 100000)
	if err := conn.WriteFile(ctx, filepath.Join(root, "data.bin"), payload); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(root, "data.bin")); err != nil || !bytes.Equal(b, payload) {
		t.Fatalf("file on disk: %d bytes, %v", len(b), err)
	}
	got, err := conn.ReadFile(ctx, "data.bin")
	if err != nil || !bytes.Equal(got, payload) {
		t.Fatalf("ReadFile: %d bytes, %v", len(got), err)
	}

	// Nothing outside the root is reachable.
	outside := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(outside, []byte("secret"), 0o600)
	os.Symlink(outside, filepath.Join(root, "link"))
	for _, p := range []string{"../secret", "link", outside, root + "/../secret"} {
		if _, err := conn.ReadFile(ctx, p); !errors.Is(err, runtime.GenericError) {
			t.Errorf("ReadFile(%q) = %v, want a GenericError", p, err)
		}
	}

	// guest-exec is off.
	if _, err := conn.Exec(ctx, "/bin/true"); !errors.Is(err, runtime.CommandNotFound) {
		t.Errorf("Exec without -allow-exec: %v", err)
	}
}

func TestAgentExec(t *testing.T) {
	conn, _ := startAgent(t, true)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := conn.Exec(ctx, "/bin/sh", "-c", "echo out; echo err >&2; exit 3")
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 3 || string(res.Stdout) != "out\n" || string(res.Stderr) != "err\n" {
		t.Errorf("Exec: exit %d, stdout %q, stderr %q", res.ExitCode, res.Stdout, res.Stderr)
	}
}

// TestQMPShell drives the agent with QEMU's qmp-shell in its guest agent
// mode (-N: no greeting, no negotiation), as qemu-ga's users do.
func TestQMPShell(t *testing.T) {
	python, path := qemutest.QEMUPython(t)
	sock := serveAgent(t, t.TempDir(), false)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, "-m", "qemu.qmp.qmp_shell", "-N", sock)
	cmd.Env = append(os.Environ(), "PYTHONPATH="+path)
	cmd.Stdin = strings.NewReader("guest-ping\nguest-sync id=5\nguest-get-host-name\nguest-exec path=/bin/true\n")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("qmp-shell: %v\n%s", err, out)
	}
	host, _ := os.Hostname()
	for _, want := range []string{
		`{"return": {}}`,
		`{"return": 5}`,
		`{"return": {"host-name": "` + host + `"}}`,
		`"desc": "Command guest-exec has been disabled"`,
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("qmp-shell output lacks %s:\n%s", want, out)
		}
	}
}
