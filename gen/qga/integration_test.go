package qga_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qapi-go/qapi/gen/qga"
	"github.com/qapi-go/qapi/internal/qemutest"
	"github.com/qapi-go/qapi/runtime"
)

// The integration tests run Debian's qemu-ga (QEMU 7.2 on Debian 12) on
// the host, with every command that would act on the host blocked, and
// talk to it through the typed API only: bindings generated from QEMU
// 10.2.2 against an older agent, so replies with members the bindings
// lack, optional members missing and unknown enum values must all decode.
// Every file the agent touches is in the agent's temporary directory.

func dialAgent(t testing.TB) (*qga.Conn, *qemutest.Process) {
	t.Helper()
	return dialProcess(t, qemutest.StartAgent(t))
}

func dialProcess(t testing.TB, a *qemutest.Process) (*qga.Conn, *qemutest.Process) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ga, err := qga.Dial(ctx, "unix", a.Socket)
	if err != nil {
		t.Fatalf("qga.Dial: %v\nagent output:\n%s", err, a.Output())
	}
	t.Cleanup(func() { ga.Close() })
	return ga, a
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestIntegrationAgent(t *testing.T) {
	ga, agent := dialAgent(t)
	agentSuite(t, ga, agent, false)
}

// TestIntegrationGoAgent runs the same suite against examples/qga-agent,
// the guest agent written in Go on the generated qgaserver.Server and
// runtime/server: for the commands it implements it must give what
// qemu-ga gives. Subtests of commands it does not implement (it reports
// them disabled in guest-info, and refuses them as qemu-ga refuses a
// blocked command) skip, saying so.
func TestIntegrationGoAgent(t *testing.T) {
	ga, agent := dialProcess(t, qemutest.StartGoAgent(t))
	agentSuite(t, ga, agent, true)
}

// agentSuite is the integration suite. goAgent marks the Go agent, whose
// subtests skip commands it reports disabled; against qemu-ga nothing is
// skipped.
func agentSuite(t *testing.T, ga *qga.Conn, agent *qemutest.Process, goAgent bool) {
	requires := func(t *testing.T, command string) {
		t.Helper()
		if !goAgent {
			return
		}
		info, err := ga.GuestInfo(testContext(t), nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range info.SupportedCommands {
			if c.Name == command && c.Enabled {
				return
			}
		}
		t.Skipf("the Go agent does not implement %s", command)
	}

	t.Run("Sync", func(t *testing.T) {
		// Dial synchronised already; a second sync on a live session
		// must work too.
		if err := ga.Session().Sync(testContext(t)); err != nil {
			t.Fatal(err)
		}
		id, err := ga.GuestSync(testContext(t), &qga.GuestSyncArgs{ID: 123456789})
		if err != nil || id != 123456789 {
			t.Fatalf("guest-sync = %d, %v; want 123456789", id, err)
		}
	})

	t.Run("Ping", func(t *testing.T) {
		if err := ga.GuestPing(testContext(t), nil); err != nil {
			t.Fatal(err)
		}
	})

	var info *qga.GuestAgentInfo
	t.Run("Info", func(t *testing.T) {
		var err error
		info, err = ga.GuestInfo(testContext(t), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("agent version %s, %d commands", info.Version, len(info.SupportedCommands))
		if info.Version == "" {
			t.Error("empty version")
		}
		cmds := map[string]qga.GuestAgentCommandInfo{}
		for _, c := range info.SupportedCommands {
			cmds[c.Name] = c
		}
		if c, ok := cmds["guest-ping"]; !ok || !c.Enabled || !c.SuccessResponse {
			t.Errorf("guest-ping: %+v, present %v; want enabled with a success response", c, ok)
		}
		if c, ok := cmds["guest-set-time"]; !ok || c.Enabled {
			t.Errorf("guest-set-time: %+v, present %v; want present and disabled (--block-rpcs)", c, ok)
		}
		if c, ok := cmds["guest-shutdown"]; !ok || c.SuccessResponse {
			t.Errorf("guest-shutdown: %+v, present %v; want no success response", c, ok)
		}
		// Commands of the installed agent the bindings lack, and the
		// other way round: informative only.
		var extra, missing []string
		for name := range cmds {
			if qga.Commands[name] == nil {
				extra = append(extra, name)
			}
		}
		for name := range qga.Commands {
			if _, ok := cmds[name]; !ok {
				missing = append(missing, name)
			}
		}
		slices.Sort(extra)
		slices.Sort(missing)
		t.Logf("agent commands the bindings lack: %v", extra)
		t.Logf("binding commands the agent lacks: %v", missing)
	})

	t.Run("OSInfo", func(t *testing.T) {
		os, err := ga.GuestGetOsinfo(testContext(t), nil)
		if err != nil {
			t.Fatal(err)
		}
		if os.KernelRelease == nil || *os.KernelRelease == "" {
			t.Errorf("no kernel-release in %+v", os)
		}
		if os.Machine == nil || *os.Machine == "" {
			t.Errorf("no machine in %+v", os)
		}
		t.Logf("os: id=%s kernel=%s machine=%s", deref(os.ID), deref(os.KernelRelease), deref(os.Machine))
	})

	t.Run("HostName", func(t *testing.T) {
		h, err := ga.GuestGetHostName(testContext(t), nil)
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.Hostname()
		if err != nil {
			t.Fatal(err)
		}
		if h.HostName != want {
			t.Errorf("host-name = %q, want %q", h.HostName, want)
		}
	})

	t.Run("Time", func(t *testing.T) {
		before := time.Now()
		ns, err := ga.GuestGetTime(testContext(t), nil)
		if err != nil {
			t.Fatal(err)
		}
		after := time.Now()
		got := time.Unix(0, ns)
		// The agent's clock is ours; it has microsecond resolution.
		if got.Before(before.Add(-time.Millisecond)) || got.After(after.Add(time.Millisecond)) {
			t.Errorf("guest-get-time = %v, want between %v and %v", got, before, after)
		}
	})

	t.Run("FileRoundTrip", func(t *testing.T) {
		ctx := testContext(t)
		data := make([]byte, 10<<20)
		rand.Read(data)
		path := filepath.Join(agent.Dir, "in.bin")

		// In: through an io.Reader that is not a bytes.Reader (so
		// nothing can be special-cased), in 4 MiB chunks.
		n, err := ga.CopyToGuest(ctx, path, struct{ io.Reader }{bytes.NewReader(data)})
		if err != nil || n != int64(len(data)) {
			t.Fatalf("CopyToGuest = %d, %v; want %d", n, err, len(data))
		}
		onDisk, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(onDisk, data) {
			t.Fatalf("file written through the agent differs (%d bytes, want %d)", len(onDisk), len(data))
		}

		// Out: streamed through the reader into a hash, never held
		// whole by the test either.
		r, err := ga.OpenReader(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		h := sha256.New()
		n, err = io.Copy(h, r)
		if err != nil || n != int64(len(data)) {
			t.Fatalf("io.Copy from the guest = %d, %v; want %d", n, err, len(data))
		}
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		if got, want := h.Sum(nil), sha256.Sum256(data); !bytes.Equal(got, want[:]) {
			t.Fatal("file read through the agent differs")
		}

		// Resume from an offset: Seek, then read the rest.
		r, err = ga.OpenReader(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		if pos, err := r.Seek(int64(len(data))-12345, io.SeekStart); err != nil || pos != int64(len(data))-12345 {
			t.Fatalf("Seek = %d, %v", pos, err)
		}
		tail, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(tail, data[len(data)-12345:]) {
			t.Fatalf("read after Seek: %d bytes, %v", len(tail), err)
		}
		r.Close()

		// Small odd chunks through Read and Write, and the helpers.
		out := filepath.Join(agent.Dir, "out.bin")
		w, err := ga.OpenWriter(ctx, out, "w", qga.WithChunkSize(100_003))
		if err != nil {
			t.Fatal(err)
		}
		for p := data[:1<<20]; len(p) > 0; {
			k := min(len(p), 77_777)
			if _, err := w.Write(p[:k]); err != nil {
				t.Fatal(err)
			}
			p = p[k:]
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		got, err := ga.ReadFile(ctx, out, qga.WithChunkSize(65_536))
		if err != nil || !bytes.Equal(got, data[:1<<20]) {
			t.Fatalf("ReadFile = %d bytes, %v; want the 1 MiB written", len(got), err)
		}
		var buf bytes.Buffer
		if n, err := ga.CopyFromGuest(ctx, &buf, path); err != nil || !bytes.Equal(buf.Bytes(), data) {
			t.Fatalf("CopyFromGuest = %d, %v (equal %v)", n, err, bytes.Equal(buf.Bytes(), data))
		}
		// An empty file, and appending.
		if err := ga.WriteFile(ctx, out, nil); err != nil {
			t.Fatal(err)
		}
		if got, err := ga.ReadFile(ctx, out); err != nil || len(got) != 0 {
			t.Fatalf("ReadFile of an empty file = %q, %v", got, err)
		}
		a, err := ga.OpenWriter(ctx, out, "a")
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(a, "one ")
		a.Close()
		a, err = ga.OpenWriter(ctx, out, "a")
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(a, "two")
		if err := a.Flush(); err != nil {
			t.Fatal(err)
		}
		a.Close()
		if got, err := ga.ReadFile(ctx, out); err != nil || string(got) != "one two" {
			t.Fatalf("appended file = %q, %v", got, err)
		}
	})

	t.Run("FileErrors", func(t *testing.T) {
		ctx := testContext(t)
		_, err := ga.OpenReader(ctx, filepath.Join(agent.Dir, "does-not-exist"))
		var ce *runtime.CommandError
		if !errors.As(err, &ce) {
			t.Fatalf("opening a missing file: %v, want a *runtime.CommandError", err)
		}
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("opening a missing file: %v is not fs.ErrNotExist", err)
		}
		t.Logf("missing file: %v", err)
		// A read over the agent's 48 MiB cap is refused by the agent
		// (the helpers never send one).
		path := filepath.Join(agent.Dir, "small")
		if err := ga.WriteFile(ctx, path, []byte("x")); err != nil {
			t.Fatal(err)
		}
		h, err := ga.GuestFileOpen(ctx, &qga.GuestFileOpenArgs{Path: path})
		if err != nil {
			t.Fatal(err)
		}
		defer ga.GuestFileClose(ctx, &qga.GuestFileCloseArgs{Handle: h})
		_, err = ga.GuestFileRead(ctx, &qga.GuestFileReadArgs{Handle: h, Count: qga.Ptr[int64](qga.MaxChunkSize + 1)})
		if !errors.As(err, &ce) {
			t.Fatalf("read over the cap: %v, want a command error", err)
		}
		r, err := ga.GuestFileRead(ctx, &qga.GuestFileReadArgs{Handle: h, Count: qga.Ptr[int64](qga.MaxChunkSize)})
		if err != nil || r.Count != 1 || !r.EOF {
			t.Fatalf("read at the cap = %+v, %v", r, err)
		}
	})

	t.Run("FileMaxChunk", func(t *testing.T) {
		// A whole 48 MiB read: its 64 MiB reply fits the session's
		// DefaultMaxMessageSize.
		if testing.Short() {
			t.Skip("moves 100 MB: not with -short")
		}
		ctx := testContext(t)
		data := make([]byte, qga.MaxChunkSize+1000)
		rand.Read(data)
		path := filepath.Join(agent.Dir, "max.bin")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		r, err := ga.OpenReader(ctx, path, qga.WithChunkSize(qga.MaxChunkSize))
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		got, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("read %d bytes, %v; want %d", len(got), err, len(data))
		}
	})

	t.Run("Exec", func(t *testing.T) {
		ctx := testContext(t)
		res, err := ga.Exec(ctx, "/bin/sh", "-c", "echo out; echo err >&2; exit 3")
		if err != nil {
			t.Fatal(err)
		}
		if res.ExitCode != 3 || res.Signal != 0 || res.Success() {
			t.Errorf("exit code %d signal %d, want 3 and 0", res.ExitCode, res.Signal)
		}
		if string(res.Stdout) != "out\n" || string(res.Stderr) != "err\n" {
			t.Errorf("stdout %q stderr %q, want \"out\\n\" and \"err\\n\"", res.Stdout, res.Stderr)
		}
		if res.StdoutTruncated || res.StderrTruncated {
			t.Errorf("truncated: %+v", res)
		}

		// Standard input, environment, a clean exit.
		res, err = ga.Run(ctx, qga.Command{
			Path:  "/bin/sh",
			Args:  []string{"-c", `tr a-z A-Z; echo "$GREETING"`},
			Env:   []string{"GREETING=hello", "PATH=/usr/bin:/bin"},
			Stdin: []byte("stdin data\n"),
		})
		if err != nil {
			t.Fatal(err)
		}
		if !res.Success() || string(res.Stdout) != "STDIN DATA\nhello\n" || res.Stderr != nil {
			t.Errorf("got %+v (stdout %q), want success with \"STDIN DATA\\nhello\\n\"", res, res.Stdout)
		}

		// Killed by a signal.
		res, err = ga.Exec(ctx, "/bin/sh", "-c", "kill -KILL $$")
		if err != nil {
			t.Fatal(err)
		}
		if res.Signal != 9 || res.ExitCode != -1 {
			t.Errorf("killed: exit code %d signal %d, want -1 and 9", res.ExitCode, res.Signal)
		}

		// Output over the agent's 16 MiB capture limit is truncated;
		// the 21 MiB reply fits the session's limit.
		if !testing.Short() {
			res, err = ga.Exec(ctx, "/bin/sh", "-c", "head -c 17000000 /dev/zero")
			if err != nil {
				t.Fatal(err)
			}
			if !res.StdoutTruncated || len(res.Stdout) != 16<<20 || res.StderrTruncated {
				t.Errorf("truncation: %d bytes, truncated %v/%v; want 16 MiB, true/false", len(res.Stdout), res.StdoutTruncated, res.StderrTruncated)
			}
		}

		// A context that ends while the program runs; a later Wait
		// collects it.
		p, err := ga.Start(ctx, qga.Command{Path: "/bin/sleep", Args: []string{"0.3"}})
		if err != nil {
			t.Fatal(err)
		}
		short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		_, err = p.Wait(short)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Wait with a short context: %v, want DeadlineExceeded", err)
		}
		if res, err := p.Wait(ctx); err != nil || !res.Success() || res.Stdout != nil {
			t.Fatalf("second Wait = %+v, %v", res, err)
		}

		// Capture modes are QEMU 8.0's: an older agent refuses them (it
		// wants a boolean), a newer one merges stdout and stderr.
		agentInfo, err := ga.GuestInfo(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		res, err = ga.Run(ctx, qga.Command{Path: "/bin/sh", Args: []string{"-c", "echo a; echo b >&2"}, Capture: qga.GuestExecCaptureOutputModeMerged})
		v := agentInfo.Version
		if major, _ := strconv.Atoi(strings.SplitN(v, ".", 2)[0]); major < 8 {
			var ce *runtime.CommandError
			if !errors.As(err, &ce) {
				t.Errorf("capture mode on agent %s: %v, want a command error", v, err)
			}
			t.Logf("capture mode on agent %s: %v", v, err)
		} else if err != nil || string(res.Stdout) != "a\nb\n" || res.Stderr != nil {
			t.Errorf("merged capture: %+v, %v", res, err)
		}

		// No such program.
		_, err = ga.Exec(ctx, filepath.Join(agent.Dir, "no-such-program"))
		var ce *runtime.CommandError
		if !errors.As(err, &ce) {
			t.Fatalf("missing program: %v, want a command error", err)
		}
	})

	t.Run("FSInfo", func(t *testing.T) {
		requires(t, "guest-get-fsinfo")
		fs, err := ga.GuestGetFsinfo(testContext(t), nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fs {
			t.Logf("fs %s on %s (%s), %d disks", f.Name, f.Mountpoint, f.Type, len(f.Disk))
		}
	})

	t.Run("NetworkInterfaces", func(t *testing.T) {
		requires(t, "guest-network-get-interfaces")
		ifs, err := ga.GuestNetworkGetInterfaces(testContext(t), nil)
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(ifs, func(i qga.GuestNetworkInterface) bool { return i.Name == "lo" })
		if i < 0 {
			t.Fatalf("no lo among %d interfaces", len(ifs))
		}
		lo := ifs[i]
		if !slices.ContainsFunc(lo.IPAddresses, func(a qga.GuestIpAddress) bool {
			return a.IPAddressType == qga.GuestIpAddressTypeIpv4 && a.IPAddress == "127.0.0.1" && a.Prefix == 8
		}) {
			t.Errorf("lo has no 127.0.0.1/8: %+v", lo.IPAddresses)
		}
	})

	t.Run("BlockedCommand", func(t *testing.T) {
		// guest-set-time is blocked with --block-rpcs: the agent refuses
		// it without acting. Never unblock it.
		err := ga.GuestSetTime(testContext(t), nil)
		var ce *runtime.CommandError
		if !errors.As(err, &ce) {
			t.Fatalf("blocked guest-set-time: %v, want a *runtime.CommandError", err)
		}
		// QEMU's dispatcher refuses a disabled command with
		// CommandNotFound, "Command guest-set-time has been disabled".
		if !errors.Is(err, runtime.CommandNotFound) {
			t.Errorf("class %q, want CommandNotFound", ce.Class)
		}
		if !strings.Contains(ce.Desc, "disabled") {
			t.Errorf("desc %q does not say the command is disabled", ce.Desc)
		}
		t.Logf("blocked: class %s desc %q", ce.Class, ce.Desc)
		// The session is fine afterwards.
		if err := ga.GuestPing(testContext(t), nil); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("ReadOnlyQueriesDecode", func(t *testing.T) {
		// Every query that only reads: each must decode into the 10.2.2
		// types or fail with a command error (a command this agent
		// lacks, or one the host cannot answer), never a decoding error.
		ctx := testContext(t)
		queries := []struct {
			name string
			call func() (any, error)
		}{
			{"guest-get-users", func() (any, error) { return ga.GuestGetUsers(ctx, nil) }},
			{"guest-get-timezone", func() (any, error) { return ga.GuestGetTimezone(ctx, nil) }},
			{"guest-get-vcpus", func() (any, error) { return ga.GuestGetVcpus(ctx, nil) }},
			{"guest-get-disks", func() (any, error) { return ga.GuestGetDisks(ctx, nil) }},
			{"guest-get-devices", func() (any, error) { return ga.GuestGetDevices(ctx, nil) }},
			{"guest-get-diskstats", func() (any, error) { return ga.GuestGetDiskstats(ctx, nil) }},
			{"guest-get-cpustats", func() (any, error) { return ga.GuestGetCpustats(ctx, nil) }},
			{"guest-get-load", func() (any, error) { return ga.GuestGetLoad(ctx, nil) }},
			{"guest-network-get-route", func() (any, error) { return ga.GuestNetworkGetRoute(ctx, nil) }},
			{"guest-get-memory-blocks", func() (any, error) { return ga.GuestGetMemoryBlocks(ctx, nil) }},
			{"guest-get-memory-block-info", func() (any, error) { return ga.GuestGetMemoryBlockInfo(ctx, nil) }},
			{"guest-fsfreeze-status", func() (any, error) { return ga.GuestFsfreezeStatus(ctx, nil) }},
		}
		for _, q := range queries {
			_, err := q.call()
			var ce *runtime.CommandError
			switch {
			case err == nil:
				t.Logf("%s: decoded", q.name)
			case errors.As(err, &ce):
				t.Logf("%s: %v", q.name, err)
			default:
				t.Errorf("%s: %v (not a command error: decoding failed?)", q.name, err)
			}
		}
		if err := ga.GuestPing(ctx, nil); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("CommandTheAgentLacks", func(t *testing.T) {
		// guest-get-load is new in QEMU 10.0: an older agent answers
		// CommandNotFound, a newer one returns the load.
		_, err := ga.GuestGetLoad(testContext(t), nil)
		if err != nil && !errors.Is(err, runtime.CommandNotFound) {
			t.Fatalf("guest-get-load: %v, want success or CommandNotFound", err)
		}
	})
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
