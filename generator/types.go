package generator

import (
	"github.com/dave/jennifer/jen"

	"github.com/qapi-go/qapi/parser"
)

const jsonPkg = "encoding/json"

// builtinGo maps QAPI built-in types to Go types.
var builtinGo = map[string]string{
	"str": "string", "number": "float64", "int": "int64",
	"int8": "int8", "int16": "int16", "int32": "int32", "int64": "int64",
	"uint8": "uint8", "uint16": "uint16", "uint32": "uint32", "uint64": "uint64",
	"size": "uint64", "bool": "bool",
}

// goType is the Go type of values of t.
func (g *gen) goType(t parser.Type) *jen.Statement {
	switch t := t.(type) {
	case *parser.BuiltinType:
		if t.Name == "any" {
			return jen.Qual(jsonPkg, "RawMessage")
		}
		if t.Name == "null" {
			return jen.Struct()
		}
		return jen.Id(builtinGo[t.Name])
	case *parser.ArrayType:
		return jen.Index().Add(g.goType(t.Element))
	}
	if id, ok := g.n.types[t]; ok {
		return g.typeRef(id)
	}
	return jen.Struct() // q_empty
}

// typeRef refers to the generated type id: in the package being
// generated, or in the bindings package the server package imports.
func (g *gen) typeRef(id string) *jen.Statement {
	if g.typesPkg != "" {
		return jen.Qual(g.typesPkg, id)
	}
	return jen.Id(id)
}

// isNilable reports whether the zero Go value of t stands for "absent"
// exactly: slices (nil vs empty) and json.RawMessage.
func isNilable(t parser.Type) bool {
	switch t := t.(type) {
	case *parser.ArrayType:
		return true
	case *parser.BuiltinType:
		return t.Name == "any"
	}
	return false
}

// fieldType is the Go type and JSON tag of an object member: required
// members are values; optional slices, json.RawMessage and alternates
// use omitzero (nil or no alternative is absent; an empty slice, a
// RawMessage "null" or an alternate holding JSON null is present);
// every other optional member is a pointer with omitempty.
func (g *gen) fieldType(m *parser.ObjectMember) (*jen.Statement, string) {
	t := g.goType(m.Type)
	_, alt := m.Type.(*parser.AlternateType)
	switch {
	case !m.Optional:
		return t, m.Name
	case isNilable(m.Type) || alt:
		return t, m.Name + ",omitzero"
	default:
		return jen.Op("*").Add(t), m.Name + ",omitempty"
	}
}

func (fg *fileGen) enum(e *parser.EnumType) {
	id := fg.n.types[e]
	fg.f.Add(fg.docComment(id, e, fg.typeIntro(e, id)))
	fg.f.Type().Id(id).String()
	fg.f.Line()
	if len(e.Members) == 0 {
		return
	}
	var consts []jen.Code
	for _, m := range e.Members {
		c := fg.n.enumVal[m]
		consts = append(consts, fg.memberComment(e, id, m.Name, c, m.If, m.Features, "", fg.valueAvail(e, valueKey(e.Name, m.Name))),
			jen.Id(c).Id(id).Op("=").Lit(m.Name))
	}
	fg.f.Comment("Values of " + id + ".")
	fg.f.Const().Defs(consts...)
	fg.f.Line()
}

// memberFields appends the Go fields of o's members to fields: the base
// embedded when it is a named struct, the members flattened otherwise.
// docOwner documents the members.
func (fg *fileGen) memberFields(o *parser.ObjectType, docOwner parser.Definition, goOwner string) []jen.Code {
	var fields []jen.Code
	members := o.Members
	if o.Base != nil && !o.Base.IsImplicit() {
		bid := fg.n.types[o.Base]
		fields = append(fields, jen.Comment("//"+bid+" holds the members of the base type."), jen.Id(bid))
		members = o.LocalMembers
	}
	for _, m := range members {
		f := fg.n.field[m]
		t, tag := fg.fieldType(m)
		fields = append(fields, fg.memberComment(docOwner, goOwner, m.Name, f, m.If, m.Features, "", fg.memberAvail(docOwner, o, m)),
			jen.Id(f).Add(t).Tag(map[string]string{"json": tag}))
	}
	return fields
}

// unknownMembers is the UnknownMembers field of a struct, union or event
// (see package codec); tag is its codec tag, "" for none.
func (fg *fileGen) unknownMembers(ctag string) []jen.Code {
	tags := map[string]string{"json": "-"}
	if ctag != "" {
		tags["codec"] = ctag
	}
	return []jen.Code{
		fg.plainComment(unknownMembersField + " holds the members this binding does not know; see [codec.Members]."),
		jen.Id(unknownMembersField).Qual(fg.codecImport(), "Members").Tag(tags),
	}
}

// codecMethod emits a one-line method of type id that hands the value
// to package codec: MarshalJSON or UnmarshalJSON.
func (fg *fileGen) codecMethod(id, method string) {
	codec := fg.codecImport()
	switch method {
	case "MarshalJSON":
		fg.f.Comment("MarshalJSON encodes the value with [codec.Marshal].")
		fg.f.Func().Params(jen.Id("v").Id(id)).Id("MarshalJSON").Params().Params(jen.Index().Byte(), jen.Error()).Block(
			jen.Return(jen.Qual(codec, "Marshal").Call(jen.Id("v"))))
	case "UnmarshalJSON":
		fg.f.Comment("UnmarshalJSON decodes the value with [codec.Unmarshal].")
		fg.f.Func().Params(jen.Id("v").Op("*").Id(id)).Id("UnmarshalJSON").Params(jen.Id("b").Index().Byte()).Error().Block(
			jen.Return(jen.Qual(codec, "Unmarshal").Call(jen.Id("b"), jen.Id("v"))))
	}
	fg.f.Line()
}

func (fg *fileGen) object(o *parser.ObjectType) {
	id := fg.n.types[o]
	docOwner := parser.Definition(o)
	intro := fg.typeIntro(o, id)
	if o.IsImplicit() && o.Owner != nil {
		docOwner = o.Owner
	}
	// A nil required slice must go out as [], which QEMU requires and
	// encoding/json does not do: such a struct's MarshalJSON uses the
	// codec. Bases have none (it would be promoted to the types that
	// embed them and encode them as the base).
	lists := requiredLists(o, fg.n.isBase)
	fields := fg.memberFields(o, docOwner, id)
	fields = append(fields, fg.unknownMembers("")...)
	if o.IsImplicit() {
		fg.f.Add(fg.plainComment(intro))
	} else {
		fg.f.Add(fg.docComment(id, o, intro))
	}
	fg.f.Type().Id(id).Struct(fields...)
	fg.f.Line()
	if len(lists) > 0 {
		fg.codecMethod(id, "MarshalJSON")
	}
}

// requiredLists returns the required array members of struct or union o
// (base members included) that its MarshalJSON sends as [] when nil; none
// when o is a base: a method of its own would be promoted and encode the
// types that embed it as o.
func requiredLists(o *parser.ObjectType, isBase map[*parser.ObjectType]bool) []*parser.ObjectMember {
	if isBase[o] {
		return nil
	}
	var out []*parser.ObjectMember
	for _, m := range o.Members {
		if _, ok := m.Type.(*parser.ArrayType); ok && !m.Optional {
			out = append(out, m)
		}
	}
	return out
}

func (fg *fileGen) union(o *parser.ObjectType) {
	id := fg.n.types[o]
	fields := fg.memberFields(o, o, id)
	tag := o.Branches.Tag
	tagField := fg.n.field[tag]
	form := fg.cfg.Range.structForm(o.Name)
	untaggedField := ""
	for _, v := range o.Branches.Variants {
		f, ok := fg.n.branch[v] // branches with members only
		if !ok {
			continue
		}
		when := "it must be set exactly when " + tagField + " selects it."
		ctag := "branch," + v.Name
		if form != nil && form.Branch == v.Name {
			untaggedField = f
			when = "it must be set exactly when " + tagField + " selects it, or, with " + tagField + " empty, for a value of QEMU " +
				fg.cfg.Range.relList(form.untagged) + " (see [" + id + "])."
			ctag += ",untagged"
		}
		fields = append(fields,
			fg.plainComment(f+" holds the members of the branch for "+tagField+" "+fg.quoteValue(v)+
				"; "+when+fg.ifSentence(v.If)+spaced(fg.valueAvail(o, branchKey(o.Name, v.Name)))),
			jen.Id(f).Op("*").Add(fg.goType(v.Type)).Tag(map[string]string{"json": "-", "codec": ctag}))
	}
	missing := "When " + tagField + " is missing (an older QEMU's reply, from before the type became a union), it holds the members that are not base members and is non-nil, even if empty; " +
		"MarshalJSON then omits " + tagField + "."
	if untaggedField != "" {
		missing = "When " + tagField + " is missing (an older QEMU's reply, from before the type became a union), the members of " + untaggedField + " go there and it holds the others that are not base members; " +
			"without any member of " + untaggedField + " it holds all of those and is non-nil, even if empty. MarshalJSON then omits " + tagField + "."
	}
	fields = append(fields,
		fg.plainComment(unknownMembersField+" holds the members this binding does not know: a newer QEMU's (a vendor build's) members, "+
			"and all of the branch's members when "+tagField+" has a value without a branch field here. "+
			missing+" So decoding and re-encoding is lossless."),
		jen.Id(unknownMembersField).Qual(fg.codecImport(), "Members").Tag(map[string]string{"json": "-", "codec": "union," + tag.Name}))

	fg.f.Add(fg.docComment(id, o, fg.typeIntro(o, id), fg.structFormDoc(o, id, form, untaggedField)))
	fg.f.Type().Id(id).Struct(fields...)
	fg.f.Line()
	fg.codecMethod(id, "MarshalJSON")
	fg.codecMethod(id, "UnmarshalJSON")
}

// spaced prefixes a non-empty sentence with a space.
func spaced(s string) string {
	if s == "" {
		return ""
	}
	return " " + s
}

func hasRequired(o *parser.ObjectType) bool {
	if o.IsUnion() {
		return true
	}
	for _, m := range o.Members {
		if !m.Optional {
			return true
		}
	}
	return false
}

// jsonKindNote says which JSON values select an alternative of type t.
func jsonKindNote(t parser.Type) string {
	switch t.JSONType() {
	case "null":
		return "for a JSON null: set to true to select it"
	case "string":
		return "for a JSON string"
	case "number", "int":
		return "for a JSON number"
	case "boolean":
		return "for a JSON true or false"
	case "object":
		return "for a JSON object"
	case "array":
		return "for a JSON array"
	}
	return ""
}

func (fg *fileGen) alternate(a *parser.AlternateType) {
	id := fg.n.types[a]
	var fields []jen.Code
	for _, v := range a.Alternatives.Variants {
		f := fg.n.branch[v]
		var t *jen.Statement
		switch {
		case v.Type.JSONType() == "null":
			t = jen.Bool()
		case isNilable(v.Type):
			t = fg.goType(v.Type)
		default:
			t = jen.Op("*").Add(fg.goType(v.Type))
		}
		fields = append(fields, fg.memberComment(a, id, v.Name, f, v.If, nil, jsonKindNote(v.Type), fg.valueAvail(a, branchKey(a.Name, v.Name))),
			jen.Id(f).Add(t).Tag(map[string]string{"codec": "alternative"}))
	}
	fg.f.Add(fg.docComment(id, a, fg.typeIntro(a, id)))
	fg.f.Type().Id(id).Struct(fields...)
	fg.f.Line()
	fg.codecMethod(id, "MarshalJSON")
	fg.codecMethod(id, "UnmarshalJSON")
}
