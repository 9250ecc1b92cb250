package qmp_test

// Integration tests of the generated bindings against the installed QEMU,
// through the typed API only. The bindings are QEMU 10.2.2's; Debian 12's
// QEMU is 7.2, so these tests also prove that replies with members the
// bindings lack, optional members missing and enum values they do not know
// all decode.
//
// QEMU runs with no guest (-machine none, or -machine q35 -S), TCG, no
// display, no default devices; every file is in a temporary directory.
// Without QEMU the tests skip with the reason, or fail when CI=true.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/qapi-go/qapi/gen/qmp"
	"github.com/qapi-go/qapi/internal/qemutest"
	"github.com/qapi-go/qapi/runtime"
)

const vmName = "qapi-go-test"

// start starts QEMU with args (after -machine none ...), connects and
// returns the typed connection, closed when the test ends.
func start(t *testing.T, args ...string) (*qmp.Conn, *qemutest.Process) {
	t.Helper()
	q := qemutest.Start(t, args...)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn, err := qmp.Dial(ctx, "unix", q.Socket)
	if err != nil {
		t.Fatalf("qmp.Dial: %v\n%s", err, q.Output())
	}
	t.Cleanup(func() { conn.Close() })
	return conn, q
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// qemuImg runs qemu-img, skipping (failing under CI=true) when it is missing.
func qemuImg(t *testing.T, args ...string) {
	t.Helper()
	bin, err := exec.LookPath("qemu-img")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("qemu-img not found and CI=true: integration tests must run: %v", err)
		}
		t.Skipf("skipping: qemu-img not installed (%v); install Debian's qemu-utils to run this test", err)
	}
	if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
		t.Fatalf("qemu-img %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// atLeast reports whether QEMU's greeting says major.minor or later.
func atLeast(conn *qmp.Conn, major, minor int) bool {
	v := conn.Version()
	return v.Major > major || v.Major == major && v.Minor >= minor
}

// TestMachineNone runs most checks against one QEMU without a machine.
// The subtests run in order and share the connection; quit is last.
func TestMachineNone(t *testing.T) {
	t.Parallel()
	conn, _ := start(t, "-name", vmName)
	machineNoneSuite(t, conn, false)
}

// TestMachineNoneGoServer runs the same suite against examples/qmp-server,
// the stand-in QEMU written in Go on the generated qmpserver.Server and
// runtime/server: for the commands it implements it must give what QEMU
// gives. Subtests needing a command it lacks (it does not list it in
// query-commands) skip, saying so.
func TestMachineNoneGoServer(t *testing.T) {
	t.Parallel()
	q := qemutest.StartGoQMP(t, "-name", vmName)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn, err := qmp.Dial(ctx, "unix", q.Socket)
	if err != nil {
		t.Fatalf("qmp.Dial: %v\n%s", err, q.Output())
	}
	t.Cleanup(func() { conn.Close() })
	machineNoneSuite(t, conn, true)
}

// machineNoneSuite is TestMachineNone's body. goServer marks the Go
// stand-in, whose subtests skip commands it lacks; against QEMU nothing
// is skipped.
func machineNoneSuite(t *testing.T, conn *qmp.Conn, goServer bool) {
	t.Logf("QEMU %v, capabilities %v", conn.Version(), conn.Greeting().Capabilities)
	requires := func(t *testing.T, command string) {
		t.Helper()
		if !goServer {
			return
		}
		cmds, err := conn.QueryCommands(testCtx(t), nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cmds {
			if c.Name == command {
				return
			}
		}
		t.Skipf("the Go stand-in does not implement %s", command)
	}

	t.Run("query-version", func(t *testing.T) {
		v, err := conn.QueryVersion(testCtx(t), nil)
		if err != nil {
			t.Fatal(err)
		}
		g := conn.Version()
		if int(v.Qemu.Major) != g.Major || int(v.Qemu.Minor) != g.Minor || int(v.Qemu.Micro) != g.Micro || v.Package != g.Package {
			t.Errorf("query-version = %+v, greeting says %+v", v, g)
		}
	})

	t.Run("query-status", func(t *testing.T) {
		st, err := conn.QueryStatus(testCtx(t), nil)
		if err != nil {
			t.Fatal(err)
		}
		if st.Status != qmp.RunStateRunning || !st.Running {
			t.Errorf("query-status = %+v, want running", st)
		}
	})

	t.Run("query-name", func(t *testing.T) {
		n, err := conn.QueryName(testCtx(t), nil)
		if err != nil {
			t.Fatal(err)
		}
		if n.Name == nil || *n.Name != vmName {
			t.Errorf("query-name = %+v, want %q", n, vmName)
		}
	})

	t.Run("qom", func(t *testing.T) {
		requires(t, "qom-list")
		ctx := testCtx(t)
		props, err := conn.QOMList(ctx, &qmp.QOMListArgs{Path: "/machine"})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, p := range props {
			names = append(names, p.Name)
		}
		for _, want := range []string{"type", "peripheral", "unattached"} {
			if !slices.Contains(names, want) {
				t.Errorf("qom-list /machine lacks %q: %v", want, names)
			}
		}
		raw, err := conn.QOMGet(ctx, &qmp.QOMGetArgs{Path: "/machine", Property: "type"})
		if err != nil {
			t.Fatal(err)
		}
		var typ string
		if err := json.Unmarshal(raw, &typ); err != nil || typ != "none-machine" {
			t.Errorf("qom-get /machine type = %s (%v), want \"none-machine\"", raw, err)
		}
	})

	t.Run("memdev", func(t *testing.T) {
		requires(t, "object-add")
		ctx := testCtx(t)
		const size = 4 << 20
		err := conn.ObjectAdd(ctx, &qmp.ObjectOptions{
			QOMType:          qmp.ObjectTypeMemoryBackendRAM,
			ID:               "mem0",
			MemoryBackendRAM: &qmp.MemoryBackendProperties{Size: size, Share: qmp.Ptr(false)},
		})
		if err != nil {
			t.Fatal(err)
		}
		mds, err := conn.QueryMemdev(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(mds, func(m qmp.Memdev) bool { return m.ID != nil && *m.ID == "mem0" })
		if i < 0 {
			t.Fatalf("query-memdev does not list mem0: %+v", mds)
		}
		if md := mds[i]; md.Size != size || md.Share || md.Policy != qmp.HostMemPolicyDefault {
			t.Errorf("query-memdev mem0 = %+v, want size %d, not shared, default policy", md, size)
		}
		if err := conn.ObjectDel(ctx, &qmp.ObjectDelArgs{ID: "mem0"}); err != nil {
			t.Fatal(err)
		}
		mds, err = conn.QueryMemdev(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if slices.ContainsFunc(mds, func(m qmp.Memdev) bool { return m.ID != nil && *m.ID == "mem0" }) {
			t.Errorf("mem0 still listed after object-del: %+v", mds)
		}
	})

	t.Run("blockdev", func(t *testing.T) {
		requires(t, "blockdev-add")
		ctx := testCtx(t)
		img := filepath.Join(t.TempDir(), "disk.qcow2")
		qemuImg(t, "create", "-q", "-f", "qcow2", img, "16M")
		addQcow2(ctx, t, conn, "file0", "disk0", img)

		nodes, err := conn.QueryNamedBlockNodes(ctx, &qmp.QueryNamedBlockNodesArgs{Flat: qmp.Ptr(true)})
		if err != nil {
			t.Fatal(err)
		}
		disk := findNode(nodes, "disk0")
		file := findNode(nodes, "file0")
		if disk == nil || file == nil {
			t.Fatalf("query-named-block-nodes lacks disk0 or file0: %+v", nodes)
		}
		if disk.Drv != "qcow2" || file.Drv != "file" || disk.File != img || disk.Image.VirtualSize != 16<<20 {
			t.Errorf("disk0 = {drv %s file %s size %d}, file0 drv %s", disk.Drv, disk.File, disk.Image.VirtualSize, file.Drv)
		}
		if disk.Image.Format != "qcow2" {
			t.Errorf("disk0 image format %q, want qcow2", disk.Image.Format)
		}

		if err := conn.BlockDirtyBitmapAdd(ctx, &qmp.BlockDirtyBitmapAdd{Node: "disk0", Name: "bm0", Granularity: qmp.Ptr[uint32](65536)}); err != nil {
			t.Fatal(err)
		}
		bm := dirtyBitmaps(ctx, t, conn, "disk0")
		if len(bm) != 1 || bm[0].Name == nil || *bm[0].Name != "bm0" || bm[0].Granularity != 65536 || !bm[0].Recording {
			t.Errorf("dirty bitmaps of disk0 = %+v, want one recording bm0 of granularity 65536", bm)
		}
		if err := conn.BlockDirtyBitmapRemove(ctx, &qmp.BlockDirtyBitmap{Node: "disk0", Name: "bm0"}); err != nil {
			t.Fatal(err)
		}
		if bm := dirtyBitmaps(ctx, t, conn, "disk0"); len(bm) != 0 {
			t.Errorf("dirty bitmaps of disk0 after removal = %+v", bm)
		}
		for _, n := range []string{"disk0", "file0"} {
			if err := conn.BlockdevDel(ctx, &qmp.BlockdevDelArgs{NodeName: n}); err != nil {
				t.Errorf("blockdev-del %s: %v", n, err)
			}
		}
	})

	t.Run("blockdev-create job", func(t *testing.T) {
		requires(t, "blockdev-create")
		ctx := testCtx(t)
		img := filepath.Join(t.TempDir(), "new.qcow2")
		if err := os.WriteFile(img, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		err := conn.BlockdevAdd(ctx, &qmp.BlockdevOptions{
			Driver:   qmp.BlockdevDriverFile,
			NodeName: qmp.Ptr("newfile"),
			File:     &qmp.BlockdevOptionsFile{Filename: img},
		})
		if err != nil {
			t.Fatal(err)
		}
		statuses := followJob(ctx, t, conn, "create0", func(ctx context.Context) error {
			return conn.BlockdevCreate(ctx, &qmp.BlockdevCreateArgs{
				JobID: "create0",
				Options: qmp.BlockdevCreateOptions{
					Driver: qmp.BlockdevDriverQcow2,
					Qcow2: &qmp.BlockdevCreateOptionsQcow2{
						File: qmp.BlockdevRef{Reference: qmp.Ptr("newfile")},
						Size: 8 << 20,
					},
				},
			})
		})
		t.Logf("create0 statuses: %v", statuses)
		for _, want := range []qmp.JobStatus{qmp.JobStatusCreated, qmp.JobStatusRunning, qmp.JobStatusConcluded, qmp.JobStatusNull} {
			if !slices.Contains(statuses, want) {
				t.Errorf("job statuses %v lack %q", statuses, want)
			}
		}
		// The image is a qcow2 of the requested size now.
		err = conn.BlockdevAdd(ctx, &qmp.BlockdevOptions{
			Driver:   qmp.BlockdevDriverQcow2,
			NodeName: qmp.Ptr("new0"),
			Qcow2: &qmp.BlockdevOptionsQcow2{BlockdevOptionsGenericCOWFormat: qmp.BlockdevOptionsGenericCOWFormat{
				BlockdevOptionsGenericFormat: qmp.BlockdevOptionsGenericFormat{File: qmp.BlockdevRef{Reference: qmp.Ptr("newfile")}},
			}},
		})
		if err != nil {
			t.Fatal(err)
		}
		nodes, err := conn.QueryNamedBlockNodes(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if n := findNode(nodes, "new0"); n == nil || n.Image.VirtualSize != 8<<20 {
			t.Errorf("new0 = %+v, want an 8 MiB qcow2", n)
		}
		for _, n := range []string{"new0", "newfile"} {
			if err := conn.BlockdevDel(ctx, &qmp.BlockdevDelArgs{NodeName: n}); err != nil {
				t.Errorf("blockdev-del %s: %v", n, err)
			}
		}
	})

	t.Run("blockdev-backup job", func(t *testing.T) {
		requires(t, "blockdev-backup")
		ctx := testCtx(t)
		dir := t.TempDir()
		src, dst := filepath.Join(dir, "src.qcow2"), filepath.Join(dir, "dst.qcow2")
		qemuImg(t, "create", "-q", "-f", "qcow2", src, "4M")
		qemuImg(t, "create", "-q", "-f", "qcow2", dst, "4M")
		addQcow2(ctx, t, conn, "srcfile", "src", src)
		addQcow2(ctx, t, conn, "dstfile", "dst", dst)
		w := qmp.Watch(conn, func(e *qmp.BlockJobCompletedEvent) bool { return e.Device == "backup0" })
		defer w.Close()
		statuses := followJob(ctx, t, conn, "backup0", func(ctx context.Context) error {
			return conn.BlockdevBackup(ctx, &qmp.BlockdevBackup{
				BackupCommon: qmp.BackupCommon{
					JobID:       qmp.Ptr("backup0"),
					Device:      "src",
					Sync:        qmp.MirrorSyncModeFull,
					AutoDismiss: qmp.Ptr(false),
				},
				Target: "dst",
			})
		}, func() {
			// A block job's entry in query-block-jobs: BlockJobInfo is a
			// union on "type" in the bindings, a plain struct in QEMU
			// before 9.1.
			jobs, err := conn.QueryBlockJobs(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(jobs, func(j qmp.BlockJobInfo) bool { return j.Device == "backup0" })
			if i < 0 {
				t.Fatalf("query-block-jobs lacks backup0: %+v", jobs)
			}
			if j := jobs[i]; j.Type != qmp.JobTypeBackup || j.Len != 4<<20 || j.Offset != j.Len || j.Status != qmp.JobStatusConcluded {
				t.Errorf("query-block-jobs backup0 = %+v", j)
			}
		})
		t.Logf("backup0 statuses: %v", statuses)
		done, err := w.Wait(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if done.Type != qmp.JobTypeBackup || done.Len != 4<<20 || done.Offset != done.Len || done.Error != nil {
			t.Errorf("BLOCK_JOB_COMPLETED = %+v, want a complete 4 MiB backup", done)
		}
		for _, n := range []string{"src", "srcfile", "dst", "dstfile"} {
			if err := conn.BlockdevDel(ctx, &qmp.BlockdevDelArgs{NodeName: n}); err != nil {
				t.Errorf("blockdev-del %s: %v", n, err)
			}
		}
	})

	t.Run("getfd", func(t *testing.T) {
		requires(t, "getfd")
		ctx := testCtx(t)
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		defer w.Close()
		if err := conn.Getfd(ctx, &qmp.GetfdArgs{Fdname: "pipe0"}, runtime.WithFiles(w)); err != nil {
			t.Fatal(err)
		}
		if err := conn.Closefd(ctx, &qmp.ClosefdArgs{Fdname: "pipe0"}); err != nil {
			t.Fatal(err)
		}
		// It is gone now.
		err = conn.Closefd(ctx, &qmp.ClosefdArgs{Fdname: "pipe0"})
		if !errors.Is(err, runtime.GenericError) {
			t.Errorf("closefd of a closed fd: %v, want a GenericError", err)
		}
	})

	t.Run("query-qmp-schema", func(t *testing.T) {
		requires(t, "query-qmp-schema")
		infos, err := conn.QueryQMPSchema(testCtx(t), nil)
		if err != nil {
			t.Fatal(err)
		}
		checkSchema(t, infos)
	})

	t.Run("query-commands", func(t *testing.T) {
		requires(t, "blockdev-add")
		ctx := testCtx(t)
		cmds, err := conn.QueryCommands(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		have := map[string]bool{}
		for _, c := range cmds {
			have[c.Name] = true
		}
		var lacks, extra []string
		for name := range qmp.Commands {
			if !have[name] {
				lacks = append(lacks, name)
			}
		}
		for name := range have {
			if qmp.Commands[name] == nil {
				extra = append(extra, name)
			}
		}
		sort.Strings(lacks)
		sort.Strings(extra)
		t.Logf("QEMU %v lacks %d of the %d commands of the bindings: %v", conn.Version(), len(lacks), len(qmp.Commands), lacks)
		t.Logf("QEMU %v has %d commands the bindings lack: %v", conn.Version(), len(extra), extra)
		for _, must := range []string{"qmp_capabilities", "query-version", "query-commands", "query-qmp-schema", "quit", "stop", "cont", "blockdev-add", "migrate", "device_add", "object-add"} {
			if !have[must] || qmp.Commands[must] == nil {
				t.Errorf("%s missing: QEMU has it %v, bindings %v", must, have[must], qmp.Commands[must] != nil)
			}
		}

		// Every command the installed QEMU lacks fails with
		// CommandNotFound when called through its typed method.
		checked := 0
		for _, name := range lacks {
			err, ok := callZero(ctx, conn, qmp.Commands[name])
			if !ok {
				t.Logf("%s not called: zero arguments do not encode: %v", name, err)
				continue
			}
			checked++
			var ce *runtime.CommandError
			if !errors.Is(err, runtime.CommandNotFound) || !errors.As(err, &ce) || ce.Command != name {
				t.Errorf("%s: %v, want CommandNotFound", name, err)
			}
		}
		t.Logf("%d commands the installed QEMU lacks answered CommandNotFound", checked)
		if len(lacks) > 0 && checked == 0 {
			t.Errorf("no command the installed QEMU lacks could be called")
		}
	})

	t.Run("migrate", func(t *testing.T) {
		requires(t, "migrate")
		ctx := testCtx(t)
		out := filepath.Join(t.TempDir(), "state.bin")
		uri := "file:" + out
		if !atLeast(conn, 8, 2) { // file: migration came in QEMU 8.2
			uri = "exec:cat>" + out
		}
		if err := conn.Migrate(ctx, &qmp.MigrateArgs{URI: &uri}); err != nil {
			t.Fatal(err)
		}
		info := pollMigration(ctx, t, conn)
		if info.Status == nil || *info.Status != qmp.MigrationStatusCompleted {
			t.Fatalf("migration ended as %+v", info)
		}
		if info.RAM == nil || info.TotalTime == nil {
			t.Errorf("completed migration lacks ram or total-time: %+v", info)
		}
		fi, err := os.Stat(out)
		if err != nil || fi.Size() == 0 {
			t.Errorf("migration stream %s: %v (size %d)", out, err, sizeOf(fi))
		}
		st, err := conn.QueryStatus(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if st.Status != qmp.RunStatePostmigrate {
			t.Errorf("status after migration = %q, want postmigrate", st.Status)
		}
	})

	t.Run("quit", func(t *testing.T) {
		ctx := testCtx(t)
		ev, err := qmp.CallAndWait[qmp.ShutdownEvent](ctx, conn, func(ctx context.Context) error { return conn.Quit(ctx, nil) }, nil)
		if err != nil {
			t.Fatal(err)
		}
		if ev.Guest || ev.Reason != qmp.ShutdownCauseHostQMPQuit {
			t.Errorf("SHUTDOWN = %+v, want host-qmp-quit", ev)
		}
		select {
		case <-conn.Done():
		case <-ctx.Done():
			t.Fatal("connection still open after quit")
		}
		var ce *runtime.ConnError
		if err := conn.Err(); !errors.As(err, &ce) {
			t.Errorf("Err() after quit = %v, want a *runtime.ConnError", err)
		}
		if _, err := conn.QueryStatus(ctx, nil); !errors.As(err, &ce) {
			t.Errorf("call after quit: %v, want a *runtime.ConnError", err)
		}
	})
}

// TestQ35 runs the checks that need a machine: stop/cont, and SCSI
// hot-plug and unplug.
func TestQ35(t *testing.T) {
	t.Parallel()
	conn, _ := start(t, "-machine", "q35", "-S", "-m", "64M", "-device", "virtio-scsi-pci,id=scsi0")

	t.Run("stop/cont", func(t *testing.T) {
		ctx := testCtx(t)
		st, err := conn.QueryStatus(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if st.Status != qmp.RunStatePrelaunch || st.Running {
			t.Errorf("status with -S = %+v, want prelaunch", st)
		}
		sub := conn.Subscribe()
		defer sub.Close()
		if _, err := qmp.CallAndWait[qmp.ResumeEvent](ctx, conn, func(ctx context.Context) error { return conn.Cont(ctx, nil) }, nil); err != nil {
			t.Fatal(err)
		}
		if st, err := conn.QueryStatus(ctx, nil); err != nil || st.Status != qmp.RunStateRunning {
			t.Errorf("after cont: %+v, %v", st, err)
		}
		if _, err := qmp.CallAndWait[qmp.StopEvent](ctx, conn, func(ctx context.Context) error { return conn.Stop(ctx, nil) }, nil); err != nil {
			t.Fatal(err)
		}
		if st, err := conn.QueryStatus(ctx, nil); err != nil || st.Status != qmp.RunStatePaused || st.Running {
			t.Errorf("after stop: %+v, %v", st, err)
		}
		// The subscription saw both, typed, in order.
		for _, want := range []string{"RESUME", "STOP"} {
			ev, err := sub.Next(ctx)
			if err != nil {
				t.Fatal(err)
			}
			ok := false
			switch ev.Value.(type) {
			case *qmp.ResumeEvent:
				ok = want == "RESUME"
			case *qmp.StopEvent:
				ok = want == "STOP"
			}
			if !ok || ev.Name != want || ev.Timestamp.IsZero() {
				t.Errorf("event %s (%T at %v), want %s", ev.Name, ev.Value, ev.Timestamp, want)
			}
		}
	})

	// Every query command the installed QEMU has, called through its typed
	// method with no (or zero) arguments, either succeeds, decoding
	// QEMU's reply into the bindings' types, or fails with QEMU's own
	// error: never with a decoding error.
	t.Run("query sweep", func(t *testing.T) {
		ctx := testCtx(t)
		cmds, err := conn.QueryCommands(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		var ok, refused []string
		for _, c := range cmds {
			spec := qmp.Commands[c.Name]
			if spec == nil || !strings.HasPrefix(strings.TrimPrefix(c.Name, "x-"), "query-") {
				continue
			}
			err, sent := callZero(ctx, conn, spec)
			switch {
			case !sent:
				t.Logf("%s: zero arguments do not encode: %v", c.Name, err)
			case err == nil:
				ok = append(ok, c.Name)
			default:
				var ce *runtime.CommandError
				if !errors.As(err, &ce) {
					t.Errorf("%s: reply does not decode: %v", c.Name, err)
					continue
				}
				refused = append(refused, c.Name+" ("+string(ce.Class)+")")
			}
		}
		sort.Strings(ok)
		sort.Strings(refused)
		t.Logf("%d query commands decoded: %v", len(ok), ok)
		t.Logf("%d refused by QEMU: %v", len(refused), refused)
		if len(ok) < 30 {
			t.Errorf("only %d query commands succeeded", len(ok))
		}
	})

	t.Run("scsi hotplug", func(t *testing.T) {
		ctx := testCtx(t)
		err := conn.BlockdevAdd(ctx, &qmp.BlockdevOptions{
			Driver:   qmp.BlockdevDriverNullCo,
			NodeName: qmp.Ptr("null0"),
			NullCo:   &qmp.BlockdevOptionsNull{Size: qmp.Ptr[int64](1 << 20)},
		})
		if err != nil {
			t.Fatal(err)
		}
		err = conn.DeviceAdd(ctx, map[string]any{"driver": "scsi-hd", "id": "hd0", "drive": "null0", "bus": "scsi0.0"})
		if err != nil {
			t.Fatal(err)
		}
		raw, err := conn.QOMGet(ctx, &qmp.QOMGetArgs{Path: "/machine/peripheral/hd0", Property: "type"})
		if err != nil || string(raw) != `"scsi-hd"` {
			t.Errorf("qom-get hd0 type = %s, %v", raw, err)
		}
		ev, err := qmp.CallAndWait(ctx, conn,
			func(ctx context.Context) error { return conn.DeviceDel(ctx, &qmp.DeviceDelArgs{ID: "hd0"}) },
			func(e *qmp.DeviceDeletedEvent) bool { return e.Device != nil && *e.Device == "hd0" })
		if err != nil {
			t.Fatal(err)
		}
		if ev.Path != "/machine/peripheral/hd0" {
			t.Errorf("DEVICE_DELETED path %q", ev.Path)
		}
		// The device is gone: deleting it again fails.
		if err := conn.DeviceDel(ctx, &qmp.DeviceDelArgs{ID: "hd0"}); !errors.Is(err, runtime.DeviceNotFound) {
			t.Errorf("device_del of a deleted device: %v, want DeviceNotFound", err)
		}
		if err := conn.BlockdevDel(ctx, &qmp.BlockdevDelArgs{NodeName: "null0"}); err != nil {
			t.Errorf("blockdev-del null0: %v", err)
		}
	})
}

// addQcow2 adds a file node and a qcow2 node over it.
func addQcow2(ctx context.Context, t *testing.T, conn *qmp.Conn, fileNode, node, path string) {
	t.Helper()
	err := conn.BlockdevAdd(ctx, &qmp.BlockdevOptions{
		Driver:   qmp.BlockdevDriverFile,
		NodeName: &fileNode,
		File:     &qmp.BlockdevOptionsFile{Filename: path},
	})
	if err != nil {
		t.Fatal(err)
	}
	err = conn.BlockdevAdd(ctx, &qmp.BlockdevOptions{
		Driver:   qmp.BlockdevDriverQcow2,
		NodeName: &node,
		Qcow2: &qmp.BlockdevOptionsQcow2{BlockdevOptionsGenericCOWFormat: qmp.BlockdevOptionsGenericCOWFormat{
			BlockdevOptionsGenericFormat: qmp.BlockdevOptionsGenericFormat{File: qmp.BlockdevRef{Reference: &fileNode}},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
}

func findNode(nodes []qmp.BlockDeviceInfo, name string) *qmp.BlockDeviceInfo {
	for i := range nodes {
		if nodes[i].NodeName != nil && *nodes[i].NodeName == name {
			return &nodes[i]
		}
	}
	return nil
}

func dirtyBitmaps(ctx context.Context, t *testing.T, conn *qmp.Conn, node string) []qmp.BlockDirtyInfo {
	t.Helper()
	nodes, err := conn.QueryNamedBlockNodes(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	n := findNode(nodes, node)
	if n == nil {
		t.Fatalf("no node %s", node)
	}
	return n.DirtyBitmaps
}

// followJob starts a job with start and follows its JOB_STATUS_CHANGE
// events until it concludes; then it checks query-jobs, dismisses it and
// waits for the null status. It returns the statuses seen.
func followJob(ctx context.Context, t *testing.T, conn *qmp.Conn, id string, start func(context.Context) error, concluded ...func()) []qmp.JobStatus {
	t.Helper()
	w := qmp.Watch(conn, func(e *qmp.JobStatusChangeEvent) bool { return e.ID == id })
	defer w.Close()
	if err := start(ctx); err != nil {
		t.Fatal(err)
	}
	var seen []qmp.JobStatus
	for {
		ev, err := w.Wait(ctx)
		if err != nil {
			t.Fatalf("job %s after %v: %v", id, seen, err)
		}
		seen = append(seen, ev.Status)
		switch ev.Status {
		case qmp.JobStatusConcluded:
			jobs, err := conn.QueryJobs(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(jobs, func(j qmp.JobInfo) bool { return j.ID == id })
			if i < 0 {
				t.Fatalf("query-jobs lacks concluded job %s: %+v", id, jobs)
			}
			if j := jobs[i]; j.Status != qmp.JobStatusConcluded || j.Error != nil || j.CurrentProgress != j.TotalProgress {
				t.Errorf("query-jobs %s = %+v, want concluded without error", id, j)
			}
			for _, f := range concluded {
				f()
			}
			if err := conn.JobDismiss(ctx, &qmp.JobDismissArgs{ID: id}); err != nil {
				t.Fatal(err)
			}
		case qmp.JobStatusNull:
			return seen
		case qmp.JobStatusAborting:
			t.Fatalf("job %s aborted: %v", id, seen)
		}
	}
}

func pollMigration(ctx context.Context, t *testing.T, conn *qmp.Conn) *qmp.MigrationInfo {
	t.Helper()
	for {
		info, err := conn.QueryMigrate(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if info.Status != nil {
			switch *info.Status {
			case qmp.MigrationStatusCompleted, qmp.MigrationStatusFailed, qmp.MigrationStatusCancelled:
				return info
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("migration not finished: %+v", info)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func sizeOf(fi os.FileInfo) int64 {
	if fi == nil {
		return -1
	}
	return fi.Size()
}

// callZero calls the typed method of spec with zero arguments. sent is
// false when the zero arguments cannot be encoded (a union without its
// discriminator), so that the command was not sent.
func callZero(ctx context.Context, conn *qmp.Conn, spec *qmp.CommandSpec) (err error, sent bool) {
	m := reflect.ValueOf(conn).MethodByName(spec.Method)
	if !m.IsValid() {
		return fmt.Errorf("no method %s", spec.Method), true
	}
	in := []reflect.Value{reflect.ValueOf(ctx)}
	if mt := m.Type(); mt.NumIn() > 1 && !mt.IsVariadic() || mt.NumIn() > 2 {
		argType := mt.In(1)
		var arg reflect.Value
		switch {
		case argType.Kind() == reflect.Interface:
			arg = reflect.ValueOf(map[string]any{})
		case argType.Kind() == reflect.Pointer:
			arg = reflect.Zero(argType) // all arguments optional: nil sends none
		case spec.NewArgs != nil:
			arg = reflect.ValueOf(spec.NewArgs()).Elem()
		default:
			arg = reflect.Zero(argType)
		}
		if _, err := json.Marshal(arg.Interface()); err != nil {
			return err, false
		}
		in = append(in, arg)
	}
	out := m.Call(in)
	err, _ = out[len(out)-1].Interface().(error)
	return err, true
}

// checkSchema checks that query-qmp-schema decoded whole: every entity
// has a meta-type the bindings know and its branch, and every type name
// it refers to is defined.
func checkSchema(t *testing.T, infos []qmp.SchemaInfo) {
	t.Helper()
	defined := map[string]qmp.SchemaMetaType{}
	for _, in := range infos {
		if in.Name == "" {
			t.Errorf("entity without a name: %+v", in)
		}
		defined[in.Name] = in.MetaType
	}
	count := map[qmp.SchemaMetaType]int{}
	ref := func(from, name string) {
		if _, ok := defined[name]; !ok {
			t.Errorf("%s refers to %q, which the schema does not define", from, name)
		}
	}
	for _, in := range infos {
		count[in.MetaType]++
		if len(in.UnknownMembers) > 0 {
			t.Errorf("%s: meta-type %q decoded into UnknownMembers %v", in.Name, in.MetaType, in.UnknownMembers)
		}
		switch in.MetaType {
		case qmp.SchemaMetaTypeBuiltin:
			if in.Builtin == nil || in.Builtin.JSONType == "" {
				t.Errorf("builtin %s: %+v", in.Name, in.Builtin)
			}
		case qmp.SchemaMetaTypeEnum:
			if in.Enum == nil || len(in.Enum.Members) == 0 {
				t.Errorf("enum %s: %+v", in.Name, in.Enum)
			}
		case qmp.SchemaMetaTypeArray:
			if in.Array == nil {
				t.Errorf("array %s without its branch", in.Name)
				continue
			}
			ref(in.Name, in.Array.ElementType)
		case qmp.SchemaMetaTypeObject:
			if in.Object == nil {
				t.Errorf("object %s without its branch", in.Name)
				continue
			}
			for _, m := range in.Object.Members {
				ref(in.Name+"."+m.Name, m.Type)
			}
			if (in.Object.Tag != nil) != (len(in.Object.Variants) > 0) {
				t.Errorf("object %s: tag %v with %d variants", in.Name, in.Object.Tag, len(in.Object.Variants))
			}
			for _, v := range in.Object.Variants {
				ref(in.Name+" variant "+v.Case, v.Type)
			}
		case qmp.SchemaMetaTypeAlternate:
			if in.Alternate == nil || len(in.Alternate.Members) == 0 {
				t.Errorf("alternate %s: %+v", in.Name, in.Alternate)
				continue
			}
			for _, m := range in.Alternate.Members {
				ref(in.Name, m.Type)
			}
		case qmp.SchemaMetaTypeCommand:
			if in.Command == nil {
				t.Errorf("command %s without its branch", in.Name)
				continue
			}
			ref(in.Name+" arguments", in.Command.ArgType)
			ref(in.Name+" result", in.Command.RetType)
		case qmp.SchemaMetaTypeEvent:
			if in.Event == nil {
				t.Errorf("event %s without its branch", in.Name)
				continue
			}
			ref(in.Name+" data", in.Event.ArgType)
		default:
			t.Errorf("%s: unknown meta-type %q", in.Name, in.MetaType)
		}
	}
	t.Logf("query-qmp-schema: %d entities: %v", len(infos), count)
	if count[qmp.SchemaMetaTypeCommand] < 100 || count[qmp.SchemaMetaTypeEvent] < 20 {
		t.Errorf("too few commands or events: %v", count)
	}
}
