package parser

import "strconv"

// This file defines the checked IR that stage 3 (schema building) produces
// and the generator walks. It mirrors the entities of QEMU's reference
// front end (scripts/qapi/schema.py) so that the reference's behaviour and
// dump format carry over one to one, but everything is resolved: a
// consumer never looks a name up or re-derives a rule.

// Schema is a checked schema: every module, every definition in the
// reference's order, and every doc comment.
type Schema struct {
	// File is the root schema file as given.
	File string
	// Modules in the order the reference visits them: the built-in module
	// "./builtin" first, then user modules in order of first inclusion.
	Modules []*Module
	// Defs lists every definition (built-ins, implicit and array types
	// included) in the reference's definition order.
	Defs []Definition
	// Docs lists every doc comment in source order (the reference's
	// schema.docs).
	Docs []*Doc
	// Warnings collects what lenient mode tolerated, in the order found
	// (reading all files first, then checking definitions in order).
	Warnings []*Warning
	// Features lists every feature name the schema uses, once, at its
	// first use: 'deprecated' and 'unstable' first (Info nil), then in
	// definition order (the reference's schema.features()).
	Features []*Feature

	byName map[string]Definition
}

// Lookup returns the definition called name, or nil.
func (s *Schema) Lookup(name string) Definition { return s.byName[name] }

// LookupType returns the type called name, or nil.
func (s *Schema) LookupType(name string) Type {
	t, _ := s.byName[name].(Type)
	return t
}

// Module is one schema file (or the built-in pseudo-module "./builtin").
// Name is the path relative to the root file's directory, as the
// reference prints it ("qapi-schema.json", "block-core.json",
// "sub/inc.json"); built-in modules start with "./".
type Module struct {
	Name string
	// Entities in visit order: *Include entries and definitions defined
	// in this module. As in the reference, an array type lands in the
	// module that defines its element type (arrays of built-ins in
	// "./builtin"), an implicit q_obj_* type in the module of the
	// definition that implied it.
	Entities []Entity
}

// IsBuiltin reports whether m is the "./builtin" module.
func (m *Module) IsBuiltin() bool { return m.Name == "./builtin" }

// Entity is anything a module lists: an *Include or a Definition.
type Entity interface{ entity() }

// Include records an include directive, also when the file was already
// included before (the reference records repeated includes too).
type Include struct {
	Module *Module // the included module
	Info   *SourceInfo
}

func (*Include) entity() {}

// Definition is a named schema entity: a Type, a *Command or an *Event.
type Definition interface {
	Entity
	// Common returns the parts every definition has.
	Common() *Defn
	// Meta is the reference's name for the kind of definition: "built-in",
	// "enum", "array", "struct", "union", "alternate", "command", "event".
	Meta() string
}

// Defn holds what every definition has.
type Defn struct {
	Name string
	Info *SourceInfo // nil for built-ins and predefined types
	// Col is the column of the definition's opening brace (counted as
	// in Error.Col); 0 when Info is nil. Implicit types have their
	// owner's.
	Col      int
	Doc      *Doc    // nil when undocumented or implicit
	If       *IfCond // nil when unconditional; an array's is its element's
	Features []*Feature
	Module   *Module

	implicit bool
}

// Pos is where the definition starts, "file:line:col" (go/token's
// form), "" for built-ins and predefined types.
func (d *Defn) Pos() string {
	if d.Info == nil {
		return ""
	}
	return d.Info.Loc() + ":" + strconv.Itoa(d.Col)
}

// Common implements Definition.
func (d *Defn) Common() *Defn { return d }
func (d *Defn) entity()       {}

// IsImplicit reports whether the definition was made by the front end
// rather than written in the schema (q_obj_* argument types, q_empty,
// array types, the QType enum, built-ins).
func (d *Defn) IsImplicit() bool {
	return d.implicit || d.Info == nil || len(d.Name) > 2 && d.Name[:2] == "q_"
}

// Describe is how the reference names the definition in messages:
// "struct type 'Foo'", "array type ['Foo']", "command 'foo'".
func Describe(def Definition) string {
	switch t := def.(type) {
	case *ArrayType:
		elem := t.elemName // before the element is resolved
		if t.Element != nil {
			elem = t.Element.Common().Name
		}
		return "array type ['" + elem + "']"
	case Type:
		return t.Meta() + " type '" + t.Common().Name + "'"
	}
	return def.Meta() + " '" + def.Common().Name + "'"
}

// Deprecated reports whether the definition has the special 'deprecated'
// feature; Unstable likewise for 'unstable'.
func (d *Defn) Deprecated() bool { return hasFeature(d.Features, "deprecated") }
func (d *Defn) Unstable() bool   { return hasFeature(d.Features, "unstable") }

func hasFeature(fs []*Feature, name string) bool {
	for _, f := range fs {
		if f.Name == name {
			return true
		}
	}
	return false
}

// Type is a definition that describes a JSON value.
type Type interface {
	Definition
	// JSONType is the JSON kind of the type's values: "string", "number",
	// "int", "boolean", "null", "object", "array" or "value" (any).
	JSONType() string
}

// BuiltinType is one of str, number, int, int8..int64, uint8..uint64,
// size, bool, null, any.
type BuiltinType struct {
	Defn
	JSON string // see Type.JSONType
	// CType is the C type QEMU uses ("char *", "int64_t", "QObject *").
	CType string
}

// EnumType is an enumeration. Its values are strings on the wire.
type EnumType struct {
	Defn
	Members []*EnumMember
	Prefix  string // 'prefix' (C naming only), "" when absent
}

// MemberNames lists the enum's values in order.
func (e *EnumType) MemberNames() []string {
	names := make([]string, len(e.Members))
	for i, m := range e.Members {
		names[i] = m.Name
	}
	return names
}

// ArrayType is a list of Element, named "<Element>List".
type ArrayType struct {
	Defn
	Element Type

	elemName string
}

// ObjectType is a struct or a union (Branches != nil).
type ObjectType struct {
	Defn
	// Base is the base struct, nil if none. For a union whose 'base' was
	// an inline dictionary this is the implicit q_obj_<Name>-base type.
	Base *ObjectType
	// LocalMembers are the members written in this type (empty for unions).
	LocalMembers []*ObjectMember
	// Members are all members of the flat wire form without branch
	// members: the base's members, then the local ones.
	Members []*ObjectMember
	// Branches is non-nil for unions.
	Branches *Branches
	// Owner is what an implicit q_obj_ type was made for: the command
	// or event whose inline arguments (data) it holds, or the union
	// whose inline base it is. Nil for every other type.
	Owner Definition

	baseName      string
	checked       bool
	checkComplete bool
	// own and ownMembers are the name index and uncapped member list a
	// derived struct may take over (see checkObject).
	own        *seenMembers
	ownMembers []*ObjectMember
	visitMark  uint64 // see builder.mayClash
}

// HasConditionalMembers reports whether any of o.Members has an 'if'.
func (o *ObjectType) HasConditionalMembers() bool {
	for _, m := range o.Members {
		if m.If != nil {
			return true
		}
	}
	return false
}

// IsUnion reports whether o is a union.
func (o *ObjectType) IsUnion() bool { return o.Branches != nil }

// IsEmpty reports whether o has no members and no branches.
func (o *ObjectType) IsEmpty() bool { return len(o.Members) == 0 && o.Branches == nil }

// AlternateType holds a value of exactly one of its alternatives; which
// one is determined by the JSON kind of the value.
type AlternateType struct {
	Defn
	Alternatives *Alternatives
}

// Branches are a union's variants, selected by the Tag member (the
// discriminator, an enum member of the base).
type Branches struct {
	Info *SourceInfo
	Tag  *ObjectMember
	// Variants: the explicit branches in source order, then one per
	// remaining discriminator value (in enum order) of type q_empty, with
	// the enum value's 'if' and DefinedIn naming the tag's defining type,
	// as in the reference. Every Variant.Type is an *ObjectType.
	Variants []*Variant

	tagName string
}

// Alternatives are an alternate's variants. Tag is the implicit 'type'
// member of type QType that the reference uses for dispatch.
type Alternatives struct {
	Info     *SourceInfo
	Tag      *ObjectMember
	Variants []*Variant
}

// Member is what object members, enum values, features and variants share.
type Member struct {
	Name string
	Info *SourceInfo
	If   *IfCond
	// DefinedIn names what defined the member, as in the reference: the
	// (possibly implicit q_obj_*) type for object members, variants and
	// enum values; the definition for a definition's features; the
	// member or enum value for a member's features.
	DefinedIn string

	role  string // "member", "value", "feature", "branch"
	cname string // CName(Name, true), for clash checks
}

// Role is the reference's word for the member in messages: "member",
// "value" (enum), "feature" or "branch" (variant).
func (m *Member) Role() string { return m.role }

// EnumMember is one value of an enum.
type EnumMember struct {
	Member
	Features []*Feature
}

// Feature is a feature flag of a definition or member. 'deprecated' and
// 'unstable' are special.
type Feature struct {
	Member
}

// IsSpecial reports whether the feature is 'deprecated' or 'unstable'.
func (f *Feature) IsSpecial() bool { return f.Name == "deprecated" || f.Name == "unstable" }

// ObjectMember is a member of a struct, union base or argument type.
type ObjectMember struct {
	Member
	Type     Type
	Optional bool
	Features []*Feature

	typeName string
}

// Variant is one branch of a union (Name is the discriminator value) or
// one alternative of an alternate (Name is the alternative's key).
type Variant struct {
	Member
	Type Type
	// Value is a union branch's discriminator value: the member of the
	// tag's enum that selects it. Nil for alternatives.
	Value *EnumMember

	typeName string
}

// Command is a QMP/QGA command.
type Command struct {
	Defn
	// Arg is the argument type: nil for no arguments; the implicit
	// q_obj_NAME-arg type (whose Owner is the command) for inline
	// arguments; otherwise the named struct, or a union (only with
	// Boxed).
	Arg             *ObjectType
	Ret             Type // nil when the command returns {} (no 'returns')
	Gen             bool // false: 'gen': false, free-form arguments
	SuccessResponse bool
	Boxed           bool
	AllowOOB        bool
	AllowPreconfig  bool
	Coroutine       bool

	argName, retName string
}

// Event is an asynchronous event.
type Event struct {
	Defn
	Arg   *ObjectType // nil for no data; see Command.Arg
	Boxed bool

	argName string
}

// IfCond is an 'if' condition: exactly one of Name, All, Any, Not is set.
type IfCond struct {
	Name string    // 'CONFIG_FOO'
	All  []*IfCond // {'all': [...]}
	Any  []*IfCond // {'any': [...]}
	Not  *IfCond   // {'not': ...}
}

func (*BuiltinType) Meta() string   { return "built-in" }
func (*EnumType) Meta() string      { return "enum" }
func (*ArrayType) Meta() string     { return "array" }
func (*AlternateType) Meta() string { return "alternate" }
func (*Command) Meta() string       { return "command" }
func (*Event) Meta() string         { return "event" }
func (o *ObjectType) Meta() string {
	if o.Branches != nil {
		return "union"
	}
	return "struct"
}

func (t *BuiltinType) JSONType() string { return t.JSON }
func (*EnumType) JSONType() string      { return "string" }
func (*ArrayType) JSONType() string     { return "array" }
func (*ObjectType) JSONType() string    { return "object" }
func (*AlternateType) JSONType() string { return "value" }
