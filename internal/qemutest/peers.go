package qemutest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Peers of several ages. The installed QEMU (Debian 12's 7.2) is found
// by Require and RequireAgent; a QEMU newer than the bindings comes from
// Debian sid, unpacked by the shared tool qemu-sid into a directory that
// holds the wrappers qemu-system-x86_64 and qemu-ga, named by SidEnv.

// SidEnv names the directory of sid's QEMU wrappers
// ("QAPI_QEMU_SID=/tmp/qemu-sid").
const SidEnv = "QAPI_QEMU_SID"

// SidUnavailableEnv, set by CI when unpacking sid's QEMU failed (sid
// moves: its packages can be missing for a while), holds the reason; the
// tests of sid's peers then skip loudly, even under CI=true. Nothing
// else may skip in CI.
const SidUnavailableEnv = "QAPI_QEMU_SID_UNAVAILABLE"

// RequireSid returns the paths of sid's qemu-system-x86_64 and qemu-ga
// wrappers, or skips tb: with a loud message when SidUnavailableEnv says
// why; otherwise, when SidEnv is unset, it fails under CI=true and skips
// outside CI.
func RequireSid(tb testing.TB) (qemu, agent string) {
	tb.Helper()
	dir := os.Getenv(SidEnv)
	if dir == "" {
		if why := os.Getenv(SidUnavailableEnv); why != "" {
			tb.Logf("!!! SKIPPING the tests against Debian sid's QEMU: it could not be unpacked: %s", why)
			tb.Skip("sid's QEMU is unavailable: " + why)
		}
		Unavailable(tb, "%s is not set (run /work/shared/tools/qemu-sid DIR, or ../shared/tools/qemu-sid DIR, and set %s=DIR)", SidEnv, SidEnv)
	}
	qemu, agent = filepath.Join(dir, Binary), filepath.Join(dir, AgentBinary)
	for _, p := range []string{qemu, agent} {
		if fi, err := os.Stat(p); err != nil || fi.Mode()&0o111 == 0 {
			tb.Fatalf("%s=%s: %s is not an executable wrapper (%v)", SidEnv, dir, p, err)
		}
	}
	return qemu, agent
}

// Replies recorded from real peers live in testdata/replies/PEER/ (PEER
// is "qemu-7.2", "qemu-7.2-aarch64", "qga-11.1", ...), one file per command, COMMAND.json,
// holding the peer's reply as one JSON line: {"return": VALUE} as the
// peer sent VALUE, or {"error": {"class": ..., "desc": ...}}.

// WriteReply records the reply to command: ret is the return value as
// the peer sent it, or, when ret is nil, errClass and errDesc describe
// the error reply.
func WriteReply(tb testing.TB, dir, command string, ret json.RawMessage, errClass, errDesc string) {
	tb.Helper()
	var line []byte
	if ret != nil {
		var b bytes.Buffer
		if err := json.Compact(&b, ret); err != nil {
			tb.Fatalf("%s: reply is not JSON: %v", command, err)
		}
		line = append(append([]byte(`{"return":`), b.Bytes()...), '}')
	} else {
		e, err := json.Marshal(map[string]map[string]string{"error": {"class": errClass, "desc": errDesc}})
		if err != nil {
			tb.Fatal(err)
		}
		line = e
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, command+".json"), append(line, '\n'), 0o644); err != nil {
		tb.Fatal(err)
	}
}

// Reply is a recorded reply.
type Reply struct {
	Command string
	// Return is the return value as the peer sent it; nil for an error
	// reply.
	Return json.RawMessage
	// Error is the error reply's class, "" for a return.
	Error string
}

// ReadReplies reads the replies recorded in dir, sorted by command.
func ReadReplies(tb testing.TB, dir string) []Reply {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		tb.Fatal(err)
	}
	slices.Sort(files)
	var out []Reply
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Buffer(nil, len(b)+1)
		if !sc.Scan() || bytes.Count(bytes.TrimSpace(b), []byte("\n")) != 0 {
			tb.Fatalf("%s: want one JSON line", f)
		}
		var msg struct {
			Return json.RawMessage `json:"return"`
			Error  *struct {
				Class string `json:"class"`
			} `json:"error"`
		}
		if err := json.Unmarshal(sc.Bytes(), &msg); err != nil || (msg.Return == nil) == (msg.Error == nil) {
			tb.Fatalf("%s: want {\"return\": ...} or {\"error\": ...}: %v", f, err)
		}
		r := Reply{Command: strings.TrimSuffix(filepath.Base(f), ".json"), Return: msg.Return}
		if msg.Error != nil {
			r.Error = msg.Error.Class
		}
		out = append(out, r)
	}
	return out
}

// CheckTypedReply is CheckReply for a peer whose release the bindings
// span (one of their Releases): besides re-encoding to what the peer
// sent, the reply must decode typed, every member into a field, none
// into an UnknownMembers map.
func CheckTypedReply(b Bindings, command string, ret json.RawMessage) string {
	if p := CheckReply(b, command, ret); p != "" {
		return p
	}
	c, _ := b.Command(command)
	if c.NewResult == nil {
		return ""
	}
	v := c.NewResult()
	if err := b.Unmarshal(ret, v); err != nil {
		return err.Error()
	}
	if u := UnknownMembers(v); len(u) > 0 {
		return fmt.Sprintf("the peer's release is in the bindings' range, but members decode untyped, into UnknownMembers: %s", strings.Join(u, ", "))
	}
	return ""
}

// PeerInRange reports whether peer (a name such as "qemu-7.2",
// "qemu-7.2-aarch64" or "qga-10.0": what the replies are recorded under,
// a peer of a target other than x86_64 naming it last) is a release of
// releases (the bindings' Releases).
func PeerInRange(peer string, releases []string) bool {
	_, rel, ok := strings.Cut(peer, "-")
	rel, _, _ = strings.Cut(rel, "-")
	return ok && slices.Contains(releases, rel)
}

// CheckReply checks that a command's return value, as a peer sent it,
// decodes into the command's typed result in b and re-encodes to the
// same JSON value: nothing dropped, nothing added. It returns the
// problem, "" when there is none.
func CheckReply(b Bindings, command string, ret json.RawMessage) string {
	c, ok := b.Command(command)
	if !ok {
		return fmt.Sprintf("the bindings have no command %q", command)
	}
	if c.NewResult == nil {
		if !isEmptyObject(ret) {
			return fmt.Sprintf("%s returns nothing ({}), the peer sent %.200s", command, compactJSON(ret))
		}
		return ""
	}
	diff, err := RoundTrip(c.NewResult(), ret, b.Unmarshal, b.Marshal)
	switch {
	case err != nil:
		return err.Error()
	case diff != "":
		return fmt.Sprintf("the typed result does not re-encode to what the peer sent (-sent +re-encoded):\n%s", diff)
	}
	return ""
}
