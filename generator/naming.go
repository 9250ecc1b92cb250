package generator

import (
	"strings"

	"github.com/qapi-go/qapi/parser"
)

// This file decides every Go identifier of a generated package before
// anything is emitted: package-level names (types, constants, aliases),
// Conn's methods, and the fields and methods of every generated struct.
// It reports every clash at once, each at the positions of what clashes.
// The rules that turn a QAPI name into an identifier are in names.go.

// Name of the field of every struct, union and event that holds the
// members the binding does not know (a codec.Members).
const unknownMembersField = "UnknownMembers"

// generatorNames are the package-level names the generator itself
// defines in CommonFile; the connection layer's are read from its
// templates (conn.go).
var generatorNames = []string{
	"CommandSpec", "EventSpec", "Commands", "Events", "DecodeEvent", "Ptr",
}

// eventNameMethod is the method of every event struct that returns the
// event's wire name.
const eventNameMethod = "EventName"

// argsTypeName is the Go type of a command's inline arguments (or of
// the empty arguments of one that takes none): NameArgs.
func argsTypeName(c *parser.Command) string { return camel(c.Name) + "Args" }

// NameClash is a Go identifier that two parts of a schema would both
// get, or that one part would get and the generator or a hand-written
// file beside the generated ones already uses.
type NameClash struct {
	// Name is the identifier: a package-level name ("QueryStatusArgs"),
	// a method of Conn ("Conn.Stop") or a field or method of a
	// generated type ("BlockInfo.NodeName").
	Name string
	// Pos and What say what claims Name: where ("file:line:col" of the
	// schema definition, or of the hand-written declaration; "" for the
	// generator's own names) and what ("member 'node-name' of struct
	// 'BlockInfo'").
	Pos, What string
	// PrevPos and PrevWhat say the same of what claimed Name first.
	PrevPos, PrevWhat string
}

func (c *NameClash) Error() string {
	var b strings.Builder
	if c.Pos != "" {
		b.WriteString(c.Pos + ": ")
	}
	b.WriteString("Go name " + c.Name + " of " + c.What + " clashes with " + c.PrevWhat)
	if c.PrevPos != "" {
		b.WriteString(" (" + c.PrevPos + ")")
	}
	return b.String()
}

// NameClashes is every Go name clash Generate found: those of
// package-level names and Conn's methods, then those of fields, each in
// schema order. Generate reports them all, before it emits anything.
type NameClashes []*NameClash

func (e NameClashes) Error() string {
	lines := make([]string, len(e))
	for i, c := range e {
		lines[i] = c.Error()
	}
	return strings.Join(lines, "\n")
}

// names holds every Go identifier of one generated package.
type names struct {
	types   map[parser.Definition]string // Go type name of a type, args or event definition
	methods map[*parser.Command]string   // Conn method name of a command
	// noArgs names the empty arguments type of a command that takes
	// none (see Commands in the package documentation).
	noArgs map[*parser.Command]string
	// aliases lists, per type, the deprecated aliases of its old names.
	aliases map[parser.Definition][]alias
	enumVal map[*parser.EnumMember]string
	// field and branch are the Go fields of object members, and of
	// union branches and alternatives.
	field  map[*parser.ObjectMember]string
	branch map[*parser.Variant]string
	// isBase holds the structs that are another type's base.
	isBase map[*parser.ObjectType]bool

	// pkg maps a package-level identifier to what claimed it.
	pkg     map[string]origin
	clashes NameClashes
}

// alias is a deprecated alias of a renamed type's old name.
type alias struct {
	Rename
	// values pairs the constants of the old name with those they stand
	// for (enums only).
	values [][2]string
}

// origin is what claims a Go name: where and what (see NameClash).
type origin struct {
	pos, what string
}

// at is the origin of part of definition d.
func at(d parser.Definition, what string) origin { return origin{d.Common().Pos(), what} }

// claim records that o takes id in scope (shown as prefix+id), or a
// clash with what took it first.
func (n *names) claim(scope map[string]origin, prefix, id string, o origin) {
	if prev, ok := scope[id]; ok {
		n.clashes = append(n.clashes, &NameClash{Name: prefix + id, Pos: o.pos, What: o.what, PrevPos: prev.pos, PrevWhat: prev.what})
		return
	}
	scope[id] = o
}

// nameAll decides the Go names of everything s generates and reports
// every clash, as NameClashes.
func nameAll(s *parser.Schema, cfg Config, p Protocol) (*names, error) {
	n := &names{
		pkg:     map[string]origin{},
		types:   map[parser.Definition]string{},
		methods: map[*parser.Command]string{},
		noArgs:  map[*parser.Command]string{},
		aliases: map[parser.Definition][]alias{},
		enumVal: map[*parser.EnumMember]string{},
		field:   map[*parser.ObjectMember]string{},
		branch:  map[*parser.Variant]string{},
		isBase:  map[*parser.ObjectType]bool{},
	}
	for _, r := range generatorNames {
		n.pkg[r] = origin{what: "a name the generator defines"}
	}
	conn := map[string]origin{}
	n.claimConnLayer(p, conn)
	// What hand-written files declare: a clash among them is the Go
	// compiler's business; a clash with the generator's own names is
	// reported here, once.
	for _, d := range cfg.HandWritten {
		o := origin{d.Pos, "a declaration in a hand-written file"}
		switch d.Recv {
		case "":
			n.claim(n.pkg, "", d.Name, o)
		case "Conn":
			o.what = "a method or field of Conn in a hand-written file"
			n.claim(conn, "Conn.", d.Name, o)
		}
	}
	n.nameDefs(s, conn)
	n.nameAliases(s, cfg.Range)
	for _, d := range s.Defs {
		if o, ok := d.(*parser.ObjectType); ok && o.Base != nil {
			n.isBase[o.Base] = true
		}
	}
	for _, d := range s.Defs {
		n.nameFields(d)
	}
	if len(n.clashes) > 0 {
		return nil, n.clashes
	}
	return n, nil
}

// nameDefs names the types, constants and Conn methods of s's
// definitions.
func (n *names) nameDefs(s *parser.Schema, conn map[string]origin) {
	used := usedTypes(s)
	// Commands first: implicit argument types are named after them.
	for _, d := range s.Defs {
		c, ok := d.(*parser.Command)
		if !ok {
			continue
		}
		m := camel(c.Name)
		n.methods[c] = m
		n.claim(conn, "Conn.", m, at(c, "the method of command '"+c.Name+"'"))
		switch {
		case !c.Gen:
		case c.Arg != nil && c.Arg.IsImplicit():
			n.types[c.Arg] = argsTypeName(c)
			n.claim(n.pkg, "", argsTypeName(c), at(c, "the arguments of command '"+c.Name+"'"))
		case c.Arg == nil:
			n.noArgs[c] = argsTypeName(c)
			n.claim(n.pkg, "", argsTypeName(c), at(c, "the arguments type of command '"+c.Name+"' (which takes none)"))
		}
	}
	for _, d := range s.Defs {
		switch d := d.(type) {
		case *parser.Event:
			id := camel(d.Name) + "Event"
			n.types[d] = id
			if a := d.Arg; a != nil && a.IsImplicit() {
				n.types[a] = id
			}
			n.claim(n.pkg, "", id, at(d, "event '"+d.Name+"'"))
		case *parser.EnumType:
			if d.Module.IsBuiltin() && !used[d] {
				continue // QType, unless the schema uses it
			}
			id := typeIdent(d.Name)
			n.types[d] = id
			n.claim(n.pkg, "", id, at(d, "enum '"+d.Name+"'"))
			for _, m := range d.Members {
				c := enumConst(id, m.Name)
				n.enumVal[m] = c
				n.claim(n.pkg, "", c, at(d, "value '"+m.Name+"' of enum '"+d.Name+"'"))
			}
		case *parser.ObjectType:
			if d.IsImplicit() {
				continue // named by their owner (or inlined)
			}
			id := typeIdent(d.Name)
			n.types[d] = id
			n.claim(n.pkg, "", id, at(d, d.Meta()+" '"+d.Name+"'"))
		case *parser.AlternateType:
			id := typeIdent(d.Name)
			n.types[d] = id
			n.claim(n.pkg, "", id, at(d, "alternate '"+d.Name+"'"))
		}
	}
}

// nameAliases claims the old names of renamed types (and of their enum
// constants) that r records, for the types s keeps.
func (n *names) nameAliases(s *parser.Schema, r *Range) {
	if r == nil {
		return
	}
	for _, rn := range r.Renames {
		d := s.Lookup(rn.New)
		if d == nil || n.types[d] != rn.NewGo {
			continue // not generated (a subset), or not under that name
		}
		a := alias{Rename: rn}
		what := "the deprecated alias of " + d.Meta() + " '" + rn.New + "' (QEMU " + rn.LastOld + " calls it " + rn.Old + ")"
		n.claim(n.pkg, "", rn.OldGo, at(d, what))
		if e, ok := d.(*parser.EnumType); ok {
			values := map[string]*parser.EnumMember{}
			for _, m := range e.Members {
				values[m.Name] = m
			}
			// The old release's values that the type still has.
			for _, v := range rn.oldValues {
				if m := values[v]; m != nil {
					c := enumConst(rn.OldGo, v)
					n.claim(n.pkg, "", c, at(d, "value '"+v+"' of "+what))
					a.values = append(a.values, [2]string{c, n.enumVal[m]})
				}
			}
		}
		n.aliases[d] = append(n.aliases[d], a)
	}
}

// fieldScope is the fields and methods of one generated struct type.
type fieldScope struct {
	n     *names
	owner string // the Go type
	ids   map[string]origin
}

func (n *names) newFieldScope(owner string, methods ...string) *fieldScope {
	f := &fieldScope{n: n, owner: owner, ids: map[string]origin{}}
	for _, m := range methods {
		f.ids[m] = origin{what: "method " + m + " the generator defines"}
	}
	return f
}

func (f *fieldScope) claim(id string, o origin) { f.n.claim(f.ids, f.owner+".", id, o) }

// nameFields names the fields of the Go struct d generates, if any.
func (n *names) nameFields(d parser.Definition) {
	switch d := d.(type) {
	case *parser.ObjectType:
		id, ok := n.types[d]
		switch {
		case !ok:
		case d.IsImplicit():
			// A command's arguments; an event's data are the event's.
			if _, ok := d.Owner.(*parser.Command); ok {
				n.structFields(d, id, d.Owner)
			}
		case d.IsUnion():
			n.unionFields(d, id)
		default:
			n.structFields(d, id, d)
		}
	case *parser.AlternateType:
		id := n.types[d]
		scope := n.newFieldScope(id, "MarshalJSON", "UnmarshalJSON")
		for _, v := range d.Alternatives.Variants {
			f := camel(v.Name)
			n.branch[v] = f
			scope.claim(f, at(d, "alternative '"+v.Name+"' of alternate '"+d.Name+"'"))
		}
	case *parser.Event:
		id := n.types[d]
		scope := n.newFieldScope(id, eventNameMethod)
		switch a := d.Arg; {
		case a == nil:
		case a.IsImplicit():
			n.memberFields(a, d, scope)
		default:
			return // the embedded type's fields
		}
		scope.claim(unknownMembersField, at(d, "the field for unknown members of event '"+d.Name+"'"))
	}
}

// structFields names the fields of struct o, generated as Go type id
// for def (o itself, or the command whose arguments o are).
func (n *names) structFields(o *parser.ObjectType, id string, def parser.Definition) {
	var scope *fieldScope
	if len(requiredLists(o, n.isBase)) > 0 {
		scope = n.newFieldScope(id, "MarshalJSON")
	} else {
		scope = n.newFieldScope(id)
	}
	n.memberFields(o, def, scope)
	scope.claim(unknownMembersField, at(def, "the field for unknown members of "+describe(def)))
}

func (n *names) unionFields(o *parser.ObjectType, id string) {
	scope := n.newFieldScope(id, "MarshalJSON", "UnmarshalJSON")
	n.memberFields(o, o, scope)
	for _, v := range o.Branches.Variants {
		if vt, ok := v.Type.(*parser.ObjectType); !ok || vt.IsEmpty() {
			continue
		}
		f := camel(v.Name)
		n.branch[v] = f
		scope.claim(f, at(o, "branch '"+v.Name+"' of union '"+o.Name+"'"))
	}
	scope.claim(unknownMembersField, at(o, "the field for unknown members of union '"+o.Name+"'"))
}

// memberFields names the fields of o's members in scope: the base
// embedded when it is a named struct (its fields promoted), the members
// flattened otherwise. def is the definition that generates the scope's
// type.
func (n *names) memberFields(o *parser.ObjectType, def parser.Definition, scope *fieldScope) {
	members := o.Members
	if o.Base != nil && !o.Base.IsImplicit() {
		base := o.Base
		scope.claim(n.types[base], at(o, "the embedded base '"+base.Name+"' of "+describe(def)))
		members = o.LocalMembers
		// Promoted base fields: a local field of the same Go name would
		// hide one from encoding/json.
		for _, m := range base.Members {
			f := memberField(m)
			n.field[m] = f
			scope.claim(f, at(base, "member '"+m.Name+"' of base '"+base.Name+"' of "+describe(def)))
		}
	}
	for _, m := range members {
		f := memberField(m)
		n.field[m] = f
		scope.claim(f, at(def, "member '"+m.Name+"' of "+describe(def)))
	}
}

// describe names a definition that generates a struct, in messages.
func describe(d parser.Definition) string {
	switch d := d.(type) {
	case *parser.Command:
		return "the arguments of command '" + d.Name + "'"
	case *parser.Event:
		return "event '" + d.Name + "'"
	}
	return d.Meta() + " '" + d.Common().Name + "'"
}
