package qmp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/qapi-go/qapi/gen/qmp"
	"github.com/qapi-go/qapi/introspect"
	"github.com/qapi-go/qapi/runtime"
	"github.com/qapi-go/qapi/runtime/fakepeer"
)

func fakeConn(t *testing.T, script ...fakepeer.Step) (*qmp.Conn, *fakepeer.Peer) {
	t.Helper()
	pipe, peer := fakepeer.NewQMP(t, script...)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := qmp.New(ctx, pipe)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn, peer
}

func compact(b []byte) string {
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return "invalid JSON: " + err.Error()
	}
	return buf.String()
}

func TestEventName(t *testing.T) {
	for got, want := range map[string]string{
		qmp.StopEvent{}.EventName():            "STOP",
		qmp.JobStatusChangeEvent{}.EventName(): "JOB_STATUS_CHANGE",
		qmp.DeviceDeletedEvent{}.EventName():   "DEVICE_DELETED",
	} {
		if got != want {
			t.Errorf("EventName = %q, want %q", got, want)
		}
	}
	// Every event of the table has the method, and it agrees.
	for name, spec := range qmp.Events {
		ev, ok := spec.New().(interface{ EventName() string })
		if !ok {
			t.Errorf("%s: %T has no EventName method", name, spec.New())
			continue
		}
		if ev.EventName() != name {
			t.Errorf("%T.EventName() = %q, want %q", ev, ev.EventName(), name)
		}
	}
}

func TestGreeting(t *testing.T) {
	conn, _ := fakeConn(t)
	if v := conn.Version(); v.Major != 10 || v.Minor != 2 || v.Micro != 2 {
		t.Errorf("Version() = %v", v)
	}
	if c := conn.Greeting().Capabilities; len(c) != 1 || c[0] != "oob" {
		t.Errorf("capabilities %v", c)
	}
}

// Replies from another QEMU release decode: members the bindings lack
// are ignored, optional members may be missing, enum values and union
// branches the bindings do not know are kept.
func TestDecodeOtherReleases(t *testing.T) {
	conn, _ := fakeConn(t,
		fakepeer.Expect("query-status"),
		fakepeer.Reply(json.RawMessage(`{"status":"x-future-state","running":false,"singlestep":false,"x-new":{"a":1}}`)),
		fakepeer.Expect("query-memdev"),
		fakepeer.Reply(json.RawMessage(`[{"size":1024,"merge":true,"dump":true,"prealloc":false,"share":false,"host-nodes":[],"policy":"x-new-policy"}]`)),
		fakepeer.Expect("query-qmp-schema"),
		fakepeer.Reply(json.RawMessage(`[{"name":"x","meta-type":"x-new-meta","x-member":[1,2]},{"name":"int","meta-type":"builtin","json-type":"int"}]`)),
	)
	ctx := context.Background()
	st, err := conn.QueryStatus(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Status != "x-future-state" || st.Running {
		t.Errorf("status %+v", st)
	}
	md, err := conn.QueryMemdev(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(md) != 1 || md[0].ID != nil || md[0].Reserve != nil || md[0].Policy != "x-new-policy" || md[0].HostNodes == nil {
		t.Errorf("memdev %+v", md)
	}
	schema, err := conn.QueryQMPSchema(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(schema) != 2 || schema[0].MetaType != "x-new-meta" || compact(schema[0].UnknownMembers["x-member"]) != "[1,2]" ||
		schema[1].Builtin == nil || schema[1].Builtin.JSONType != qmp.JSONTypeInt {
		t.Errorf("schema %+v", schema)
	}
	// Re-encoding an unknown branch is lossless.
	b, err := json.Marshal(schema[0])
	if err != nil || string(b) != `{"name":"x","meta-type":"x-new-meta","x-member":[1,2]}` {
		t.Errorf("re-encoded %s, %v", b, err)
	}
}

func TestSubscribe(t *testing.T) {
	release := make(chan struct{})
	conn, _ := fakeConn(t,
		fakepeer.WaitFor(release),
		fakepeer.Emit("X_FUTURE_EVENT", map[string]any{"a": 1}),
		fakepeer.Emit("RESUME", nil),
		fakepeer.Emit("DEVICE_DELETED", map[string]any{"path": 42}), // does not decode
		fakepeer.Emit("STOP", nil),
	)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sub := conn.Subscribe()
	defer sub.Close()
	close(release)

	ev, err := sub.Next(ctx)
	if err != nil || ev.Name != "X_FUTURE_EVENT" || ev.Value != nil || compact(ev.Data) != `{"a":1}` || ev.Timestamp.IsZero() {
		t.Errorf("unknown event: %+v, %v", ev, err)
	}
	ev, err = sub.Next(ctx)
	if _, ok := ev.Value.(*qmp.ResumeEvent); err != nil || !ok {
		t.Errorf("RESUME: %+v, %v", ev, err)
	}
	ev, err = sub.Next(ctx)
	if err == nil || ev.Name != "DEVICE_DELETED" || ev.Value != nil {
		t.Errorf("malformed DEVICE_DELETED: %+v, %v", ev, err)
	}
	ev, err = sub.Next(ctx)
	if _, ok := ev.Value.(*qmp.StopEvent); err != nil || !ok {
		t.Errorf("STOP: %+v, %v", ev, err)
	}

	short, cancelShort := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancelShort()
	if _, err := sub.Next(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Next with nothing pending: %v", err)
	}
	sub.Close()
	if _, err := sub.Next(ctx); !errors.Is(err, runtime.ErrClosed) {
		t.Errorf("Next after Close: %v", err)
	}
}

func TestWatchSkipsAndConnectionLoss(t *testing.T) {
	conn, _ := fakeConn(t,
		fakepeer.Expect("job-dismiss"),
		fakepeer.Emit("JOB_STATUS_CHANGE", map[string]any{"id": "other", "status": "null"}),
		fakepeer.Emit("JOB_STATUS_CHANGE", map[string]any{"id": "j1", "status": "x-new-status"}),
		fakepeer.Reply(nil),
		fakepeer.Emit("JOB_STATUS_CHANGE", map[string]any{"id": "j1", "status": "null"}),
		fakepeer.Close(),
	)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	w := qmp.Watch(conn, func(e *qmp.JobStatusChangeEvent) bool { return e.ID == "j1" })
	defer w.Close()
	if err := conn.JobDismiss(ctx, &qmp.JobDismissArgs{ID: "j1"}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []qmp.JobStatus{"x-new-status", qmp.JobStatusNull} {
		ev, err := w.Wait(ctx)
		if err != nil || ev.Status != want {
			t.Fatalf("Wait = %+v, %v, want %s", ev, err, want)
		}
	}
	var ce *runtime.ConnError
	if _, err := w.Wait(ctx); !errors.As(err, &ce) {
		t.Errorf("Wait after the connection closed: %v, want a *runtime.ConnError", err)
	}
	<-conn.Done()
	if !errors.As(conn.Err(), &ce) {
		t.Errorf("Err() = %v", conn.Err())
	}
}

func TestCallAndWaitCommandError(t *testing.T) {
	conn, _ := fakeConn(t,
		fakepeer.Expect("device_del", fakepeer.Args(map[string]any{"id": "nope"})),
		fakepeer.ReplyError("DeviceNotFound", "Device 'nope' not found"),
	)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := qmp.CallAndWait(ctx, conn,
		func(ctx context.Context) error { return conn.DeviceDel(ctx, &qmp.DeviceDelArgs{ID: "nope"}) },
		func(*qmp.DeviceDeletedEvent) bool { return true })
	if !errors.Is(err, runtime.DeviceNotFound) {
		t.Errorf("CallAndWait = %v, want DeviceNotFound", err)
	}
}

// CallAndWait infers the event type from match and takes a command
// method value as the call: waiting for any RESUME after cont needs no
// type argument and no closure. The event's timestamp is kept
// (WaitTimed).
func TestCallAndWaitInfers(t *testing.T) {
	stamp := time.Date(2026, 12, 4, 10, 0, 0, 123456000, time.UTC)
	conn, _ := fakeConn(t,
		fakepeer.Expect("cont", fakepeer.NoArgs()),
		fakepeer.EmitEvent(fakepeer.Event{Name: "RESUME", Time: stamp}),
		fakepeer.Reply(map[string]any{}),
		fakepeer.Expect("stop"),
		fakepeer.Reply(map[string]any{}),
		fakepeer.EmitEvent(fakepeer.Event{Name: "STOP", Time: stamp.Add(time.Second)}),
	)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ev, err := qmp.CallAndWait(ctx, conn, func(ctx context.Context) error { return conn.Cont(ctx, nil) }, qmp.Any[qmp.ResumeEvent])
	if err != nil || ev == nil {
		t.Fatalf("CallAndWait(cont) = %v, %v", ev, err)
	}
	w := qmp.Watch(conn, qmp.Any[qmp.StopEvent])
	defer w.Close()
	if err := conn.Stop(ctx, nil); err != nil {
		t.Fatal(err)
	}
	stop, at, err := w.WaitTimed(ctx)
	if err != nil || stop == nil || !at.Equal(stamp.Add(time.Second)) {
		t.Errorf("WaitTimed = %v, %v, %v; want the STOP stamped %v", stop, at, err, stamp.Add(time.Second))
	}
	var nilCall func(context.Context) error
	if _, err := qmp.CallAndWait(ctx, conn, nilCall, qmp.Any[qmp.StopEvent]); err == nil {
		t.Error("CallAndWait with a nil call did not fail")
	}
}

// Conn is a runtime.Caller: code built on that interface takes it.
func TestConnIsCaller(t *testing.T) {
	conn, _ := fakeConn(t,
		fakepeer.Expect("query-commands"),
		fakepeer.Reply([]map[string]any{{"name": "query-status"}, {"name": "stop"}}),
	)
	var _ runtime.Caller = conn
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p := introspect.NewProber(conn)
	_ = p
	var cmds []qmp.CommandInfo
	if err := conn.Call(ctx, "query-commands", nil, &cmds); err != nil || len(cmds) != 2 {
		t.Errorf("Call = %v, %v", cmds, err)
	}
}

// A Conn without a session (WithCaller on nil) sends its commands
// through the caller; what needs a session fails instead of panicking.
func TestConnWithoutSession(t *testing.T) {
	rec := &recordingCaller{}
	conn := (*qmp.Conn)(nil).WithCaller(rec)
	ctx := context.Background()
	if err := conn.Stop(ctx, nil); err != nil || rec.last != "stop" {
		t.Errorf("Stop through the caller: %v, last %q", err, rec.last)
	}
	if conn.Session() != nil || conn.Err() == nil || conn.Close() != nil {
		t.Errorf("Session %v, Err %v", conn.Session(), conn.Err())
	}
	<-conn.Done()
	if _, err := conn.Subscribe().Next(ctx); err == nil {
		t.Error("Subscription.Next without a session did not fail")
	}
	if _, err := qmp.Watch(conn, qmp.Any[qmp.StopEvent]).Wait(ctx); err == nil {
		t.Error("Watcher.Wait without a session did not fail")
	}
}

type recordingCaller struct{ last string }

func (r *recordingCaller) Call(ctx context.Context, command string, args, result any, opts ...runtime.CallOption) error {
	r.last = command
	return nil
}
