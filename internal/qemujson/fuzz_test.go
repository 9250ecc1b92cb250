package qemujson

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzStreamer feeds arbitrary bytes, whole and in two pieces: every text
// emitted is valid standard JSON whose members are its own, the output
// does not depend on how the input was cut, and QEMU's style of it is
// valid JSON too.
func FuzzStreamer(f *testing.F) {
	for _, s := range []string{
		`{"execute":"query-status","id":1}`, `{'a': "b\u00e9"}`, "\xff{}", "[[[[", `{"a":1,"a":2}`,
		"{\"a\":\"\xc0\x80\"}", `["\ud83d\ude00"]`, "1 2 3 ", "}{", `{"x": nul}`,
	} {
		f.Add([]byte(s), uint8(3))
	}
	f.Fuzz(func(t *testing.T, in []byte, cut uint8) {
		lim := Limits{TokenSize: 1 << 12, TokenCount: 1 << 10, Nesting: 64}
		collect := func(chunks ...[]byte) []string {
			s := NewStreamer(lim)
			var out []string
			for _, c := range chunks {
				s.Feed(c, func(m *Message) {
					if m.Err != "" {
						out = append(out, "error: "+m.Err)
						return
					}
					if !json.Valid(m.JSON) {
						t.Fatalf("invalid JSON %q from %q", m.JSON, in)
					}
					if m.IsObject != (m.JSON[0] == '{') {
						t.Fatalf("IsObject %v for %q", m.IsObject, m.JSON)
					}
					for _, mem := range m.Members {
						if !json.Valid(mem.Value) || !bytes.Contains(m.JSON, mem.Value) {
							t.Fatalf("member %q: %q not in %q", mem.Key, mem.Value, m.JSON)
						}
					}
					styled := AppendQEMUStyle(nil, m.JSON)
					if !json.Valid(styled) {
						t.Fatalf("QEMU style %q of %q is not JSON", styled, m.JSON)
					}
					out = append(out, string(m.JSON))
				})
			}
			return out
		}
		whole := collect(in)
		i := int(cut) % (len(in) + 1)
		split := collect(in[:i], in[i:])
		if len(whole) != len(split) {
			t.Fatalf("%d messages whole, %d cut at %d", len(whole), len(split), i)
		}
		for k := range whole {
			if whole[k] != split[k] {
				t.Fatalf("message %d: %q whole, %q cut at %d", k, whole[k], split[k], i)
			}
		}
		for _, m := range whole {
			if len(m) > 7 && m[:7] == "error: " {
				if s := AppendString(nil, m[7:]); !json.Valid(s) {
					t.Fatalf("error text %q is not written as JSON: %q", m, s)
				}
			}
		}
	})
}
