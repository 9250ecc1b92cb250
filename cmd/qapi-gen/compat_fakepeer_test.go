package main

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qapi-go/qapi/compat"
	"github.com/qapi-go/qapi/runtime/fakepeer"
)

// craftedPeer serves compat's crafted live schema on a unix socket.
func craftedPeer(t *testing.T) string {
	t.Helper()
	reply, err := os.ReadFile(filepath.Join("..", "..", "compat", "testdata", "crafted-live.json"))
	if err != nil {
		t.Fatal(err)
	}
	peer := fakepeer.New(t, fakepeer.Config{Handler: func(cmd string, args json.RawMessage) fakepeer.Response {
		if cmd == "query-qmp-schema" {
			return fakepeer.Response{Return: json.RawMessage(reply)}
		}
		return fakepeer.Response{Error: &fakepeer.Error{Class: "CommandNotFound", Desc: "The command " + cmd + " has not been found"}}
	}})
	// Our own listener rather than peer.Listen: the peer's unix-socket
	// reader (ReadMsgUnix, for SCM_RIGHTS) can panic on a read error
	// when the client hangs up (n == -1; reported to its owner). Hiding
	// the *net.UnixConn behind a plain net.Conn makes it use Read; compat
	// passes no file descriptors.
	dir, err := os.MkdirTemp("", "compat") // short: unix socket paths are limited
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "qmp.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		conn, err := ln.Accept()
		ln.Close()
		if err != nil {
			return
		}
		peer.Serve(struct{ net.Conn }{conn})
	}()
	t.Cleanup(func() { ln.Close() })
	return sock
}

func TestCompatFakePeer(t *testing.T) {
	t.Run("text", func(t *testing.T) {
		code, stdout, stderr := runCLI("compat", "-schema", craftedSchema, craftedPeer(t))
		if code != 0 {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
		for _, want := range []string{
			"bindings: " + craftedSchema + "\n",
			"QEMU:     10.2.2 (v10.2.2)\n",
			"Commands the QEMU lacks (1):\n  only-bindings [if CONFIG_X; unstable]\n",
			"Commands the QEMU has that the bindings lack (1):\n  only-qemu\n",
			"    arguments.mode (Mode): QEMU lacks enum value \"b\"\n",
			"    arguments (Thing): QEMU lacks union branch \"b\"\n",
			"\nsummary: QEMU lacks 1 commands, 1 events;",
		} {
			if !strings.Contains(stdout, want) {
				t.Errorf("output lacks %q:\n%s", want, stdout)
			}
		}
	})
	t.Run("json", func(t *testing.T) {
		code, stdout, stderr := runCLI("compat", "-json", "-schema", craftedSchema, "unix:"+craftedPeer(t))
		if code != 0 {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
		var r compat.Report
		if err := json.Unmarshal([]byte(stdout), &r); err != nil {
			t.Fatalf("output is not a JSON report: %v\n%s", err, stdout)
		}
		if len(r.MissingCommands) != 1 || r.MissingCommands[0].Name != "only-bindings" || len(r.Differences) != 12 {
			t.Errorf("unexpected report: %+v", r)
		}
	})
}
