package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qapi-go/qapi/internal/leakcheck"
	"github.com/qapi-go/qapi/internal/qemutest"
	"github.com/qapi-go/qapi/runtime"
)

func TestMain(m *testing.M) { os.Exit(leakcheck.Main(m)) }

// runInProcess runs the tool's main logic with args and returns its exit
// code, stdout and stderr.
func runInProcess(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(&env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}, args)
	return code, out.String(), errb.String()
}

var (
	buildOnce sync.Once
	builtPath string
	buildErr  error
	buildOut  []byte
)

// qmpBinary builds the tool once per test run, for tests that run it as
// a process (in a terminal, under tmux).
func qmpBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "qmp-bin")
		if err != nil {
			buildErr = err
			return
		}
		builtPath = filepath.Join(dir, "qmp")
		cmd := exec.Command("go", "build", "-o", builtPath, ".")
		buildOut, buildErr = cmd.CombinedOutput()
	})
	if buildErr != nil {
		t.Fatalf("go build: %v\n%s", buildErr, buildOut)
	}
	return builtPath
}

// startQEMU starts QEMU 7.2 (-machine none) with its monitor socket and a
// second monitor, for a test's own connection while the tool holds the first.
func startQEMU(t *testing.T) (p *qemutest.Process, second string) {
	t.Helper()
	dir := qemutest.SocketDir(t)
	second = filepath.Join(dir, "second.sock")
	p = qemutest.Start(t, "-qmp", "unix:"+second+",server=on,wait=off")
	return p, second
}

// dialSecond connects to QEMU's second monitor. Start waits for the first
// socket only; the second may be bound a moment before QEMU listens on it.
func dialSecond(t *testing.T, ctx context.Context, socket string) *runtime.QMP {
	t.Helper()
	for {
		q, err := runtime.DialQMP(ctx, "unix", socket)
		if err == nil {
			return q
		}
		select {
		case <-ctx.Done():
			t.Fatalf("second monitor: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}
