package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/qapi-go/qapi/runtime"
)

func TestParseCommandWords(t *testing.T) {
	cat, err := loadQMPCatalog()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		words []string
		want  string // the request as {"execute":...,"arguments":...}
		err   string // substring of the error
	}{
		{name: "no args", words: []string{"query-status"}, want: `{"execute":"query-status"}`},
		{name: "int", words: []string{"balloon", "value=1073741824"}, want: `{"arguments":{"value":1073741824},"execute":"balloon"}`},
		{name: "str stays a string", words: []string{"qom-list", "path=123"}, want: `{"arguments":{"path":"123"},"execute":"qom-list"}`},
		{name: "quoted string", words: []string{"qom-list", `path="/machine x"`}, want: `{"arguments":{"path":"/machine x"},"execute":"qom-list"}`},
		{name: "bool", words: []string{"set_link", "name=n", "up=false"}, want: `{"arguments":{"name":"n","up":false},"execute":"set_link"}`},
		{name: "nested keys", words: []string{"blockdev-add", "driver=qcow2", "node-name=n0", "file.driver=file", "file.filename=/x"},
			want: `{"arguments":{"driver":"qcow2","file":{"driver":"file","filename":"/x"},"node-name":"n0"},"execute":"blockdev-add"}`},
		{name: "alternate as string", words: []string{"blockdev-add", "driver=qcow2", "node-name=n0", "file=disk0"},
			want: `{"arguments":{"driver":"qcow2","file":"disk0","node-name":"n0"},"execute":"blockdev-add"}`},
		{name: "JSON value", words: []string{"blockdev-add", "driver=qcow2", "node-name=n0", `file={"driver":"file","filename":"/x"}`},
			want: `{"arguments":{"driver":"qcow2","file":{"driver":"file","filename":"/x"},"node-name":"n0"},"execute":"blockdev-add"}`},
		{name: "JSON arguments", words: []string{"balloon", `{"value": 1}`}, want: `{"arguments":{"value":1},"execute":"balloon"}`},
		{name: "JSON request", words: []string{`{"execute":"balloon","arguments":{"value":2}}`}, want: `{"arguments":{"value":2},"execute":"balloon"}`},
		{name: "free-form command unchecked", words: []string{"device_add", "driver=virtio-rng-pci", "id=rng0"},
			want: `{"arguments":{"driver":"virtio-rng-pci","id":"rng0"},"execute":"device_add"}`},
		{name: "unknown command unchecked", words: []string{"x-future", "a=1", "b=x"}, want: `{"arguments":{"a":1,"b":"x"},"execute":"x-future"}`},

		{name: "bad int", words: []string{"balloon", "value=abc"}, err: `balloon: argument 'value': expected an integer (int), got "abc"`},
		{name: "missing required", words: []string{"balloon"}, err: `balloon: argument 'value': missing (required, an integer (int))`},
		{name: "no arguments taken", words: []string{"query-status", "x=1"}, err: "query-status: takes no arguments"},
		{name: "bad bool", words: []string{"set_link", "name=n", "up=maybe"}, err: `argument 'up': expected a boolean (true or false), got "maybe"`},
		{name: "bad enum", words: []string{"blockdev-add", "driver=qcow3"}, err: `argument 'driver': "qcow3" is not a value of BlockdevDriver (one of blkdebug,`},
		{name: "unknown member", words: []string{"blockdev-add", "driver=qcow2", "node-name=n0", "file=d", "bogus=1"}, err: `argument 'bogus': unknown member of BlockdevOptions (it has: `},
		{name: "missing branch member", words: []string{"blockdev-add", "driver=qcow2", "node-name=n0"}, err: `argument 'file': missing (required, BlockdevRef`},
		{name: "nested type", words: []string{"blockdev-add", "driver=qcow2", "node-name=n0", "file.driver=file", "file.filename=/x", "file.aio=fast"}, err: `argument 'file.aio': "fast" is not a value of BlockdevAioOptions`},
		{name: "JSON type in JSON request", words: []string{`{"execute":"balloon","arguments":{"value":"x"}}`}, err: `argument 'value': expected an integer (int), got a string ("x")`},
		{name: "key twice", words: []string{"balloon", "value=1", "value=2"}, err: `key "value" given twice`},
		{name: "not key=value", words: []string{"balloon", "1"}, err: `"1" is not key=value`},
		{name: "bad JSON", words: []string{"balloon", `{"value":`}, err: "JSON arguments: unexpected EOF"},
		{name: "JSON request not object", words: []string{`{"execute":1}`}, err: `"execute" must be a string`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := parseCommandWords(cat, tt.words, true)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error = %v, want it to contain %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			m := map[string]any{"execute": req.Command}
			if req.Args != nil {
				m["arguments"] = req.Args
			}
			got := string(encodeJSON(m))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("request (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSplitWords(t *testing.T) {
	tests := []struct {
		line string
		want []string
		err  string
	}{
		{line: "  query-status  ", want: []string{"query-status"}},
		{line: `qom-list path="/a b"`, want: []string{"qom-list", `path="/a b"`}},
		{line: `x a='it is' b={"k": [1, 2]}`, want: []string{"x", "a='it is'", `b={"k": [1, 2]}`}},
		{line: `x a="esc \" q"`, want: []string{"x", `a="esc \" q"`}},
		{line: `x a="open`, err: "unterminated"},
		{line: `x a={"k": 1`, err: "unbalanced"},
	}
	for _, tt := range tests {
		got, err := splitWords(tt.line)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: error = %v, want %q", tt.line, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tt.line, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%q (-want +got):\n%s", tt.line, diff)
		}
	}
}

func TestComplete(t *testing.T) {
	cat, err := loadQMPCatalog()
	if err != nil {
		t.Fatal(err)
	}
	c := &completer{cat: cat, builtins: []string{"help", "quit"}}
	tests := []struct {
		line string
		want []string
	}{
		{line: "query-st", want: []string{"ats ", "ats-schemas ", "atus "}},
		{line: "help query-vers", want: []string{"ion "}},
		{line: "balloon ", want: []string{"value="}},
		{line: "set_link name=n up=t", want: []string{"rue "}},
		{line: "blockdev-add driver=qcow", want: []string{" ", "2 "}},
		{line: "blockdev-add driver=qcow2 file.dri", want: []string{"ver="}},
		{line: "blockdev-add driver=file file", want: []string{"name="}}, // the file branch has filename, no file
		{line: "blockdev-add driver=qcow2 file.driver=fil", want: []string{"e "}},
		{line: "blockdev-add driver=qcow2 node-name=x node-", want: nil},
		{line: "nonexistent a", want: nil},
	}
	for _, tt := range tests {
		got, _ := c.Do([]rune(tt.line), len([]rune(tt.line)))
		var gs []string
		for _, r := range got {
			gs = append(gs, string(r))
		}
		if diff := cmp.Diff(tt.want, gs); diff != "" {
			t.Errorf("%q (-want +got):\n%s", tt.line, diff)
		}
	}
}

func TestEventJSON(t *testing.T) {
	tests := []struct {
		ev   runtime.Event
		want string
	}{
		{ev: runtime.Event{Name: "STOP", Timestamp: time.Unix(1700000000, 123456000)},
			want: `{"event":"STOP","timestamp":{"seconds":1700000000,"microseconds":123456}}`},
		{ev: runtime.Event{Name: "DEVICE_DELETED", Data: json.RawMessage(`{"path":"/x"}`), Timestamp: time.Unix(5, 0)},
			want: `{"event":"DEVICE_DELETED","data":{"path":"/x"},"timestamp":{"seconds":5,"microseconds":0}}`},
		{ev: runtime.Event{Name: "X"}, want: `{"event":"X","timestamp":{"seconds":-1,"microseconds":-1}}`},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, string(eventJSON(tt.ev))); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	}
}
