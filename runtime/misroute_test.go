package runtime_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/qapi-go/qapi/internal/leakcheck"
	"github.com/qapi-go/qapi/runtime"
)

// probes are commands whose replies tell which command they answer: a
// reply that reaches the wrong caller shows as a missing member.
var probes = []struct {
	command string
	member  string // a member only this command's return value has
}{
	{"query-status", "status"},
	{"query-version", "qemu"},
	{"query-kvm", "present"},
	{"query-target", "arch"},
	{"query-uuid", "UUID"},
	{"query-name", ""}, // {} with -machine none and no -name
}

// hostileArgs returns an argument value that QEMU's JSON parser could
// read as more (or fewer) than one request if the client sent it as it
// is: nesting over QEMU's limit, raw 0xFF and 0xFE bytes and invalid
// UTF-8 in strings, a token count or size over the limit, arguments that
// are not an object, noncharacters, random JSON around all of these.
func hostileArgs(r *rand.Rand) any {
	switch r.IntN(40) {
	case 0, 10, 11, 12: // an ordinary Go value nested deeper than QEMU's limit
		var v any = "deep"
		for range 1000 + r.IntN(200) {
			if r.IntN(2) == 0 {
				v = []any{v}
			} else {
				v = map[string]any{"k": v}
			}
		}
		return map[string]any{"path": "/machine", "property": "p", "value": v}
	case 1, 7, 8, 9: // nested exactly to the limit or just under: QEMU reads it
		d := 1022 - r.IntN(3)
		return json.RawMessage(`{"path":"/machine","property":"p","value":` + strings.Repeat("[", d) + strings.Repeat("]", d) + `}`)
	case 2: // a token count over the limit (refused locally: cheap)
		return json.RawMessage(`{"value":[` + strings.Repeat("0,", 1<<20) + `0]}`)
	case 3, 4, 5, 6: // arguments that are not an object
		return json.RawMessage([]string{`[1,2]`, `"s"`, `12`, `true`}[r.IntN(4)])
	default: // random JSON with hostile strings
		var b bytes.Buffer
		b.WriteString(`{"path":"/machine","property":`)
		randString(r, &b)
		b.WriteString(`,"value":`)
		randValue(r, &b, 0)
		b.WriteByte('}')
		return json.RawMessage(b.Bytes())
	}
}

func randValue(r *rand.Rand, b *bytes.Buffer, depth int) {
	switch n := r.IntN(8); {
	case n < 2 && depth < 8:
		b.WriteByte('[')
		for i := range r.IntN(4) {
			if i > 0 {
				b.WriteByte(',')
			}
			randValue(r, b, depth+1)
		}
		b.WriteByte(']')
	case n < 4 && depth < 8:
		b.WriteByte('{')
		for i := range r.IntN(4) {
			if i > 0 {
				b.WriteByte(',')
			}
			randString(r, b)
			b.WriteByte(':')
			randValue(r, b, depth+1)
		}
		b.WriteByte('}')
	case n < 6:
		randString(r, b)
	case n == 6:
		fmt.Fprint(b, r.Int64()-r.Int64())
	default:
		b.WriteString([]string{"true", "false", "null", "1.5e300", "-0"}[r.IntN(5)])
	}
}

// randString writes a JSON string whose bytes include what QEMU's lexer
// and parser reject: 0xFF, 0xFE, stray continuation bytes, truncated
// sequences, surrogates, noncharacters (raw and escaped).
func randString(r *rand.Rand, b *bytes.Buffer) {
	pieces := []string{"a", "é", "😀", "\xff", "\xfe", "\x80", "\xc3", "\xed\xa0\x80", "\xef\xbf\xbe", `\ud800`, `\uffff`, `\u0041`, `\"`, `\\`, "}", "{", "]", "'", " "}
	b.WriteByte('"')
	for range r.IntN(6) {
		b.WriteString(pieces[r.IntN(len(pieces))])
	}
	b.WriteByte('"')
}

// TestRealQMPNoMisroute: several callers interleave ordinary commands with
// requests whose arguments QEMU could not read as exactly one request;
// against QEMU 7.2 and the stand-in, no reply ever reaches the wrong
// caller, every hostile call fails alone (refused before sending, or one
// error from the server), and the session survives.
func TestRealQMPNoMisroute(t *testing.T) {
	integration(t)
	leakcheck.Check(t)
	for _, p := range qmpPeers {
		t.Run(p.name, func(t *testing.T) {
			q, proc := realQMP(t, p)
			const callers, rounds = 6, 40
			var misrouted, refused, rejected atomic.Int64
			var wg sync.WaitGroup
			errs := make(chan error, callers)
			for g := range callers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					r := rand.New(rand.NewPCG(uint64(g), 42))
					for i := range rounds {
						// A hostile call: it must fail on its own.
						_, err := q.Execute(testCtx(t), "qom-set", hostileArgs(r))
						var re *runtime.RequestError
						var ce *runtime.CommandError
						switch {
						case errors.As(err, &re):
							refused.Add(1)
						case errors.As(err, &ce):
							rejected.Add(1)
						case err == nil:
							// QEMU accepted it (never: no such property).
						default:
							errs <- fmt.Errorf("caller %d round %d: hostile call: %v", g, i, err)
							return
						}
						// A probe: its reply must be its own.
						p := probes[(g+i)%len(probes)]
						var got map[string]json.RawMessage
						if err := q.Call(testCtx(t), p.command, nil, &got); err != nil {
							errs <- fmt.Errorf("caller %d round %d: %s: %v", g, i, p.command, err)
							return
						}
						if _, ok := got[p.member]; p.member != "" && !ok || p.member == "" && len(got) != 0 {
							misrouted.Add(1)
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			t.Logf("%d calls: %d refused before sending, %d rejected by the server, %d misrouted",
				2*callers*rounds, refused.Load(), rejected.Load(), misrouted.Load())
			if n := misrouted.Load(); n != 0 {
				t.Errorf("%d replies reached the wrong caller", n)
			}
			if refused.Load() == 0 || rejected.Load() == 0 {
				t.Errorf("the test sent no refused or no rejected request: it does not test anything")
			}
			if err := q.Err(); err != nil {
				t.Errorf("session failed: %v\n%s", err, proc.Output())
			}
		})
	}
}
