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
	"github.com/qapi-go/qapi/runtime/codec"
)

var update = flag.Bool("update", false, "record the replies of real peers into testdata/replies (review the diff!)")

// repliesDir holds the replies recorded from real peers.
const repliesDir = "../../testdata/replies"

// qemuPeer is a real QEMU the peer tests run: an emulator, the machine
// it runs, and where its replies are recorded.
type qemuPeer struct {
	// name names the subtest.
	name string
	// binary finds the emulator; it skips the test (fails it under
	// CI=true) when the emulator is missing.
	binary func(testing.TB) string
	// target is the QEMU target of an emulator other than x86_64
	// ("aarch64"): its replies are recorded under qemu-MAJOR.MINOR-TARGET,
	// x86_64's under qemu-MAJOR.MINOR.
	target string
	// machine is the machine it runs, its devices and backends.
	machine []string
	// minChecked is how many query commands must answer at least: fewer
	// means the machine did not come up as meant.
	minChecked int
	// mustAnswer are the target's own commands: each must be among those
	// that answered, or the target's part of the schema went unchecked.
	mustAnswer []string
}

// qemuPeers are the QEMUs TestPeerQueries runs: the installed QEMU 7.2
// (Debian 12's) of three targets, so that target-specific commands and
// members (arm's GIC, s390x's CPU models, CpuInfoFast's per-target
// branches, other boards' machines) meet real replies too, and Debian
// sid's x86_64, newer than the bindings.
var qemuPeers = []qemuPeer{
	{
		name: "installed", binary: qemutest.Require, machine: peerMachine("q35", "pci"), minChecked: 30,
		mustAnswer: []string{"query-cpu-model-expansion", "query-sev", "query-hotpluggable-cpus"},
	},
	{
		name: "sid", binary: sidBinary, machine: peerMachine("q35", "pci"), minChecked: 30,
		mustAnswer: []string{"query-cpu-model-expansion"},
	},
	{
		name: "aarch64", binary: qemutest.RequireAarch64, target: "aarch64", machine: peerMachine("virt", "pci", "-cpu", "max"), minChecked: 30,
		mustAnswer: []string{"query-gic-capabilities", "query-cpu-model-expansion", "query-cpu-definitions"},
	},
	{
		name: "s390x", binary: qemutest.RequireS390x, target: "s390x", machine: peerMachine("s390-ccw-virtio", "ccw"), minChecked: 30,
		mustAnswer: []string{"query-cpu-model-expansion", "query-cpu-model-baseline", "query-cpu-model-comparison", "query-cpu-definitions"},
	},
}

// queryArgs are the arguments of the query commands that need some, as
// JSON; they are decoded into the command's typed arguments, so that
// those are checked too. A peer is asked those it has: the CPU model
// queries are s390x's, arm's and x86_64's own.
var queryArgs = map[string]string{
	"query-cpu-model-expansion":  `{"type": "full", "model": {"name": "max"}}`,
	"query-cpu-model-baseline":   `{"modela": {"name": "z13"}, "modelb": {"name": "z14"}}`,
	"query-cpu-model-comparison": `{"modela": {"name": "z13"}, "modelb": {"name": "z14"}}`,
}

func sidBinary(tb testing.TB) string {
	tb.Helper()
	bin, _ := qemutest.RequireSid(tb)
	return bin
}

// peerMachine is what the peers run: a machine of the given type that
// never starts (-S: no disk, no firmware run), with a few devices and
// backends so that the query commands have something to report. bus is
// the bus its virtio devices sit on: "pci" (x86_64's q35, arm's virt)
// or "ccw" (s390x, whose machine has no USB controller).
func peerMachine(machine, bus string, extra ...string) []string {
	args := []string{
		"-machine", machine, "-S", "-m", "128M", "-smp", "1,maxcpus=2",
		"-object", "iothread,id=io0",
		"-object", "memory-backend-ram,id=mem0,size=16M",
		"-blockdev", "driver=null-co,node-name=null0,size=1048576",
		"-device", "virtio-scsi-" + bus + ",id=scsi0,iothread=io0",
		"-device", "scsi-hd,drive=null0,bus=scsi0.0,id=hd0",
		"-device", "virtio-balloon-" + bus + ",id=balloon0",
		"-chardev", "null,id=chr0",
		"-netdev", "hubport,id=net0,hubid=0", "-device", "virtio-net-" + bus + ",netdev=net0,id=nic0",
	}
	if bus == "pci" {
		args = append(args, "-device", "qemu-xhci,id=usb0", "-device", "usb-tablet,id=tablet0")
	}
	return append(args, extra...)
}

// TestPeerQueries calls every query command that both the bindings and a
// real QEMU have and that needs no arguments, against each of
// qemuPeers, one machine and one QMP session each. Each typed reply
// must re-encode to what QEMU sent: nothing dropped, nothing added; a
// release the bindings span (7.2) must also decode typed, nothing in
// UnknownMembers. With -update the replies are recorded into
// testdata/replies/qemu-MAJOR.MINOR[-TARGET] for TestRecordedReplies.
func TestPeerQueries(t *testing.T) {
	t.Parallel()
	for _, p := range qemuPeers {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			checkPeerQueries(t, p)
		})
	}
}

func checkPeerQueries(t *testing.T, p qemuPeer) {
	kb := qemutest.ReadKnownBad(t, "../../testdata/replies-pending.txt", qemutest.PendingCategories...)
	q := qemutest.StartBinary(t, p.binary(t), p.machine...)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	conn, err := qmp.Dial(ctx, "unix", q.Socket)
	if err != nil {
		t.Fatalf("qmp.Dial: %v\n%s", err, q.Output())
	}
	defer conn.Close()
	v := conn.Version()
	peer := fmt.Sprintf("qemu-%d.%d", v.Major, v.Minor)
	if p.target != "" {
		peer += "-" + p.target
		// Record nothing under the wrong name: an override such as
		// QEMUTEST_QEMU_AARCH64 may name another emulator.
		var target struct {
			Arch string `json:"arch"`
		}
		if err := conn.Call(ctx, "query-target", nil, &target); err != nil || target.Arch != p.target {
			t.Fatalf("%s: query-target says %q (%v), want %q", p.name, target.Arch, err, p.target)
		}
	}
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
		argsJSON, withArgs := queryArgs[c.Name]
		if spec == nil || !isQuery(c.Name) || (!withArgs && !needsNoArgs(spec.NewArgs)) {
			continue
		}
		var args any
		if withArgs {
			args = spec.NewArgs()
			if err := codec.Unmarshal([]byte(argsJSON), args); err != nil {
				t.Fatalf("%s: arguments %s: %v", c.Name, argsJSON, err)
			}
		}
		var raw json.RawMessage
		err := conn.Call(ctx, c.Name, args, &raw)
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
	if len(checked) < p.minChecked {
		t.Errorf("%s: only %d query commands answered, want at least %d", peer, len(checked), p.minChecked)
	}
	for _, c := range p.mustAnswer {
		if !slices.Contains(checked, c) {
			t.Errorf("%s: %s did not answer: the target's own replies went unchecked", peer, c)
		}
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
