package qemutest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/qapi-go/qapi/parser"
)

// Bindings is what CheckExamples and the peer checks need of a generated
// package (gen/qmp, gen/qga): its Commands table and DecodeEvent.
type Bindings struct {
	// Command returns the constructors of a command's typed values, ok
	// false when the bindings lack the command.
	Command func(name string) (c CommandCodec, ok bool)
	// Unmarshal and Marshal are how the package decodes the values of
	// its types from the wire and how they are encoded back without
	// loss (nil: encoding/json's).
	Unmarshal func(data []byte, v any) error
	Marshal   func(v any) ([]byte, error)
	// DecodeEvent decodes an event's data (nil when absent) into a
	// pointer to its typed value, as the package's DecodeEvent does; ok
	// false when the bindings lack the event.
	DecodeEvent func(name string, data json.RawMessage) (v any, ok bool, err error)
}

// CommandCodec is a command's entry in a Commands table.
type CommandCodec struct {
	// NewArgs and NewResult return pointers to new zero typed values;
	// nil when the command takes no arguments (or free-form ones) or
	// returns nothing.
	NewArgs, NewResult func() any
	// FreeForm is set for commands whose arguments are not typed.
	FreeForm bool
}

// ExampleCategories are the categories of the examples' known-bad list:
// the ways QEMU's documentation is wrong.
var ExampleCategories = []string{
	"notation",  // the legend of the transcript notation, not a message
	"elided",    // "..." stands for content: not JSON
	"malformed", // not a QMP message: broken JSON, or a reply without its "return"
	"stale",     // a member no release of the range has (removed before it, or misspelt)
	"missing",   // a member every release of the range requires is absent (or misspelt)
	"mistyped",  // a member's value has the wrong JSON type
}

// PendingCategories are the categories of cases that fail because of
// work in progress in this module, not because of QEMU (each a test's
// pending list: a case leaves it when the work lands and it passes).
var PendingCategories = []string{
	"unknown-members", // a member the bindings lack is dropped (issue 9: unknown members are kept)
	"range-optional",  // a member or definition some release of the range lacks (issue 9: generation over the range)
}

// ExampleSchema names a schema whose doc examples CheckExamples checks.
type ExampleSchema struct {
	// Name prefixes the keys of its cases: "qmp-10.2.2", "qga-5.0".
	Name string
	// FS and Root locate the schema (Root is the root file in FS).
	FS   fs.FS
	Root string
}

// ExampleStats counts what CheckExamples checked.
type ExampleStats struct {
	Examples, Messages, Failed int
	// Listed counts the failed cases by the category they are listed
	// with.
	Listed map[string]int
}

// CheckExamples checks every message of every example in the docs of s
// through the typed API of b: a command's arguments decode into its
// typed args and re-encode to the same JSON value, a reply's return
// value decodes into the typed result of the command the example sent
// (or of the documented command) and re-encodes to the same value, an
// event decodes through DecodeEvent and its data re-encodes to the same
// value, an error reply has exactly a string class and desc. Each
// message is a case "NAME/SYMBOL#N" (the Nth message of the symbol's
// doc; a free-form doc's symbol is FILE:LINE) checked against kb.
func CheckExamples(t *testing.T, s ExampleSchema, b Bindings, kb *KnownBad) ExampleStats {
	t.Helper()
	sch, err := parser.Parse(s.Root, parser.Options{Mode: parser.Lenient, FS: s.FS})
	if err != nil {
		t.Fatalf("%s: %v", s.Name, err)
	}
	st := ExampleStats{Listed: map[string]int{}}
	lines := &sourceLines{fsys: s.FS, files: map[string][]string{}}
	for _, doc := range sch.Docs {
		symbol := doc.Symbol
		if symbol == "" {
			symbol = path.Base(doc.Info.File) + ":" + fmt.Sprint(doc.Info.Line)
		}
		n := 0
		for _, ex := range doc.Examples() {
			st.Examples++
			command := ""
			if _, ok := sch.Lookup(doc.Symbol).(*parser.Command); ok {
				command = doc.Symbol
			}
			sent := "" // the command the example sent last
			for _, m := range ex.Messages {
				n++
				st.Messages++
				key := fmt.Sprintf("%s/%s#%d", s.Name, symbol, n)
				problem := checkMessage(b, m, &sent, command)
				if problem != "" {
					st.Failed++
					if c := kb.Category(key); c != "" {
						st.Listed[c]++
					}
					problem = fmt.Sprintf("%s: %s", lines.locate(ex.Section.Info, m), problem)
				}
				kb.Check(t, key, problem)
			}
		}
	}
	kb.Finish(t, s.Name+"/")
	return st
}

// checkMessage checks one message; sent is the command the example sent
// last (updated by a request), command the documented one.
func checkMessage(b Bindings, m parser.ExampleMessage, sent *string, command string) string {
	var msg map[string]json.RawMessage
	if err := json.Unmarshal([]byte(m.Text), &msg); err != nil {
		return fmt.Sprintf("not a JSON object: %v", err)
	}
	if m.FromClient {
		return checkRequest(b, msg, sent)
	}
	switch {
	case has(msg, "return"):
		cmd := *sent
		if cmd == "" {
			cmd = command
		}
		if cmd == "" {
			return "a reply, but the example sends no command and documents none"
		}
		if p := onlyKeys(msg, "return", "id"); p != "" {
			return p
		}
		return checkReturn(b, cmd, msg["return"])
	case has(msg, "error"):
		if p := onlyKeys(msg, "error", "id"); p != "" {
			return p
		}
		var e struct {
			Class string `json:"class"`
			Desc  string `json:"desc"`
		}
		return roundTripProblem(Bindings{}, "error", &e, msg["error"])
	case has(msg, "event"):
		if p := onlyKeys(msg, "event", "data", "timestamp"); p != "" {
			return p
		}
		return checkEvent(b, msg)
	case has(msg, "QMP"):
		if p := onlyKeys(msg, "QMP"); p != "" {
			return p
		}
		var g struct {
			QMP struct {
				Version struct {
					QEMU struct {
						Major int `json:"major"`
						Minor int `json:"minor"`
						Micro int `json:"micro"`
					} `json:"qemu"`
					Package string `json:"package"`
				} `json:"version"`
				Capabilities []string `json:"capabilities"`
			} `json:"QMP"`
		}
		return roundTripProblem(Bindings{}, "greeting", &g, []byte(m.Text))
	}
	return "a server message that is no reply, error, event or greeting"
}

func checkRequest(b Bindings, msg map[string]json.RawMessage, sent *string) string {
	key := "execute"
	if has(msg, "exec-oob") {
		key = "exec-oob"
	}
	if p := onlyKeys(msg, key, "arguments", "id", "control"); p != "" {
		return p
	}
	var name string
	if err := json.Unmarshal(msg[key], &name); err != nil {
		return fmt.Sprintf("%q: %v", key, err)
	}
	*sent = name
	c, ok := b.Command(name)
	if !ok {
		return fmt.Sprintf("the bindings have no command %q", name)
	}
	args, hasArgs := msg["arguments"]
	switch {
	case c.FreeForm:
		if hasArgs {
			var m map[string]any
			if err := json.Unmarshal(args, &m); err != nil {
				return fmt.Sprintf("%s's free-form arguments: %v", name, err)
			}
		}
		return ""
	case c.NewArgs == nil:
		if hasArgs && !isEmptyObject(args) {
			return fmt.Sprintf("%s takes no arguments, the example sends %s", name, compactJSON(args))
		}
		return ""
	}
	if !hasArgs {
		args = []byte("{}")
	}
	return docValueProblem(b, name+" arguments", c.NewArgs(), args)
}

func checkReturn(b Bindings, cmd string, ret json.RawMessage) string {
	c, ok := b.Command(cmd)
	if !ok {
		return fmt.Sprintf("the bindings have no command %q", cmd)
	}
	if c.NewResult == nil {
		if !isEmptyObject(ret) {
			return fmt.Sprintf("%s returns nothing ({}), the example returns %s", cmd, compactJSON(ret))
		}
		return ""
	}
	return docValueProblem(b, cmd+" result", c.NewResult(), ret)
}

func checkEvent(b Bindings, msg map[string]json.RawMessage) string {
	var name string
	if err := json.Unmarshal(msg["event"], &name); err != nil {
		return fmt.Sprintf("event name: %v", err)
	}
	var ts struct {
		Seconds      int64 `json:"seconds"`
		Microseconds int64 `json:"microseconds"`
	}
	if p := roundTripProblem(Bindings{}, "timestamp", &ts, msg["timestamp"]); p != "" {
		return p
	}
	data := msg["data"]
	v, ok, err := b.DecodeEvent(name, data)
	switch {
	case !ok:
		return fmt.Sprintf("the bindings have no event %q", name)
	case err != nil:
		return err.Error()
	}
	if data == nil {
		data = []byte("{}")
	}
	marshal := b.Marshal
	if marshal == nil {
		marshal = json.Marshal
	}
	got, err := marshal(v)
	if err != nil {
		return fmt.Sprintf("re-encoding %T: %v", v, err)
	}
	diff, err := DiffJSON(data, got)
	if err != nil {
		return err.Error()
	}
	if diff != "" {
		return fmt.Sprintf("%s data does not re-encode to what the example sends (-sent +re-encoded):\n%s", name, diff)
	}
	return unknownProblem(name+" data", v)
}

// docValueProblem is roundTripProblem for a value of QEMU's docs, which
// must also name no member that the bindings do not know: the bindings
// span the release the docs come from, so such a member is a stale or
// misspelt one (one the round trip cannot see: it is kept and
// re-encoded).
func docValueProblem(b Bindings, what string, v any, raw []byte) string {
	if p := roundTripProblem(b, what, v, raw); p != "" {
		return p
	}
	return unknownProblem(what, v)
}

func unknownProblem(what string, v any) string {
	if u := UnknownMembers(v); len(u) > 0 {
		return fmt.Sprintf("%s: members the bindings do not know: %s", what, strings.Join(u, ", "))
	}
	return ""
}

// roundTripProblem is RoundTrip with b's codec as a problem text (""
// when none).
func roundTripProblem(b Bindings, what string, v any, raw []byte) string {
	diff, err := RoundTrip(v, raw, b.Unmarshal, b.Marshal)
	switch {
	case err != nil:
		return fmt.Sprintf("%s: %v", what, err)
	case diff != "":
		return fmt.Sprintf("%s do not re-encode to what the example sends (-sent +re-encoded):\n%s", what, diff)
	}
	return ""
}

func has(msg map[string]json.RawMessage, key string) bool {
	_, ok := msg[key]
	return ok
}

// onlyKeys reports members of msg other than keys.
func onlyKeys(msg map[string]json.RawMessage, keys ...string) string {
	var extra []string
	for k := range msg {
		if !slices.Contains(keys, k) {
			extra = append(extra, k)
		}
	}
	if len(extra) == 0 {
		return ""
	}
	slices.Sort(extra)
	return fmt.Sprintf("unexpected message members %q", extra)
}

func isEmptyObject(raw json.RawMessage) bool {
	var m map[string]json.RawMessage
	return json.Unmarshal(raw, &m) == nil && m != nil && len(m) == 0
}

func compactJSON(raw json.RawMessage) string {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return string(raw)
	}
	return b.String()
}

// sourceLines finds where example messages are in the schema's files,
// for messages that point at them.
type sourceLines struct {
	fsys  fs.FS
	files map[string][]string
}

// locate returns "FILE:LINE" of message m of a section at info: the
// first comment line at or after the section's start whose text is the
// message's arrow line (or the section's start when none is).
func (s *sourceLines) locate(info *parser.SourceInfo, m parser.ExampleMessage) string {
	lines, ok := s.files[info.File]
	if !ok {
		b, err := fs.ReadFile(s.fsys, info.File)
		if err == nil {
			lines = strings.Split(string(b), "\n")
		}
		s.files[info.File] = lines
	}
	arrow := "<-"
	if m.FromClient {
		arrow = "->"
	}
	first, _, _ := strings.Cut(m.Text, "\n")
	want := arrow + " " + strings.TrimSpace(first)
	for i := info.Line + m.Line - 1; i >= 0 && i < len(lines); i++ {
		l := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(lines[i]), "#"))
		if l == want || strings.HasPrefix(l, arrow) && strings.TrimSpace(strings.TrimPrefix(l, arrow)) == strings.TrimSpace(first) {
			return fmt.Sprintf("%s:%d", info.File, i+1)
		}
	}
	return info.Loc()
}
