package testgenserver_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/qapi-go/qapi/generator/internal/testgen"
	"github.com/qapi-go/qapi/generator/internal/testgen/testgenserver"
	"github.com/qapi-go/qapi/runtime"
	"github.com/qapi-go/qapi/runtime/codec"
	"github.com/qapi-go/qapi/runtime/fakepeer"
	"github.com/qapi-go/qapi/runtime/server"
)

// recorder implements every method of the Server: it records which
// method ran with what arguments (as JSON), and answers fixed results.
type recorder struct {
	testgenserver.UnimplementedServer
	mu    sync.Mutex
	calls []string
}

func (r *recorder) record(method string, args any) {
	b, err := codec.Marshal(args)
	if err != nil {
		b = []byte("encode: " + err.Error())
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, method+" "+string(b))
}

func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.calls
	r.calls = nil
	return c
}

var circle = testgen.Shape{ShapeBase: testgen.ShapeBase{Base: testgen.Base{Name: "c"}, Kind: testgen.ShapeKindCircle}, Circle: &testgen.Circle{Radius: 2}}

func (r *recorder) AddShape(_ context.Context, a *testgen.Shape) error {
	r.record("AddShape", a)
	return nil
}

func (r *recorder) Conditional(_ context.Context, a *testgen.ConditionalArgs) error {
	r.record("Conditional", a)
	return nil
}

func (r *recorder) DeviceAdd(_ context.Context, a json.RawMessage) error {
	r.record("DeviceAdd", a)
	return nil
}

func (r *recorder) Draw(_ context.Context, a *testgen.DrawArgs) (int64, error) {
	r.record("Draw", a)
	return int64(len(a.Shapes)), nil
}

func (r *recorder) EchoAny(_ context.Context, a *testgen.EchoAnyArgs) (json.RawMessage, error) {
	r.record("EchoAny", a)
	return a.V, nil
}

func (r *recorder) EchoStr(_ context.Context, a *testgen.EchoStrArgs) (string, error) {
	r.record("EchoStr", a)
	return a.S, nil
}

func (r *recorder) FindShapes(_ context.Context, a *testgen.FindShapesArgs) ([]testgen.Shape, error) {
	r.record("FindShapes", a)
	return []testgen.Shape{circle}, nil
}

func (r *recorder) GetCount(_ context.Context, a *testgen.GetCountArgs) (int64, error) {
	r.record("GetCount", a)
	return 42, nil
}

func (r *recorder) GetShape(_ context.Context, a *testgen.GetShapeArgs) (*testgen.Shape, error) {
	r.record("GetShape", a)
	if a.Name != "c" {
		return nil, server.Error(runtime.GenericError, "no shape "+a.Name)
	}
	return &circle, nil
}

func (r *recorder) ListShapes(_ context.Context, a *testgen.ListShapesArgs) ([]testgen.Shape, error) {
	r.record("ListShapes", a)
	return nil, nil
}

func (r *recorder) OldCommand(_ context.Context, a *testgen.OldCommandArgs) error {
	r.record("OldCommand", a)
	return nil
}

func (r *recorder) PingOOB(_ context.Context, a *testgen.PingOOBArgs) error {
	r.record("PingOOB", a)
	return nil
}

func (r *recorder) Stop(ctx context.Context, a *testgen.StopArgs) error {
	r.record("Stop", a)
	return testgenserver.EmitEvent(server.RequestFrom(ctx).Conn, &testgen.StopEvent{})
}

func dial(t *testing.T, s testgenserver.Server) *testgen.Conn {
	t.Helper()
	mux := server.NewMux()
	testgenserver.Register(mux, s)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	c, err := testgen.New(ctx, fakepeer.NewServer(t, &server.Server{Handler: mux}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestRegisterDispatches: every command reaches its own method, with the
// arguments the client sent decoded into the typed arguments (a boxed
// union, free-form arguments, none), and the method's typed result is
// what the client gets back.
func TestRegisterDispatches(t *testing.T) {
	rec := &recorder{}
	c := dial(t, rec)
	for _, tc := range []struct {
		command string
		call    func(ctx context.Context) (any, error)
		want    any
		calls   []string
	}{
		{"add-shape", func(ctx context.Context) (any, error) { return nil, c.AddShape(ctx, &circle) },
			nil, []string{`AddShape {"name":"c","kind":"circle","radius":2}`}},
		{"conditional", func(ctx context.Context) (any, error) { return nil, c.Conditional(ctx, nil) },
			nil, []string{`Conditional {}`}},
		{"device_add", func(ctx context.Context) (any, error) {
			return nil, c.DeviceAdd(ctx, map[string]any{"driver": "virtio-net", "x": 1})
		}, nil, []string{`DeviceAdd {"driver":"virtio-net","x":1}`}},
		{"draw", func(ctx context.Context) (any, error) {
			return c.Draw(ctx, &testgen.DrawArgs{Shapes: []testgen.Shape{circle, circle}, Value: testgen.Value{S: testgen.Ptr("v")}})
		}, int64(2), []string{`Draw {"shapes":[{"name":"c","kind":"circle","radius":2},{"name":"c","kind":"circle","radius":2}],"value":"v"}`}},
		{"echo-any", func(ctx context.Context) (any, error) {
			r, err := c.EchoAny(ctx, &testgen.EchoAnyArgs{V: json.RawMessage(`[1,{"a":null}]`)})
			return string(r), err
		}, `[1, {"a": null}]`, []string{`EchoAny {"v":[1,{"a":null}]}`}}, // the server writes JSON as QEMU does
		{"echo-str", func(ctx context.Context) (any, error) { return c.EchoStr(ctx, &testgen.EchoStrArgs{S: "é\n"}) },
			"é\n", []string{`EchoStr {"s":"é\n"}`}},
		{"find-shapes", func(ctx context.Context) (any, error) {
			return c.FindShapes(ctx, &testgen.FindShapesArgs{Limit: testgen.Ptr(int64(3))})
		}, []testgen.Shape{circle}, []string{`FindShapes {"limit":3}`}},
		{"get-count", func(ctx context.Context) (any, error) { return c.GetCount(ctx, nil) },
			int64(42), []string{`GetCount {}`}},
		{"get-shape", func(ctx context.Context) (any, error) { return c.GetShape(ctx, &testgen.GetShapeArgs{Name: "c"}) },
			&circle, []string{`GetShape {"name":"c"}`}},
		{"list-shapes", func(ctx context.Context) (any, error) { return c.ListShapes(ctx, nil) },
			[]testgen.Shape(nil), []string{`ListShapes {}`}},
		{"old-command", func(ctx context.Context) (any, error) {
			//lint:ignore SA1019 every command is served, deprecated ones too
			return nil, c.OldCommand(ctx, nil)
		}, nil, []string{`OldCommand {}`}},
		{"ping-oob", func(ctx context.Context) (any, error) { return nil, c.PingOOB(ctx, nil, runtime.OutOfBand()) },
			nil, []string{`PingOOB {}`}},
		{"stop", func(ctx context.Context) (any, error) {
			// 'success-response': false: nothing answers; the STOP event
			// the method emits tells that it ran.
			_, err := testgen.CallAndWait(ctx, c, func(ctx context.Context) error { return c.Stop(ctx, nil) }, testgen.Any[testgen.StopEvent])
			return nil, err
		}, nil, []string{`Stop {}`}},
	} {
		t.Run(tc.command, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			got, err := tc.call(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got, cmp.Comparer(func(a, b codec.Members) bool { return len(a) == len(b) })); d != "" {
				t.Errorf("result (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tc.calls, rec.take()); d != "" {
				t.Errorf("methods called (-want +got):\n%s", d)
			}
		})
	}
	if len(testgen.Commands) != 13 {
		t.Errorf("the schema has %d commands; the table above tests 13: extend it", len(testgen.Commands))
	}
}

// TestRegisterErrors: arguments are checked as QEMU checks them before a
// method runs, a method's error reaches the client with its class, and
// UnimplementedServer answers as a QEMU without the command.
func TestRegisterErrors(t *testing.T) {
	rec := &recorder{}
	c := dial(t, rec)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, tc := range []struct {
		command, args string
		class, desc   string
	}{
		{"get-shape", `{}`, "GenericError", "Parameter 'name' is missing"},
		{"get-shape", `{"name": 1}`, "GenericError", "Invalid parameter type for 'name', expected: string"},
		{"get-shape", `{"name": "c", "x": 1}`, "GenericError", "Parameter 'x' is unexpected"},
		{"get-count", `{"x": 1}`, "GenericError", "Parameter 'x' is unexpected"},
		{"get-shape", `{"name": "nope"}`, "GenericError", "no shape nope"},
		{"no-such-command", `{}`, "CommandNotFound", "The command no-such-command has not been found"},
	} {
		_, err := c.Session().Execute(ctx, tc.command, json.RawMessage(tc.args))
		var ce *runtime.CommandError
		if !errors.As(err, &ce) || string(ce.Class) != tc.class || ce.Desc != tc.desc {
			t.Errorf("%s %s: %v, want %s %q", tc.command, tc.args, err, tc.class, tc.desc)
		}
	}
	if calls := rec.take(); len(calls) != 1 || calls[0] != `GetShape {"name":"nope"}` {
		t.Errorf("methods called: %q, want only the valid get-shape", calls)
	}

	bare := dial(t, testgenserver.UnimplementedServer{})
	_, err := bare.GetCount(ctx, nil)
	if !errors.Is(err, testgen.CommandNotFound) {
		t.Errorf("unimplemented get-count: %v, want CommandNotFound", err)
	}
}

// TestEmitEvent: events with data are sent with it, STOP (declared
// without data) without a "data" member, a boxed event flat.
func TestEmitEvent(t *testing.T) {
	var srv *server.Server
	mux := server.NewMux()
	testgenserver.Register(mux, testgenserver.UnimplementedServer{})
	srv = &server.Server{Handler: mux}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := testgen.New(ctx, fakepeer.NewServer(t, srv))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sub := c.Subscribe()
	defer sub.Close()
	// The session is registered once negotiation is done; a command's
	// reply proves it is.
	if _, err := c.Session().Execute(ctx, "query-nothing", nil); !errors.Is(err, testgen.CommandNotFound) {
		t.Fatalf("query-nothing: %v", err)
	}
	for _, ev := range []testgenserver.Event{
		&testgen.StopEvent{},
		&testgen.ShapeAddedEvent{Name: "a", Kind: testgen.ShapeKindSquare},
		&testgen.ShapeChangedEvent{Shape: circle},
	} {
		if err := testgenserver.EmitEvent(srv, ev); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for range 3 {
		ev, err := sub.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ev.Name+" "+string(ev.Data))
	}
	want := []string{
		"STOP ",
		`SHAPE_ADDED {"name": "a", "kind": "square"}`,
		`SHAPE_CHANGED {"name": "c", "kind": "circle", "radius": 2}`,
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("events (-want +got):\n%s", d)
	}
}
