package introspect

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qapi-go/qapi/runtime"
)

// fakeCaller answers query-qmp-schema from a list of results, one per
// call (the last one repeats), optionally after gate is closed.
type fakeCaller struct {
	calls   atomic.Int32
	results []func() (json.RawMessage, error)
	gate    chan struct{}
}

func (f *fakeCaller) Call(ctx context.Context, command string, args, result any, opts ...runtime.CallOption) error {
	n := int(f.calls.Add(1)) - 1
	if command != "query-qmp-schema" {
		return errors.New("unexpected command " + command)
	}
	if f.gate != nil {
		select {
		case <-f.gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if n >= len(f.results) {
		n = len(f.results) - 1
	}
	raw, err := f.results[n]()
	if err != nil {
		return err
	}
	*result.(*json.RawMessage) = raw
	return nil
}

func ok() (json.RawMessage, error) { return json.RawMessage(small), nil }

func TestProberCachesAndShares(t *testing.T) {
	f := &fakeCaller{results: []func() (json.RawMessage, error){ok}, gate: make(chan struct{})}
	p := NewProber(f)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			var got bool
			var err error
			switch i % 5 {
			case 0:
				got, err = p.HasCommand(ctx, "query-x")
			case 1:
				got, err = p.HasEvent(ctx, "X_CHANGED")
			case 2:
				got, err = p.HasArgument(ctx, "set-x", "props.size")
			case 3:
				got, err = p.HasEnumValue(ctx, "set-x", "mode", "a")
			case 4:
				got, err = p.HasFeature(ctx, "query-x", "unstable")
			}
			if err == nil && !got {
				err = errors.New("probe answered false")
			}
			errs <- err
		}(i)
	}
	time.Sleep(10 * time.Millisecond) // let them pile up behind one fetch
	close(f.gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := f.calls.Load(); n != 1 {
		t.Errorf("query-qmp-schema sent %d times, want 1", n)
	}
	if _, err := p.HasCommand(ctx, "x"); err != nil || f.calls.Load() != 1 {
		t.Errorf("later probe: err %v, calls %d", err, f.calls.Load())
	}
}

func TestProberErrorsAreNotCached(t *testing.T) {
	boom := &runtime.CommandError{Class: "GenericError", Desc: "boom"}
	f := &fakeCaller{results: []func() (json.RawMessage, error){
		func() (json.RawMessage, error) { return nil, boom },
		func() (json.RawMessage, error) { return json.RawMessage(`[{"name":1}]`), nil },
		ok,
	}}
	p := NewProber(f)
	ctx := context.Background()
	if _, err := p.HasCommand(ctx, "query-x"); !errors.Is(err, boom) && !errors.As(err, new(*runtime.CommandError)) {
		t.Fatalf("first probe: err = %v, want the command error", err)
	}
	if _, err := p.HasCommand(ctx, "query-x"); err == nil {
		t.Fatal("second probe over a malformed reply succeeded")
	}
	if got, err := p.HasCommand(ctx, "query-x"); err != nil || !got {
		t.Fatalf("third probe: %v, %v", got, err)
	}
}

func TestProberContext(t *testing.T) {
	f := &fakeCaller{results: []func() (json.RawMessage, error){ok}, gate: make(chan struct{})}
	p := NewProber(f)

	// The first caller gives up; a waiter with a live context takes over.
	ctx1, cancel1 := context.WithCancel(context.Background())
	first := make(chan error, 1)
	go func() { _, err := p.HasCommand(ctx1, "query-x"); first <- err }()
	for f.calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	second := make(chan error, 1)
	go func() { _, err := p.HasCommand(context.Background(), "query-x"); second <- err }()
	time.Sleep(5 * time.Millisecond)
	cancel1()
	if err := <-first; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled caller: err = %v", err)
	}
	close(f.gate)
	if err := <-second; err != nil {
		t.Fatalf("waiting caller: %v", err)
	}

	// A waiter whose own context ends stops waiting at once.
	f2 := &fakeCaller{results: []func() (json.RawMessage, error){ok}, gate: make(chan struct{})}
	p2 := NewProber(f2)
	go p2.Schema(context.Background())
	for f2.calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
	defer cancel()
	if _, err := p2.HasEvent(ctx, "X"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("waiter: err = %v", err)
	}
	close(f2.gate)
}
