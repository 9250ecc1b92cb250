package qmp_test

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/qapi-go/qapi/gen/qmp"
	"github.com/qapi-go/qapi/internal/qemutest"
	"github.com/qapi-go/qapi/runtime"
)

var update = flag.Bool("update", false, "record the replies of real peers into testdata/replies (review the diff!)")

// repliesDir holds the replies recorded from real peers.
const repliesDir = "../../testdata/replies"

// peerMachine is what the peers run: a q35 machine that never starts (no
// disk, no firmware run), with a few devices and backends so that the
// query commands have something to report.
var peerMachine = []string{
	"-machine", "q35", "-S", "-m", "128M", "-smp", "1,maxcpus=2",
	"-object", "iothread,id=io0",
	"-object", "memory-backend-ram,id=mem0,size=16M",
	"-blockdev", "driver=null-co,node-name=null0,size=1048576",
	"-device", "virtio-scsi-pci,id=scsi0,iothread=io0",
	"-device", "scsi-hd,drive=null0,bus=scsi0.0,id=hd0",
	"-device", "virtio-balloon-pci,id=balloon0",
	"-device", "qemu-xhci,id=usb0", "-device", "usb-tablet,id=tablet0",
	"-chardev", "null,id=chr0",
	"-netdev", "hubport,id=net0,hubid=0", "-device", "virtio-net-pci,netdev=net0,id=nic0",
}

// TestPeerQueries calls every query command that both the bindings and a
// real QEMU have and that needs no arguments, against QEMUs of several
// ages: the installed one (Debian 12's 7.2) and Debian sid's (newer than
// the bindings). Each typed reply must re-encode to what QEMU sent:
// nothing dropped, nothing added; a release the bindings span (7.2) must
// also decode typed, nothing in UnknownMembers. With -update the replies are recorded
// into testdata/replies/qemu-MAJOR.MINOR for TestRecordedReplies.
func TestPeerQueries(t *testing.T) {
	t.Parallel()
	t.Run("installed", func(t *testing.T) {
		t.Parallel()
		checkPeerQueries(t, qemutest.Require(t))
	})
	t.Run("sid", func(t *testing.T) {
		t.Parallel()
		bin, _ := qemutest.RequireSid(t)
		checkPeerQueries(t, bin)
	})
}

func checkPeerQueries(t *testing.T, bin string) {
	kb := qemutest.ReadKnownBad(t, "../../testdata/replies-pending.txt", qemutest.PendingCategories...)
	q := qemutest.StartBinary(t, bin, peerMachine...)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	conn, err := qmp.Dial(ctx, "unix", q.Socket)
	if err != nil {
		t.Fatalf("qmp.Dial: %v\n%s", err, q.Output())
	}
	defer conn.Close()
	v := conn.Version()
	peer := fmt.Sprintf("qemu-%d.%d", v.Major, v.Minor)
	if *update {
		// A fresh recording: replies to commands the peer no longer
		// has must not linger.
		if err := os.RemoveAll(filepath.Join(repliesDir, peer)); err != nil {
			t.Fatal(err)
		}
	}
	var cmds []struct {
		Name string `json:"name"`
	}
	if err := conn.Call(ctx, "query-commands", nil, &cmds); err != nil {
		t.Fatal(err)
	}
	var checked, refused []string
	for _, c := range cmds {
		spec := qmp.Commands[c.Name]
		if spec == nil || !isQuery(c.Name) || !needsNoArgs(spec.NewArgs) {
			continue
		}
		var raw json.RawMessage
		err := conn.Call(ctx, c.Name, nil, &raw)
		var ce *runtime.CommandError
		switch {
		case errors.As(err, &ce):
			// QEMU refuses it on this machine (no SEV, no KVM, ...):
			// nothing to decode.
			refused = append(refused, c.Name+" ("+string(ce.Class)+")")
			if *update {
				qemutest.WriteReply(t, filepath.Join(repliesDir, peer), c.Name, nil, string(ce.Class), ce.Desc)
			}
			continue
		case err != nil:
			t.Fatalf("%s: %v", c.Name, err)
		}
		checked = append(checked, c.Name)
		if *update {
			qemutest.WriteReply(t, filepath.Join(repliesDir, peer), c.Name, raw, "", "")
		}
		kb.Check(t, peer+"/"+c.Name, checkReply(peer, c.Name, raw))
	}
	kb.Finish(t, peer+"/")
	slices.Sort(checked)
	t.Logf("%s: %d query commands checked: %s", peer, len(checked), strings.Join(checked, " "))
	t.Logf("%s: %d refused by QEMU here: %s", peer, len(refused), strings.Join(refused, ", "))
	if len(checked) < 30 {
		t.Errorf("%s: only %d query commands answered", peer, len(checked))
	}
}

// isQuery reports whether a command only reports state: query-* and
// x-query-*, all of which QEMU implements without side effects.
func isQuery(name string) bool {
	return strings.HasPrefix(strings.TrimPrefix(name, "x-"), "query-")
}

// needsNoArgs reports whether a command can be called without arguments:
// it has none, or all of its arguments are optional (a zero args value
// encodes as {}).
func needsNoArgs(newArgs func() any) bool {
	if newArgs == nil {
		return true
	}
	b, err := json.Marshal(newArgs())
	return err == nil && string(b) == "{}"
}

// TestRecordedReplies replays the replies recorded from real QEMUs
// (testdata/replies/qemu-*) through the typed API, without QEMU: each
// must re-encode to what QEMU sent, and decode typed when the
// bindings span its release.
func TestRecordedReplies(t *testing.T) {
	kb := qemutest.ReadKnownBad(t, "../../testdata/replies-pending.txt", qemutest.PendingCategories...)
	dirs, err := filepath.Glob(filepath.Join(repliesDir, "qemu-*"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no recorded replies in %s (%v)", repliesDir, err)
	}
	for _, dir := range dirs {
		peer := filepath.Base(dir)
		t.Run(peer, func(t *testing.T) {
			n := 0
			for _, r := range qemutest.ReadReplies(t, dir) {
				if r.Error != "" {
					continue
				}
				n++
				kb.Check(t, peer+"/"+r.Command, checkReply(peer, r.Command, r.Return))
			}
			kb.Finish(t, peer+"/")
			t.Logf("%s: %d replies checked", peer, n)
		})
	}
}

// checkReply checks a peer's reply through the typed API: it must
// re-encode to what the peer sent and, when the peer's release is one
// the bindings span, decode typed (nothing in UnknownMembers).
func checkReply(peer, command string, ret json.RawMessage) string {
	if qemutest.PeerInRange(peer, qmp.Releases) {
		return qemutest.CheckTypedReply(bindings, command, ret)
	}
	return qemutest.CheckReply(bindings, command, ret)
}
