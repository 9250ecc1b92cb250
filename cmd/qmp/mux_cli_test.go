package main

import (
	"bytes"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qapi-go/qapi/internal/qemutest"
)

// TestMuxCommand runs the qmp binary as an operator would: "qmp mux" in
// front of QEMU, "qmp call" through it on both sockets, then QEMU's exit
// ends the mux with status 1.
func TestMuxCommand(t *testing.T) {
	bin := qmpBinary(t)
	p := qemutest.Start(t)
	dir := qemutest.SocketDir(t)
	sock, ro, logf := filepath.Join(dir, "mux.sock"), filepath.Join(dir, "ro.sock"), filepath.Join(dir, "traffic.jsonl")
	mux := exec.Command(bin, "mux", "-qemu", p.Socket, "-listen", sock, "-readonly-listen", ro, "-readonly-allow", "query-name,query-st*", "-log", logf)
	var muxErr bytes.Buffer
	mux.Stderr = &muxErr
	if err := mux.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- mux.Wait() }()
	t.Cleanup(func() {
		mux.Process.Kill()
		<-exited
	})
	deadline := time.Now().Add(20 * time.Second)
	for _, s := range []string{sock, ro} {
		for {
			c, err := net.Dial("unix", s)
			if err == nil {
				c.Close()
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("mux socket %s: %v (mux stderr %q)", s, err, muxErr.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	call := func(args ...string) (int, string, string) {
		c := exec.Command(bin, append([]string{"call", "-compact"}, args...)...)
		var out, errb bytes.Buffer
		c.Stdout, c.Stderr = &out, &errb
		err := c.Run()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode(), out.String(), errb.String()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0, out.String(), errb.String()
	}
	if code, out, errs := call(sock, "query-status"); code != 0 || !strings.Contains(out, `"status":"running"`) {
		t.Errorf("call through the mux: exit %d, %q, %q", code, out, errs)
	}
	if code, out, errs := call(ro, "query-status"); code != 0 || !strings.Contains(out, `"status"`) {
		t.Errorf("query-status on the read-only socket: exit %d, %q, %q", code, out, errs)
	}
	if code, _, errs := call(ro, "query-version"); code != 1 || !strings.Contains(errs, "GenericError: qmp mux: command 'query-version' is not allowed on the read-only socket") {
		t.Errorf("query-version, not on the configured list: exit %d, %q", code, errs)
	}
	if code, _, errs := call(ro, "stop"); code != 1 || !strings.Contains(errs, "'stop' is not allowed") {
		t.Errorf("stop on the read-only socket: exit %d, %q", code, errs)
	}
	p.Kill()
	select {
	case err := <-exited:
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(muxErr.String(), "QEMU went away") {
			t.Errorf("after QEMU exited the mux ended with %v, stderr %q; want status 1", err, muxErr.String())
		}
		exited <- err // for the cleanup
	case <-time.After(20 * time.Second):
		t.Fatal("the mux did not exit after QEMU did")
	}
	if data, err := os.ReadFile(logf); err != nil || !strings.Contains(string(data), `"dir":"in","msg":{"execute":"query-status"}`) {
		t.Errorf("traffic log: %v\n%s", err, data)
	}
	if code, _, errs := runInProcess(t, "", "mux", "-qemu", p.Socket); code != 2 || !strings.Contains(errs, "want -qemu SOCKET -listen SOCKET") {
		t.Errorf("mux without -listen: exit %d, %q", code, errs)
	}
	if code, _, errs := runInProcess(t, "", "mux", "-qemu", "x", "-listen", "y", "-readonly-allow", "a*b"); code != 2 || !strings.Contains(errs, `allow-list item 1 "a*b"`) {
		t.Errorf("bad allow-list: exit %d, %q", code, errs)
	}
}
