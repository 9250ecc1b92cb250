package qemutest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestDiffJSON(t *testing.T) {
	tests := []struct {
		a, b  string
		equal bool
	}{
		{`{"a":1,"b":[1,2]}`, `{ "b": [1, 2], "a": 1 }`, true},
		{`1.0`, `1`, true},
		{`1e2`, `100`, true},
		{`0.1`, `0.10`, true},
		{`18446744073709551615`, `18446744073709551615`, true},
		{`18446744073709551615`, `18446744073709551614`, false},
		{`{"a":null}`, `{}`, false},
		{`{"a":1}`, `{"a":1,"b":2}`, false},
		{`{"a":"1"}`, `{"a":1}`, false},
		{`[1,2]`, `[2,1]`, false},
	}
	for _, tt := range tests {
		diff, err := DiffJSON([]byte(tt.a), []byte(tt.b))
		if err != nil || (diff == "") != tt.equal {
			t.Errorf("DiffJSON(%s, %s) = %q, %v; want equal %v", tt.a, tt.b, diff, err, tt.equal)
		}
	}
	for _, bad := range []string{``, `{`, `1 2`, `{"a":1}x`} {
		if _, err := DiffJSON([]byte(bad), []byte(`1`)); err == nil {
			t.Errorf("DiffJSON(%q): no error", bad)
		}
	}
}

// recorder is a testing.TB that records what would fail the test.
type recorder struct {
	testing.TB
	errors []string
}

func (r *recorder) Helper()                           {}
func (r *recorder) Errorf(format string, args ...any) { r.errors = append(r.errors, format) }
func (r *recorder) Logf(string, ...any)               {}

func TestKnownBad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "list.txt")
	list := "# comment\n\nx/a#1 elided the reason\nx/b#1 elided another\nx/c#1 missing never checked\ny/a#1 elided other prefix\n"
	if err := os.WriteFile(path, []byte(list), 0o644); err != nil {
		t.Fatal(err)
	}
	kb := ReadKnownBad(t, path, "elided", "missing")
	if c := kb.Category("x/a#1"); c != "elided" {
		t.Errorf("Category = %q", c)
	}
	r := &recorder{TB: t}
	kb.Check(r, "x/a#1", "fails") // listed, fails: fine
	kb.Check(r, "x/b#1", "")      // listed, passes: Finish complains
	kb.Check(r, "x/d#1", "fails") // unlisted, fails: an error now
	kb.Check(r, "x/e#1", "")      // unlisted, passes: fine
	if len(r.errors) != 1 {
		t.Errorf("Check: %d errors, want 1 (the unlisted failure): %q", len(r.errors), r.errors)
	}
	r.errors = nil
	kb.Finish(r, "x/") // x/b passes, x/c was never checked; y/ is not finished
	if len(r.errors) != 2 || !strings.Contains(r.errors[0], "passes now") || !strings.Contains(r.errors[1], "no such case") {
		t.Errorf("Finish: %q, want a passing case and an unchecked one", r.errors)
	}
}

func TestUnknownMembers(t *testing.T) {
	type members map[string]json.RawMessage
	type branch struct {
		B              int `json:"b"`
		UnknownMembers members
	}
	type base struct {
		UnknownMembers members `json:"-"`
	}
	type value struct {
		base
		List   []branch `json:"list"`
		Branch *branch  `json:"-" codec:"branch,x"`
		Any    any      `json:"any"`
	}
	v := &value{
		base:   base{UnknownMembers: members{"top": nil}},
		List:   []branch{{}, {UnknownMembers: members{"old": nil, "older": nil}}},
		Branch: &branch{UnknownMembers: members{}},
		Any:    map[string]any{"k": branch{UnknownMembers: members{"deep": nil}}},
	}
	got := UnknownMembers(v)
	want := []string{"any.k.deep", "list[].old", "list[].older", "top"}
	if !slices.Equal(got, want) {
		t.Errorf("UnknownMembers = %q, want %q", got, want)
	}
	if got := UnknownMembers(&struct{ A int }{}); got != nil {
		t.Errorf("UnknownMembers of a value without any = %q", got)
	}
}
