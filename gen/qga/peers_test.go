package qga_test

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

	"github.com/qapi-go/qapi/gen/qga"
	"github.com/qapi-go/qapi/internal/qemutest"
	"github.com/qapi-go/qapi/runtime"
)

var update = flag.Bool("update", false, "record the replies of real agents into testdata/replies (review the diff!)")

// repliesDir holds the replies recorded from real peers.
const repliesDir = "../../testdata/replies"

// readOnlyCommands are the agent commands TestPeerQueries calls: each
// only reports the state of the machine the agent runs on (here: the
// test host) and needs no arguments. Every other command the bindings
// know is blocked in the agents the test starts.
var readOnlyCommands = []string{
	"guest-info",
	"guest-get-osinfo",
	"guest-get-host-name",
	"guest-get-timezone",
	"guest-get-time",
	"guest-get-users",
	"guest-get-vcpus",
	"guest-get-memory-blocks",
	"guest-get-memory-block-info",
	"guest-get-fsinfo",
	"guest-get-disks",
	"guest-get-devices",
	"guest-get-cpustats",
	"guest-get-diskstats",
	"guest-get-load",
	"guest-network-get-interfaces",
	"guest-network-get-route",
	"guest-fsfreeze-status",
}

// TestPeerQueries calls every read-only command of readOnlyCommands that
// both the bindings and a real qemu-ga have, against agents of several
// ages: the installed one (Debian 12's 7.2) and Debian sid's (newer than
// the bindings), each run on the host with every other command blocked.
// Each typed reply must re-encode to what the agent sent: nothing
// dropped, nothing added; a release the bindings span (7.2) must also
// decode typed, nothing in UnknownMembers. With -update the replies are recorded into
// testdata/replies/qga-MAJOR.MINOR for TestRecordedReplies.
func TestPeerQueries(t *testing.T) {
	t.Run("installed", func(t *testing.T) {
		checkAgentQueries(t, qemutest.RequireAgent(t))
	})
	t.Run("sid", func(t *testing.T) {
		_, bin := qemutest.RequireSid(t)
		checkAgentQueries(t, bin)
	})
}

// blockedForPeerQueries is every command the bindings know except the
// read-only ones and the synchronisation the session needs.
func blockedForPeerQueries() []string {
	var out []string
	for name := range qga.Commands {
		if !slices.Contains(readOnlyCommands, name) && name != "guest-sync" && name != "guest-sync-delimited" && name != "guest-ping" {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

func checkAgentQueries(t *testing.T, bin string) {
	kb := qemutest.ReadKnownBad(t, "../../testdata/replies-pending.txt", qemutest.PendingCategories...)
	a := qemutest.StartAgentBinary(t, bin, blockedForPeerQueries()...)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ga, err := qga.Dial(ctx, "unix", a.Socket)
	if err != nil {
		t.Fatalf("qga.Dial: %v\n%s", err, a.Output())
	}
	defer ga.Close()
	var info json.RawMessage
	if err := ga.Call(ctx, "guest-info", nil, &info); err != nil {
		t.Fatal(err)
	}
	var gi struct {
		Version  string `json:"version"`
		Commands []struct {
			Name    string `json:"name"`
			Enabled bool   `json:"enabled"`
		} `json:"supported_commands"`
	}
	if err := json.Unmarshal(info, &gi); err != nil {
		t.Fatal(err)
	}
	var major, minor int
	if _, err := fmt.Sscanf(gi.Version, "%d.%d", &major, &minor); err != nil {
		t.Fatalf("guest-info version %q: %v", gi.Version, err)
	}
	peer := fmt.Sprintf("qga-%d.%d", major, minor)
	if *update {
		// A fresh recording: replies to commands the peer no longer
		// has must not linger.
		if err := os.RemoveAll(filepath.Join(repliesDir, peer)); err != nil {
			t.Fatal(err)
		}
	}
	enabled := map[string]bool{}
	for _, c := range gi.Commands {
		enabled[c.Name] = c.Enabled
		if c.Enabled && qga.Commands[c.Name] != nil && !slices.Contains(readOnlyCommands, c.Name) &&
			!slices.Contains([]string{"guest-sync", "guest-sync-delimited", "guest-ping"}, c.Name) {
			t.Errorf("%s: %s is enabled: it should be blocked", peer, c.Name)
		}
	}
	var checked, refused []string
	for _, name := range readOnlyCommands {
		if qga.Commands[name] == nil || !enabled[name] {
			continue
		}
		var raw json.RawMessage
		err := ga.Call(ctx, name, nil, &raw)
		var ce *runtime.CommandError
		switch {
		case errors.As(err, &ce):
			// Not supported on this host (no memory hotplug, ...).
			refused = append(refused, name+" ("+string(ce.Class)+")")
			if *update {
				qemutest.WriteReply(t, filepath.Join(repliesDir, peer), name, nil, string(ce.Class), ce.Desc)
			}
			continue
		case err != nil:
			t.Fatalf("%s: %v", name, err)
		}
		checked = append(checked, name)
		if *update {
			qemutest.WriteReply(t, filepath.Join(repliesDir, peer), name, raw, "", "")
		}
		kb.Check(t, peer+"/"+name, checkReply(peer, name, raw))
	}
	kb.Finish(t, peer+"/")
	t.Logf("%s: %d commands checked: %s", peer, len(checked), strings.Join(checked, " "))
	t.Logf("%s: %d refused by the agent here: %s", peer, len(refused), strings.Join(refused, ", "))
	if len(checked) < 8 {
		t.Errorf("%s: only %d commands answered", peer, len(checked))
	}
}

// TestRecordedReplies replays the replies recorded from real agents
// (testdata/replies/qga-*) through the typed API, without an agent: each
// must re-encode to what the agent sent, and decode typed when the
// bindings span its release.
func TestRecordedReplies(t *testing.T) {
	kb := qemutest.ReadKnownBad(t, "../../testdata/replies-pending.txt", qemutest.PendingCategories...)
	dirs, err := filepath.Glob(filepath.Join(repliesDir, "qga-*"))
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
	if qemutest.PeerInRange(peer, qga.Releases) {
		return qemutest.CheckTypedReply(bindings, command, ret)
	}
	return qemutest.CheckReply(bindings, command, ret)
}
