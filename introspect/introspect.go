// Package introspect decodes QEMU's answer to query-qmp-schema, the
// schema a running QEMU describes itself with, and answers the questions
// a management application asks of it: does this QEMU have command X,
// event Y, argument Z of command X, enum value V, feature F?
//
// The reply is a list of SchemaInfo entities (see QEMU's
// qapi/introspect.json). Commands and events keep their names; every
// other type is named by a number ("123") that differs between builds,
// built-in types by their JSON-ish name ("str", "int", "number", "bool",
// "null", "any") and array types as "[ELEMENT]" ("[str]", "[123]"). So
// types are never looked up by their schema name: questions start from a
// command or event and walk its argument type by member name, e.g.
// "blockdev-add" + "driver" finds the enum of block drivers.
//
// Decode turns a reply into a *Schema. A Prober asks a connected client
// once and answers from the cached result:
//
//	p := introspect.NewProber(q) // q is a runtime.Caller, e.g. *runtime.QMP
//	if ok, err := p.HasCommand(ctx, "blockdev-reopen"); err == nil && ok { ... }
//	ok, err := p.HasEnumValue(ctx, "blockdev-add", "driver", "qcow2")
//
// The decoder trusts nothing: a reply that is not a well-formed
// SchemaInfo list is an error, never a panic, and lookups over a reply
// whose type references dangle or loop stay bounded.
package introspect

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// MetaType is the kind of a schema entity.
type MetaType string

// The meta-types of QEMU's SchemaMetaType enum.
const (
	Builtin   MetaType = "builtin"
	Enum      MetaType = "enum"
	Array     MetaType = "array"
	Object    MetaType = "object"
	Alternate MetaType = "alternate"
	Command   MetaType = "command"
	Event     MetaType = "event"
)

// Entity is one SchemaInfo. Which fields are set depends on MetaType;
// an entity of a meta-type this package does not know (a future QEMU's)
// keeps only Name, MetaType and Features.
type Entity struct {
	Name     string
	MetaType MetaType
	Features []string

	// JSONType is a built-in's JSON type: "string", "number", "int",
	// "boolean", "null", "object", "array" or "value".
	JSONType string
	// Values are an enum's values, in order.
	Values []EnumValue
	// ElementType names an array's element type.
	ElementType string
	// Members are an object's members (for a union: the base members).
	Members []Member
	// Tag names a union's discriminator member; Variants its branches.
	Tag      string
	Variants []Variant
	// Alternatives name an alternate's member types.
	Alternatives []string
	// ArgType names a command's or event's argument type (an object; an
	// empty object when it takes none), RetType a command's return type.
	ArgType, RetType string
	// AllowOOB reports whether a command may be sent out of band.
	AllowOOB bool
}

// EnumValue is one value of an enum.
type EnumValue struct {
	Name     string
	Features []string
}

// Member is one member of an object.
type Member struct {
	Name string
	Type string
	// Optional is true when the member may be omitted ("default" present
	// in the reply; QEMU always sends null there).
	Optional bool
	Features []string
}

// Variant is one branch of a union: when the tag member has value Case,
// the members of Type are present too.
type Variant struct {
	Case string
	Type string
}

// Schema is a decoded query-qmp-schema reply.
type Schema struct {
	// Entities in reply order.
	Entities []*Entity

	byName   map[string]*Entity
	commands []string
	events   []string
}

// wire forms

type wireInfo struct {
	Name     *string         `json:"name"`
	MetaType *string         `json:"meta-type"`
	Features []string        `json:"features"`
	JSONType string          `json:"json-type"`
	Members  json.RawMessage `json:"members"`
	Values   []string        `json:"values"`
	Element  string          `json:"element-type"`
	Tag      string          `json:"tag"`
	Variants []wireVariant   `json:"variants"`
	ArgType  string          `json:"arg-type"`
	RetType  string          `json:"ret-type"`
	AllowOOB bool            `json:"allow-oob"`
}

type wireMember struct {
	Name     *string         `json:"name"`
	Type     *string         `json:"type"`
	Default  json.RawMessage `json:"default"`
	Features []string        `json:"features"`
}

type wireVariant struct {
	Case *string `json:"case"`
	Type *string `json:"type"`
}

// Decode decodes a query-qmp-schema reply: the JSON array that is the
// "return" value (not the whole {"return": ...} message).
func Decode(data []byte) (*Schema, error) {
	var infos []json.RawMessage
	if err := json.Unmarshal(data, &infos); err != nil {
		return nil, fmt.Errorf("introspect: reply is not a JSON array of SchemaInfo: %w", err)
	}
	s := &Schema{Entities: make([]*Entity, 0, len(infos)), byName: make(map[string]*Entity, len(infos))}
	for i, raw := range infos {
		e, err := decodeEntity(raw)
		if err != nil {
			return nil, fmt.Errorf("introspect: SchemaInfo #%d: %w", i, err)
		}
		if _, dup := s.byName[e.Name]; dup {
			return nil, fmt.Errorf("introspect: SchemaInfo #%d: %q defined twice", i, e.Name)
		}
		s.byName[e.Name] = e
		s.Entities = append(s.Entities, e)
		switch e.MetaType {
		case Command:
			s.commands = append(s.commands, e.Name)
		case Event:
			s.events = append(s.events, e.Name)
		}
	}
	sort.Strings(s.commands)
	sort.Strings(s.events)
	return s, nil
}

func decodeEntity(raw json.RawMessage) (*Entity, error) {
	var w wireInfo
	if err := json.Unmarshal(raw, &w); err != nil {
		return nil, err
	}
	if w.Name == nil || *w.Name == "" {
		return nil, errors.New(`missing "name"`)
	}
	if w.MetaType == nil {
		return nil, fmt.Errorf("%s: missing \"meta-type\"", *w.Name)
	}
	e := &Entity{Name: *w.Name, MetaType: MetaType(*w.MetaType), Features: w.Features}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%s %q: %s", e.MetaType, e.Name, fmt.Sprintf(format, args...))
	}
	switch e.MetaType {
	case Builtin:
		if w.JSONType == "" {
			return nil, bad(`missing "json-type"`)
		}
		e.JSONType = w.JSONType
	case Enum:
		// QEMU 6.2+ sends "members" (with features) and the deprecated
		// "values"; older releases only "values".
		if w.Members != nil && string(w.Members) != "null" {
			var ms []wireMember
			if err := json.Unmarshal(w.Members, &ms); err != nil {
				return nil, bad("members: %v", err)
			}
			for i, m := range ms {
				if m.Name == nil {
					return nil, bad("member #%d: missing \"name\"", i)
				}
				e.Values = append(e.Values, EnumValue{Name: *m.Name, Features: m.Features})
			}
		} else if w.Values != nil {
			for _, v := range w.Values {
				e.Values = append(e.Values, EnumValue{Name: v})
			}
		} else {
			return nil, bad(`missing "members" and "values"`)
		}
	case Array:
		if w.Element == "" {
			return nil, bad(`missing "element-type"`)
		}
		e.ElementType = w.Element
	case Object:
		var ms []wireMember
		if w.Members == nil || string(w.Members) == "null" {
			return nil, bad(`missing "members"`)
		}
		if err := json.Unmarshal(w.Members, &ms); err != nil {
			return nil, bad("members: %v", err)
		}
		for i, m := range ms {
			if m.Name == nil || m.Type == nil {
				return nil, bad("member #%d: missing \"name\" or \"type\"", i)
			}
			e.Members = append(e.Members, Member{Name: *m.Name, Type: *m.Type, Optional: m.Default != nil, Features: m.Features})
		}
		if (w.Tag == "") != (w.Variants == nil) {
			return nil, bad(`"tag" and "variants" must come together`)
		}
		e.Tag = w.Tag
		for i, v := range w.Variants {
			if v.Case == nil || v.Type == nil {
				return nil, bad("variant #%d: missing \"case\" or \"type\"", i)
			}
			e.Variants = append(e.Variants, Variant{Case: *v.Case, Type: *v.Type})
		}
	case Alternate:
		var ms []wireMember
		if w.Members == nil || string(w.Members) == "null" {
			return nil, bad(`missing "members"`)
		}
		if err := json.Unmarshal(w.Members, &ms); err != nil {
			return nil, bad("members: %v", err)
		}
		for i, m := range ms {
			if m.Type == nil {
				return nil, bad("member #%d: missing \"type\"", i)
			}
			e.Alternatives = append(e.Alternatives, *m.Type)
		}
	case Command:
		if w.ArgType == "" || w.RetType == "" {
			return nil, bad(`missing "arg-type" or "ret-type"`)
		}
		e.ArgType, e.RetType, e.AllowOOB = w.ArgType, w.RetType, w.AllowOOB
	case Event:
		if w.ArgType == "" {
			return nil, bad(`missing "arg-type"`)
		}
		e.ArgType = w.ArgType
	}
	return e, nil
}

// Lookup returns the entity called name (a command, an event, or a type
// by its name in this reply), or nil.
func (s *Schema) Lookup(name string) *Entity {
	if s == nil {
		return nil
	}
	return s.byName[name]
}

// Command returns the command called name, or nil.
func (s *Schema) Command(name string) *Entity { return s.lookupMeta(name, Command) }

// Event returns the event called name, or nil.
func (s *Schema) Event(name string) *Entity { return s.lookupMeta(name, Event) }

func (s *Schema) lookupMeta(name string, m MetaType) *Entity {
	if e := s.Lookup(name); e != nil && e.MetaType == m {
		return e
	}
	return nil
}

// Commands returns the names of all commands, sorted.
func (s *Schema) Commands() []string { return append([]string(nil), s.commands...) }

// Events returns the names of all events, sorted.
func (s *Schema) Events() []string { return append([]string(nil), s.events...) }

// Type returns the type called name. Array types QEMU names "[ELEMENT]"
// are found whether or not the reply lists them as entities.
func (s *Schema) Type(name string) *Entity {
	e := s.Lookup(name)
	if e != nil && e.MetaType != Command && e.MetaType != Event {
		return e
	}
	if e == nil && len(name) > 2 && name[0] == '[' && name[len(name)-1] == ']' {
		return &Entity{Name: name, MetaType: Array, ElementType: name[1 : len(name)-1]}
	}
	return nil
}

// ErrNotFound is returned (wrapped) by path lookups when the command,
// event or member does not exist.
var ErrNotFound = errors.New("not found")

// maxDepth bounds how many type references a lookup follows without
// making progress along its path (arrays of arrays, alternates of
// arrays): a reply with a reference cycle cannot loop a lookup.
const maxDepth = 64

// Members returns the members a value of type name can have: an object's
// members including those of every union branch (a member present in
// several branches is listed once, from the first), an alternate's object
// alternatives' members; arrays are looked through. Unknown types have
// none.
func (s *Schema) Members(name string) []Member {
	var out []Member
	seen := map[string]bool{}
	visited := map[string]bool{}
	var walk func(name string, depth int)
	walk = func(name string, depth int) {
		if depth > maxDepth || visited[name] {
			return
		}
		visited[name] = true
		t := s.Type(name)
		if t == nil {
			return
		}
		switch t.MetaType {
		case Object:
			for _, m := range t.Members {
				if !seen[m.Name] {
					seen[m.Name] = true
					out = append(out, m)
				}
			}
			for _, v := range t.Variants {
				walk(v.Type, depth+1)
			}
		case Array:
			walk(t.ElementType, depth+1)
		case Alternate:
			for _, a := range t.Alternatives {
				walk(a, depth+1)
			}
		}
	}
	walk(name, 0)
	return out
}

// Member returns the member at path ("driver", "props.x", "file.filename":
// member names separated by dots) of the arguments of the command or the
// data of the event called name. Arrays, union branches and alternates on
// the way are looked through: "blockdev-add" + "file.filename" finds the
// filename member of BlockdevOptionsFile through the "file" member's
// alternate of a reference or inline options.
func (s *Schema) Member(name, path string) (*Member, error) {
	def := s.Lookup(name)
	if def == nil || (def.MetaType != Command && def.MetaType != Event) {
		return nil, fmt.Errorf("introspect: %q: no such command or event: %w", name, ErrNotFound)
	}
	if path == "" {
		return nil, fmt.Errorf("introspect: %s: empty member path", name)
	}
	typ := def.ArgType
	var found *Member
	for i, part := range strings.Split(path, ".") {
		found = nil
		for _, m := range s.Members(typ) {
			if m.Name == part {
				found = &m
				break
			}
		}
		if found == nil {
			return nil, fmt.Errorf("introspect: %s: no member %q: %w", name, strings.Join(strings.Split(path, ".")[:i+1], "."), ErrNotFound)
		}
		typ = found.Type
	}
	return found, nil
}

// EnumValues returns the enum values the member of type typ accepts:
// those of an enum, of an array's element enum, or of the enum
// alternatives of an alternate. nil when there are none.
func (s *Schema) EnumValues(typ string) []EnumValue {
	var out []EnumValue
	visited := map[string]bool{}
	var walk func(name string, depth int)
	walk = func(name string, depth int) {
		if depth > maxDepth || visited[name] {
			return
		}
		visited[name] = true
		t := s.Type(name)
		if t == nil {
			return
		}
		switch t.MetaType {
		case Enum:
			out = append(out, t.Values...)
		case Array:
			walk(t.ElementType, depth+1)
		case Alternate:
			for _, a := range t.Alternatives {
				walk(a, depth+1)
			}
		}
	}
	walk(typ, 0)
	return out
}

// HasCommand reports whether the schema has the command.
func (s *Schema) HasCommand(name string) bool { return s.Command(name) != nil }

// HasEvent reports whether the schema has the event.
func (s *Schema) HasEvent(name string) bool { return s.Event(name) != nil }

// HasMember reports whether the command or event called name has the
// member at path (see Member).
func (s *Schema) HasMember(name, path string) bool {
	_, err := s.Member(name, path)
	return err == nil
}

// HasEnumValue reports whether the member at path of the command or event
// called name accepts the enum value. With an empty path it asks about
// the enum the command returns (or the enum inside the array it returns).
// Enum types cannot be asked about by name: QEMU hides their names.
func (s *Schema) HasEnumValue(name, path, value string) bool {
	var typ string
	if path == "" {
		c := s.Command(name)
		if c == nil {
			return false
		}
		typ = c.RetType
	} else {
		m, err := s.Member(name, path)
		if err != nil {
			return false
		}
		typ = m.Type
	}
	for _, v := range s.EnumValues(typ) {
		if v.Name == value {
			return true
		}
	}
	return false
}

// HasFeature reports whether feature is set on what target names:
//   - "COMMAND" or "EVENT": the definition's features (e.g.
//     "deprecated", or "savevm-monitor-nodes" on "savevm");
//   - "COMMAND.PATH" or "EVENT.PATH" with a member path as in Member:
//     the member's features or those of the member's type (a type QEMU
//     names only by number is reachable this way);
//   - "COMMAND.PATH=VALUE": the features of enum value VALUE of the
//     member's enum (e.g. "blockdev-add.driver=vxhs" + "deprecated").
//
// Command and event names never contain dots, so the first dot starts
// the path.
func (s *Schema) HasFeature(target, feature string) bool {
	name, path, _ := strings.Cut(target, ".")
	if path == "" {
		def := s.Lookup(name)
		if def == nil || (def.MetaType != Command && def.MetaType != Event) {
			return false
		}
		return contains(def.Features, feature)
	}
	path, value, isValue := strings.Cut(path, "=")
	m, err := s.Member(name, path)
	if err != nil {
		return false
	}
	if !isValue {
		if contains(m.Features, feature) {
			return true
		}
		t := s.Type(m.Type)
		return t != nil && contains(t.Features, feature)
	}
	for _, v := range s.EnumValues(m.Type) {
		if v.Name == value {
			return contains(v.Features, feature)
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
