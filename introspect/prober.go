package introspect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/qapi-go/qapi/runtime"
)

// Fetch asks c for query-qmp-schema and decodes the reply.
func Fetch(ctx context.Context, c runtime.Caller) (*Schema, error) {
	var raw json.RawMessage
	if err := c.Call(ctx, "query-qmp-schema", nil, &raw); err != nil {
		return nil, fmt.Errorf("introspect: query-qmp-schema: %w", err)
	}
	return Decode(raw)
}

// A Prober answers capability questions about the QEMU behind one
// connection. It fetches the schema with query-qmp-schema on first use
// and answers every later question from that copy: a QEMU's schema does
// not change while it runs. Use one Prober per connection (a reconnect
// may reach another QEMU binary).
//
// A Prober is safe for concurrent use. Concurrent first questions share
// one fetch; a fetch that fails is not cached (the next question tries
// again), and each caller's context bounds its own wait.
type Prober struct {
	caller runtime.Caller

	mu       sync.Mutex
	schema   *Schema
	inflight chan struct{} // closed when the running fetch ends; nil when none runs
	lastErr  error         // result of the fetch that closed inflight
}

// NewProber returns a Prober asking c.
func NewProber(c runtime.Caller) *Prober { return &Prober{caller: c} }

// Schema returns the connection's schema, fetching it on first use.
func (p *Prober) Schema(ctx context.Context) (*Schema, error) {
	for {
		p.mu.Lock()
		if p.schema != nil {
			s := p.schema
			p.mu.Unlock()
			return s, nil
		}
		if ch := p.inflight; ch != nil {
			// Another caller is fetching: wait for it or for our context.
			p.mu.Unlock()
			select {
			case <-ch:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			p.mu.Lock()
			s, err := p.schema, p.lastErr
			p.mu.Unlock()
			if s != nil {
				return s, nil
			}
			// The fetch failed. If it failed because the fetching
			// caller's context ended, ours may still be live: try
			// ourselves. Otherwise share the error.
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if isContextErr(err) {
				continue
			}
			return nil, err
		}
		ch := make(chan struct{})
		p.inflight = ch
		p.mu.Unlock()

		s, err := Fetch(ctx, p.caller)

		p.mu.Lock()
		p.schema, p.lastErr, p.inflight = s, err, nil
		close(ch)
		p.mu.Unlock()
		return s, err
	}
}

func isContextErr(err error) bool {
	return err != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded))
}

// HasCommand reports whether the QEMU has the command.
func (p *Prober) HasCommand(ctx context.Context, command string) (bool, error) {
	s, err := p.Schema(ctx)
	if err != nil {
		return false, err
	}
	return s.HasCommand(command), nil
}

// HasEvent reports whether the QEMU has the event.
func (p *Prober) HasEvent(ctx context.Context, event string) (bool, error) {
	s, err := p.Schema(ctx)
	if err != nil {
		return false, err
	}
	return s.HasEvent(event), nil
}

// HasArgument reports whether the command (or event) has the member at
// path in its arguments (data): "driver", or a nested path such as
// "props.x" or "file.filename" (see Schema.Member). A command the QEMU
// lacks has no arguments.
func (p *Prober) HasArgument(ctx context.Context, command, path string) (bool, error) {
	s, err := p.Schema(ctx)
	if err != nil {
		return false, err
	}
	return s.HasMember(command, path), nil
}

// HasEnumValue reports whether the member at path of the command's (or
// event's) arguments accepts the enum value, e.g. ("blockdev-add",
// "driver", "qcow2") or ("migrate-set-capabilities",
// "capabilities.capability", "postcopy-ram"). An empty path asks about
// the enum the command returns. QEMU hides enum type names, so an enum is
// always reached from a command or event.
func (p *Prober) HasEnumValue(ctx context.Context, command, path, value string) (bool, error) {
	s, err := p.Schema(ctx)
	if err != nil {
		return false, err
	}
	return s.HasEnumValue(command, path, value), nil
}

// HasFeature reports whether the feature is set on target: a command or
// event ("savevm"), one of its members ("blockdev-add.file.filename"), or
// an enum value of a member ("blockdev-add.driver=vxhs"); see
// Schema.HasFeature.
func (p *Prober) HasFeature(ctx context.Context, target, feature string) (bool, error) {
	s, err := p.Schema(ctx)
	if err != nil {
		return false, err
	}
	return s.HasFeature(target, feature), nil
}
