// Package compat compares the schema Go bindings were generated from with
// the schema a running QEMU reports (query-qmp-schema), and says what
// the bindings offer that this QEMU lacks, and the reverse:
//
//   - commands and events the QEMU lacks;
//   - commands and events the QEMU has that the bindings lack;
//   - members (arguments, return values, event data, nested members)
//     whose type or optionality differs, or that only one side has;
//   - enum values and union branches the QEMU lacks (or only it has).
//
// QEMU hides the names of its types in introspection (they are numbers),
// so types are compared structurally: starting from each command and
// event, both sides are walked member by member, and each type is
// reduced to its JSON kind (string, int, number, boolean, null, any,
// enum, object, array, alternate). All integer types are one kind, as
// they are on the wire. Each pair of types is compared once; a difference
// is reported where it is first reached (Difference.Where), with the
// bindings' type name when the type has one.
//
// Compare works on schemas already in hand; Check fetches the live schema
// over a connection (any runtime.Caller, e.g. *runtime.QMP).
package compat

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/qapi-go/qapi/introspect"
	"github.com/qapi-go/qapi/parser"
	"github.com/qapi-go/qapi/runtime"
	"github.com/qapi-go/qapi/schema"
)

// Report is the result of a comparison. Lists are sorted by name;
// Differences are grouped by Where in name order (commands first, then
// events).
type Report struct {
	// Bindings describes the bindings' schema ("QEMU 10.2.2 qapi/qapi-schema.json"),
	// QEMU the live QEMU ("7.2.22 (Debian 1:7.2+dfsg-7+deb12u18)"); set by
	// the caller, informative only.
	Bindings string `json:"bindings,omitempty"`
	QEMU     string `json:"qemu,omitempty"`

	// MissingCommands and MissingEvents are in the bindings but not in
	// the QEMU.
	MissingCommands []Def `json:"missing_commands"`
	MissingEvents   []Def `json:"missing_events"`
	// ExtraCommands and ExtraEvents are in the QEMU but not in the
	// bindings.
	ExtraCommands []string `json:"extra_commands"`
	ExtraEvents   []string `json:"extra_events"`
	// Differences inside commands and events both sides have.
	Differences []Difference `json:"differences"`
}

// Def names a definition of the bindings' schema.
type Def struct {
	Name string `json:"name"`
	// If is the definition's 'if' condition in the schema, as the
	// bindings' tables state it (parser.IfCond.Expr: "CONFIG_SPICE",
	// "TARGET_S390X && CONFIG_KVM"), empty when unconditional: a QEMU
	// built without it lacks the definition by design.
	If string `json:"if,omitempty"`
	// Features are the definition's features in the bindings' schema
	// ("deprecated", "unstable", ...).
	Features []string `json:"features,omitempty"`
}

// Kind classifies a Difference.
type Kind string

// The kinds of differences. "Missing" means the bindings have it and the
// QEMU does not; "Extra" the reverse.
const (
	MemberMissing      Kind = "member-missing"
	MemberExtra        Kind = "member-extra"
	TypeDiffers        Kind = "type-differs"
	OptionalityDiffers Kind = "optionality-differs"
	EnumValueMissing   Kind = "enum-value-missing"
	EnumValueExtra     Kind = "enum-value-extra"
	BranchMissing      Kind = "branch-missing"
	BranchExtra        Kind = "branch-extra"
	AlternativeMissing Kind = "alternative-missing"
	AlternativeExtra   Kind = "alternative-extra"
	// OOBDiffers: the bindings may send the command out of band
	// ('allow-oob'), this QEMU only takes it in band.
	OOBDiffers Kind = "allow-oob-differs"
)

// Difference is one difference inside a command or event.
type Difference struct {
	Kind Kind `json:"kind"`
	// Where is "command NAME" or "event NAME": where the difference was
	// first reached.
	Where string `json:"where"`
	// Path locates the value from there: "command" (the command itself),
	// "arguments", "returns", "data",
	// then ".member" steps, "[]" for array elements, "{tag=value}" for a
	// union branch and "|kind" for an alternate's alternative; e.g.
	// "arguments{driver=qcow2}.data-file".
	Path string `json:"path"`
	// Type is the bindings' name of the type at Path ("BlockdevDriver"),
	// empty for unnamed (implicit) types.
	Type string `json:"type,omitempty"`
	// Name is the member, enum value, branch or alternative concerned.
	Name string `json:"name,omitempty"`
	// Bindings and QEMU describe each side ("optional str", "required",
	// "enum BlockdevDriver", "absent").
	Bindings string `json:"bindings,omitempty"`
	QEMU     string `json:"qemu,omitempty"`
	// If is the bindings' 'if' condition of what is missing, if any.
	If string `json:"if,omitempty"`
}

// String renders the difference as one line, without Where.
func (d Difference) String() string {
	var b strings.Builder
	b.WriteString(d.Path)
	if d.Type != "" {
		fmt.Fprintf(&b, " (%s)", d.Type)
	}
	b.WriteString(": ")
	switch d.Kind {
	case MemberMissing:
		fmt.Fprintf(&b, "QEMU lacks member %q (bindings: %s)", d.Name, d.Bindings)
	case MemberExtra:
		fmt.Fprintf(&b, "bindings lack member %q (QEMU: %s)", d.Name, d.QEMU)
	case TypeDiffers:
		fmt.Fprintf(&b, "type differs: bindings %s, QEMU %s", d.Bindings, d.QEMU)
	case OptionalityDiffers:
		fmt.Fprintf(&b, "member %q is %s in the bindings, %s in QEMU", d.Name, d.Bindings, d.QEMU)
	case EnumValueMissing:
		fmt.Fprintf(&b, "QEMU lacks enum value %q", d.Name)
	case EnumValueExtra:
		fmt.Fprintf(&b, "bindings lack enum value %q", d.Name)
	case BranchMissing:
		fmt.Fprintf(&b, "QEMU lacks union branch %q", d.Name)
		if d.QEMU != "" {
			fmt.Fprintf(&b, " (QEMU: %s)", d.QEMU)
		}
	case BranchExtra:
		fmt.Fprintf(&b, "bindings lack union branch %q", d.Name)
	case AlternativeMissing:
		fmt.Fprintf(&b, "QEMU lacks alternative %s (bindings: %s)", d.Name, d.Bindings)
	case AlternativeExtra:
		fmt.Fprintf(&b, "bindings lack alternative %s (QEMU: %s)", d.Name, d.QEMU)
	case OOBDiffers:
		b.WriteString("the bindings allow out-of-band execution, QEMU takes it in band only")
	default:
		fmt.Fprintf(&b, "%s %q: bindings %s, QEMU %s", d.Kind, d.Name, d.Bindings, d.QEMU)
	}
	if d.If != "" {
		fmt.Fprintf(&b, " [if %s]", d.If)
	}
	return b.String()
}

// Empty reports whether the report found no difference at all.
func (r *Report) Empty() bool {
	return len(r.MissingCommands)+len(r.MissingEvents)+len(r.ExtraCommands)+len(r.ExtraEvents)+len(r.Differences) == 0
}

// Check asks the QEMU behind c for its schema and compares bindings with
// it.
func Check(ctx context.Context, c runtime.Caller, bindings *parser.Schema) (*Report, error) {
	live, err := introspect.Fetch(ctx, c)
	if err != nil {
		return nil, err
	}
	return Compare(bindings, live), nil
}

// EmbeddedQMP parses the vendored QMP schema (package schema), the schema
// the gen/qmp bindings are generated from.
func EmbeddedQMP() (*parser.Schema, error) {
	return parser.Parse(schema.QMPRoot, parser.Options{Mode: parser.Lenient, FS: schema.Files})
}

// Compare compares the bindings' schema with a live QEMU's.
func Compare(bindings *parser.Schema, live *introspect.Schema) *Report {
	c := &comparer{live: live, seen: map[string]bool{}}
	r := &Report{
		MissingCommands: []Def{}, MissingEvents: []Def{},
		ExtraCommands: []string{}, ExtraEvents: []string{},
		Differences: []Difference{},
	}
	var cmds []*parser.Command
	var evs []*parser.Event
	haveCmd, haveEv := map[string]bool{}, map[string]bool{}
	for _, d := range bindings.Defs {
		switch d := d.(type) {
		case *parser.Command:
			cmds = append(cmds, d)
			haveCmd[d.Name] = true
		case *parser.Event:
			evs = append(evs, d)
			haveEv[d.Name] = true
		}
	}
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].Name < cmds[j].Name })
	sort.Slice(evs, func(i, j int) bool { return evs[i].Name < evs[j].Name })

	for _, cmd := range cmds {
		lc := live.Command(cmd.Name)
		if lc == nil {
			r.MissingCommands = append(r.MissingCommands, defOf(&cmd.Defn))
			continue
		}
		c.where = "command " + cmd.Name
		if cmd.AllowOOB && !lc.AllowOOB {
			c.add(Difference{Kind: OOBDiffers, Path: "command", Bindings: "allow-oob", QEMU: "in-band only"})
		}
		c.compareType(argType(cmd.Arg), lc.ArgType, "arguments")
		if cmd.Ret != nil {
			c.compareType(cmd.Ret, lc.RetType, "returns")
		}
	}
	for _, ev := range evs {
		le := live.Event(ev.Name)
		if le == nil {
			r.MissingEvents = append(r.MissingEvents, defOf(&ev.Defn))
			continue
		}
		c.where = "event " + ev.Name
		c.compareType(argType(ev.Arg), le.ArgType, "data")
	}
	for _, n := range live.Commands() {
		if !haveCmd[n] {
			r.ExtraCommands = append(r.ExtraCommands, n)
		}
	}
	for _, n := range live.Events() {
		if !haveEv[n] {
			r.ExtraEvents = append(r.ExtraEvents, n)
		}
	}
	// Walk order within a definition interleaves levels; group by
	// place for reading.
	sort.SliceStable(c.diffs, func(i, j int) bool {
		a, b := c.diffs[i], c.diffs[j]
		if a.Where != b.Where {
			return a.Where < b.Where // "command ..." sorts before "event ..."
		}
		return pathKey(a.Path) < pathKey(b.Path)
	})
	r.Differences = c.diffs
	return r
}

// pathKey orders differences of the command itself before those inside
// it.
func pathKey(p string) string {
	if p == "command" {
		return ""
	}
	return p
}

func defOf(d *parser.Defn) Def {
	out := Def{Name: d.Name, If: d.If.Expr()}
	for _, f := range d.Features {
		out.Features = append(out.Features, f.Name)
	}
	return out
}

type comparer struct {
	live  *introspect.Schema
	seen  map[string]bool
	where string
	diffs []Difference
}

func (c *comparer) add(d Difference) {
	d.Where = c.where
	c.diffs = append(c.diffs, d)
}

// kind of a bindings type: the JSON kind, with enums and alternates apart.
func bindingKind(t parser.Type) string {
	switch t := t.(type) {
	case *parser.EnumType:
		return "enum"
	case *parser.AlternateType:
		return "alternate"
	case *parser.ObjectType:
		return "object"
	case *parser.ArrayType:
		return "array"
	case nil:
		return "object"
	default:
		return t.JSONType()
	}
}

// liveKind of a live type: the same classification.
func liveKind(e *introspect.Entity) string {
	if e == nil {
		return "unknown"
	}
	switch e.MetaType {
	case introspect.Builtin:
		return e.JSONType
	case introspect.Enum:
		return "enum"
	case introspect.Alternate:
		return "alternate"
	case introspect.Object:
		return "object"
	case introspect.Array:
		return "array"
	}
	return string(e.MetaType)
}

// wireKind is the JSON value kind an alternate dispatches on.
func wireKind(k string) string {
	switch k {
	case "enum":
		return "string"
	case "int":
		return "number" // QEMU's alternates accept a JSON number for both
	}
	return k
}

func describeBinding(t parser.Type) string {
	switch t := t.(type) {
	case nil:
		return "object"
	case *parser.BuiltinType:
		return t.Name
	case *parser.ArrayType:
		return "[" + describeBinding(t.Element) + "]"
	default:
		k := bindingKind(t)
		if t.Common().IsImplicit() {
			return k
		}
		return k + " " + t.Common().Name
	}
}

func describeLive(live *introspect.Schema, name string) string {
	return describeLiveDepth(live, name, 0)
}

func describeLiveDepth(live *introspect.Schema, name string, depth int) string {
	e := live.Type(name)
	switch {
	case e == nil:
		return "unknown type " + name
	case e.MetaType == introspect.Builtin:
		return e.Name
	case e.MetaType == introspect.Array:
		if depth > 8 { // a hostile reply's self-referencing array
			return "[...]"
		}
		return "[" + describeLiveDepth(live, e.ElementType, depth+1) + "]"
	}
	return liveKind(e)
}

func typeName(t parser.Type) string {
	if t == nil || t.Common().IsImplicit() {
		return ""
	}
	if _, ok := t.(*parser.BuiltinType); ok {
		return ""
	}
	return t.Common().Name
}

func optionality(opt bool) string {
	if opt {
		return "optional"
	}
	return "required"
}

// compareType compares bindings type bt (nil: no arguments/data, an
// empty object) with live type ln at path.
// argType is a command's or event's arguments as a parser.Type: nil (not
// a nil *ObjectType) when there are none.
func argType(o *parser.ObjectType) parser.Type {
	if o == nil {
		return nil
	}
	return o
}

func (c *comparer) compareType(bt parser.Type, ln, path string) {
	lt := c.live.Type(ln)
	bname := "<none>"
	if bt != nil {
		bname = bt.Common().Name
	}
	key := bname + "\x00" + ln
	if bt != nil && c.seen[key] {
		return
	}
	c.seen[key] = true

	bk, lk := bindingKind(bt), liveKind(lt)
	if bk != lk {
		// 'any' in the bindings takes whatever QEMU has.
		if bk != "value" {
			c.add(Difference{Kind: TypeDiffers, Path: path, Type: typeName(bt),
				Bindings: describeBinding(bt), QEMU: describeLive(c.live, ln)})
		}
		return
	}
	switch bt := bt.(type) {
	case nil:
		c.compareObject(&parser.ObjectType{}, lt, path)
	case *parser.EnumType:
		c.compareEnum(bt, lt, path)
	case *parser.ArrayType:
		c.compareType(bt.Element, lt.ElementType, path+"[]")
	case *parser.ObjectType:
		c.compareObject(bt, lt, path)
	case *parser.AlternateType:
		c.compareAlternate(bt, lt, path)
	}
}

func (c *comparer) compareEnum(bt *parser.EnumType, lt *introspect.Entity, path string) {
	have := map[string]bool{}
	for _, v := range lt.Values {
		have[v.Name] = true
	}
	known := map[string]bool{}
	for _, v := range bt.Members {
		known[v.Name] = true
		if !have[v.Name] {
			c.add(Difference{Kind: EnumValueMissing, Path: path, Type: typeName(bt), Name: v.Name, If: v.If.Expr()})
		}
	}
	for _, v := range lt.Values {
		if !known[v.Name] {
			c.add(Difference{Kind: EnumValueExtra, Path: path, Type: typeName(bt), Name: v.Name})
		}
	}
}

func (c *comparer) compareObject(bt *parser.ObjectType, lt *introspect.Entity, path string) {
	liveMembers := map[string]introspect.Member{}
	for _, m := range lt.Members {
		liveMembers[m.Name] = m
	}
	known := map[string]bool{}
	for _, m := range bt.Members {
		known[m.Name] = true
		lm, ok := liveMembers[m.Name]
		if !ok {
			c.add(Difference{Kind: MemberMissing, Path: path, Type: typeName(bt), Name: m.Name,
				Bindings: optionality(m.Optional) + " " + describeBinding(m.Type), If: m.If.Expr()})
			continue
		}
		if m.Optional != lm.Optional {
			c.add(Difference{Kind: OptionalityDiffers, Path: path, Type: typeName(bt), Name: m.Name,
				Bindings: optionality(m.Optional), QEMU: optionality(lm.Optional)})
		}
		c.compareType(m.Type, lm.Type, path+"."+m.Name)
	}
	for _, lm := range lt.Members {
		if !known[lm.Name] {
			c.add(Difference{Kind: MemberExtra, Path: path, Type: typeName(bt), Name: lm.Name,
				QEMU: optionality(lm.Optional) + " " + describeLive(c.live, lm.Type)})
		}
	}

	// Union branches.
	liveVariants := map[string]string{}
	for _, v := range lt.Variants {
		liveVariants[v.Case] = v.Type
	}
	if bt.Branches == nil {
		if lt.Tag != "" {
			c.add(Difference{Kind: TypeDiffers, Path: path, Type: typeName(bt),
				Bindings: "struct", QEMU: "union with tag " + lt.Tag})
		}
		return
	}
	tag := bt.Branches.Tag.Name
	if lt.Tag != tag {
		qemu := "struct"
		if lt.Tag != "" {
			qemu = "union with tag " + lt.Tag
		}
		c.add(Difference{Kind: TypeDiffers, Path: path, Type: typeName(bt),
			Bindings: "union with tag " + tag, QEMU: qemu})
		return
	}
	knownCase := map[string]bool{}
	for _, v := range bt.Branches.Variants {
		knownCase[v.Name] = true
		ln, ok := liveVariants[v.Name]
		if !ok {
			if o, isObj := v.Type.(*parser.ObjectType); isObj && o.IsEmpty() {
				// An enum value without a branch of its own (the front
				// end gives it an empty one): the tag enum's
				// comparison reports the missing value.
				continue
			}
			c.add(Difference{Kind: BranchMissing, Path: path, Type: typeName(bt), Name: v.Name, If: v.If.Expr()})
			continue
		}
		c.compareType(v.Type, ln, path+"{"+tag+"="+v.Name+"}")
	}
	for _, v := range lt.Variants {
		if knownCase[v.Case] {
			continue
		}
		// QEMU lists a branch for every tag value, with an empty object
		// for values the schema gives no branch; only a branch with
		// members is one the bindings lack.
		if e := c.live.Type(v.Type); e != nil && e.MetaType == introspect.Object && len(e.Members) == 0 && len(e.Variants) == 0 {
			continue
		}
		c.add(Difference{Kind: BranchExtra, Path: path, Type: typeName(bt), Name: v.Case})
	}
}

func (c *comparer) compareAlternate(bt *parser.AlternateType, lt *introspect.Entity, path string) {
	byKind := map[string]string{}
	var order []string
	for _, a := range lt.Alternatives {
		k := wireKind(liveKind(c.live.Type(a)))
		if _, dup := byKind[k]; !dup {
			byKind[k] = a
			order = append(order, k)
		}
	}
	known := map[string]bool{}
	for _, v := range bt.Alternatives.Variants {
		k := wireKind(bindingKind(v.Type))
		known[k] = true
		ln, ok := byKind[k]
		if !ok {
			c.add(Difference{Kind: AlternativeMissing, Path: path, Type: typeName(bt), Name: v.Name,
				Bindings: describeBinding(v.Type), If: v.If.Expr()})
			continue
		}
		c.compareType(v.Type, ln, path+"|"+v.Name)
	}
	for _, k := range order {
		if !known[k] {
			c.add(Difference{Kind: AlternativeExtra, Path: path, Type: typeName(bt), Name: k,
				QEMU: describeLive(c.live, byKind[k])})
		}
	}
}
