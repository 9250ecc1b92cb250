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
		return jen.Id(id)
	}
	return jen.Struct() // q_empty
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
		consts = append(consts, fg.memberComment(e, id, m.Name, c, m.If, m.Features, ""),
			jen.Id(c).Id(id).Op("=").Lit(m.Name))
	}
	fg.f.Comment("Values of " + id + ".")
	fg.f.Const().Defs(consts...)
	fg.f.Line()
}

// memberFields appends the Go fields of o's members to fields: the base
// embedded when it is a named struct, the members flattened otherwise.
// docOwner documents the members.
func (fg *fileGen) memberFields(o *parser.ObjectType, docOwner parser.Definition, goOwner string, scope *fieldScope) []jen.Code {
	var fields []jen.Code
	members := o.Members
	if o.Base != nil && !o.Base.IsImplicit() {
		bid := fg.n.types[o.Base]
		scope.add(bid, origin{"base " + o.Base.Name, o.Info})
		fields = append(fields, jen.Comment("//"+bid+" holds the members of the base type."), jen.Id(bid))
		members = o.LocalMembers
		// Promoted base fields: a local field of the same Go name would
		// hide one from encoding/json.
		for _, m := range o.Base.Members {
			scope.add(memberField(m), origin{"member '" + m.Name + "' of base " + o.Base.Name, m.Info})
		}
	}
	for _, m := range members {
		f := scope.add(memberField(m), origin{"member '" + m.Name + "'", m.Info})
		t, tag := fg.fieldType(m)
		fields = append(fields, fg.memberComment(docOwner, goOwner, m.Name, f, m.If, m.Features, ""),
			jen.Id(f).Add(t).Tag(map[string]string{"json": tag}))
	}
	return fields
}

func (fg *fileGen) object(o *parser.ObjectType) {
	id := fg.n.types[o]
	docOwner := parser.Definition(o)
	intro := fg.typeIntro(o, id)
	if o.IsImplicit() {
		if c := fg.docs.argOwner[o]; c != nil {
			docOwner = c
		}
	}
	lists := fg.requiredLists(o)
	var scope *fieldScope
	if len(lists) > 0 {
		scope = fg.newFieldScope(id, "MarshalJSON")
	} else {
		scope = fg.newFieldScope(id)
	}
	fields := fg.memberFields(o, docOwner, id, scope)
	if o.IsImplicit() {
		fg.f.Add(fg.plainComment(intro))
	} else {
		fg.f.Add(fg.docComment(id, o, intro))
	}
	fg.f.Type().Id(id).Struct(fields...)
	fg.f.Line()
	if len(lists) == 0 {
		return
	}
	// MarshalJSON: nil required slices go out as [].
	body := []jen.Code{jen.Type().Id("plain").Id(id), jen.Id("p").Op(":=").Id("plain").Call(jen.Id("v"))}
	for _, m := range lists {
		f := jen.Id("p").Dot(memberField(m))
		body = append(body, jen.If(f.Clone().Op("==").Nil()).Block(f.Clone().Op("=").Add(fg.goType(m.Type)).Values()))
	}
	body = append(body, jen.Return(jen.Qual(jsonPkg, "Marshal").Call(jen.Id("p"))))
	fg.f.Comment("MarshalJSON encodes " + id + " with its fields' tags; a nil slice in a required member goes out as [], not null, which QEMU rejects.")
	fg.f.Func().Params(jen.Id("v").Id(id)).Id("MarshalJSON").Params().Params(jen.Index().Byte(), jen.Error()).Block(body...)
	fg.f.Line()
}

// requiredLists returns the required array members of struct or union o
// (base members included) that its MarshalJSON sends as [] when nil; none
// when o is a base: a method of its own would be promoted and encode the
// types that embed it as o.
func (g *gen) requiredLists(o *parser.ObjectType) []*parser.ObjectMember {
	if g.isBase[o] {
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
	scope := fg.newFieldScope(id, "MarshalJSON", "UnmarshalJSON")
	fields := fg.memberFields(o, o, id, scope)
	tag := o.Branches.Tag
	tagField := memberField(tag)
	enum, _ := tag.Type.(*parser.EnumType)
	if enum == nil {
		fg.errorf(o.Info, "union %s: discriminator %s is not an enum", o.Name, tag.Name)
		return
	}
	type br struct {
		v     *parser.Variant
		field string
		union bool
		req   bool
	}
	var brs []br
	for _, v := range o.Branches.Variants {
		vt, _ := v.Type.(*parser.ObjectType)
		if vt == nil || vt.IsEmpty() {
			continue
		}
		f := scope.add(branchField(v), origin{"branch '" + v.Name + "'", v.Info})
		brs = append(brs, br{v, f, vt.IsUnion(), hasRequired(vt)})
		fields = append(fields,
			fg.plainComment(f+" holds the members of the branch for "+tagField+" "+fg.quoteEnum(enum, v.Name)+
				"; it must be set exactly when "+tagField+" selects it."+fg.ifSentence(v.If)),
			jen.Id(f).Op("*").Add(fg.goType(v.Type)).Tag(map[string]string{"json": "-"}))
	}
	scope.add(unknownBranchField, origin{"field for unknown branches", o.Info})
	fields = append(fields,
		fg.plainComment(unknownBranchField+" holds the branch members that have no field here: when "+tagField+
			" has a value this binding lacks (a newer QEMU's), or when "+tagField+" is missing (an older QEMU's reply, from before the type became a union; "+
			unknownBranchField+" is then non-nil, even if empty, and MarshalJSON omits "+tagField+"), so that decoding and re-encoding is lossless."),
		jen.Id(unknownBranchField).Map(jen.String()).Qual(jsonPkg, "RawMessage").Tag(map[string]string{"json": "-"}))

	fg.f.Add(fg.docComment(id, o, fg.typeIntro(o, id)))
	fg.f.Type().Id(id).Struct(fields...)
	fg.f.Line()

	// MarshalJSON
	base := jen.Id("plain").Call(jen.Id("u"))
	mbody := []jen.Code{jen.Type().Id("plain").Id(id)}
	if lists := fg.requiredLists(o); len(lists) > 0 {
		// Nil required slices of the base go out as [].
		mbody = append(mbody, jen.Id("p").Op(":=").Id("plain").Call(jen.Id("u")))
		for _, m := range lists {
			f := jen.Id("p").Dot(memberField(m))
			mbody = append(mbody, jen.If(f.Clone().Op("==").Nil()).Block(f.Clone().Op("=").Add(fg.goType(m.Type)).Values()))
		}
		base = jen.Id("p")
	}
	var args []jen.Code
	args = append(args, jen.Lit(o.Name), jen.Lit(tag.Name), jen.String().Call(jen.Id("u").Dot(tagField)),
		base, jen.Id("u").Dot(unknownBranchField))
	for _, b := range brs {
		args = append(args, jen.Id("unionBranch").Values(
			jen.Lit(b.v.Name), jen.Lit(b.field), jen.Id("u").Dot(b.field).Op("!=").Nil(), jen.Lit(b.req), jen.Id("u").Dot(b.field)))
	}
	fg.f.Comment("MarshalJSON encodes the union flat: base members and the selected branch's members.")
	mbody = append(mbody, jen.Return(jen.Id("marshalUnion").CallFunc(func(gr *jen.Group) {
		for _, a := range args {
			gr.Line().Add(a)
		}
		gr.Line()
	})))
	fg.f.Func().Params(jen.Id("u").Id(id)).Id("MarshalJSON").Params().Params(jen.Index().Byte(), jen.Error()).Block(mbody...)
	fg.f.Line()

	// UnmarshalJSON
	var cases []jen.Code
	for _, b := range brs {
		var dec jen.Code
		if b.union {
			dec = jen.Return(jen.Id("unmarshalNested").Call(jen.Id("b"), jen.Id("plain").Call(jen.Op("*").Id("u")), jen.Id("u").Dot(b.field)))
		} else {
			dec = jen.Return(jen.Qual(jsonPkg, "Unmarshal").Call(jen.Id("b"), jen.Id("u").Dot(b.field)))
		}
		cases = append(cases, jen.Case(jen.Id(fg.n.enumVal[enumMember(enum, b.v.Name)])).Block(
			jen.Id("u").Dot(b.field).Op("=").New(fg.goType(b.v.Type)),
			dec,
		))
	}
	body := []jen.Code{
		jen.Type().Id("plain").Id(id),
		jen.Op("*").Id("u").Op("=").Id(id).Values(),
		jen.If(jen.Err().Op(":=").Qual(jsonPkg, "Unmarshal").Call(jen.Id("b"), jen.Parens(jen.Op("*").Id("plain")).Call(jen.Id("u"))), jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Err())),
	}
	if len(cases) > 0 {
		body = append(body, jen.Switch(jen.Id("u").Dot(tagField)).Block(cases...))
	}
	body = append(body,
		jen.Var().Id("err").Error(),
		jen.List(jen.Id("u").Dot(unknownBranchField), jen.Err()).Op("=").Id("branchMembers").Call(jen.Id("b"), jen.Id("plain").Call(jen.Op("*").Id("u")), jen.Id("u").Dot(tagField).Op("==").Lit("")),
		jen.Return(jen.Err()))
	fg.f.Comment("UnmarshalJSON decodes the flat wire form; see " + id + "." + unknownBranchField + " for discriminator values without a branch field and for a missing discriminator.")
	fg.f.Func().Params(jen.Id("u").Op("*").Id(id)).Id("UnmarshalJSON").Params(jen.Id("b").Index().Byte()).Error().Block(body...)
	fg.f.Line()
}

func enumMember(e *parser.EnumType, name string) *parser.EnumMember {
	for _, m := range e.Members {
		if m.Name == name {
			return m
		}
	}
	return nil
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

// jsonKind is the name of the generated constant for the JSON kind that
// selects an alternative of type t.
func jsonKindConst(t parser.Type) string {
	switch t.JSONType() {
	case "null":
		return "kindNull"
	case "string":
		return "kindString"
	case "number", "int":
		return "kindNumber"
	case "boolean":
		return "kindBool"
	case "object":
		return "kindObject"
	case "array":
		return "kindArray"
	}
	return "kindInvalid"
}

func (fg *fileGen) alternate(a *parser.AlternateType) {
	id := fg.n.types[a]
	scope := fg.newFieldScope(id, "MarshalJSON", "UnmarshalJSON")
	var fields, alts, cases []jen.Code
	for _, v := range a.Alternatives.Variants {
		f := scope.add(branchField(v), origin{"alternative '" + v.Name + "'", v.Info})
		kind := jsonKindConst(v.Type)
		var t *jen.Statement
		var set, val jen.Code
		var dec []jen.Code
		switch {
		case kind == "kindNull":
			t = jen.Bool()
			set, val = jen.Id("a").Dot(f), jen.Nil()
			dec = []jen.Code{jen.Id("a").Dot(f).Op("=").True(), jen.Return(jen.Nil())}
		case isNilable(v.Type):
			t = fg.goType(v.Type)
			set, val = jen.Id("a").Dot(f).Op("!=").Nil(), jen.Id("a").Dot(f)
			dec = []jen.Code{jen.Return(jen.Qual(jsonPkg, "Unmarshal").Call(jen.Id("b"), jen.Op("&").Id("a").Dot(f)))}
		default:
			t = jen.Op("*").Add(fg.goType(v.Type))
			set, val = jen.Id("a").Dot(f).Op("!=").Nil(), jen.Id("a").Dot(f)
			dec = []jen.Code{jen.Id("a").Dot(f).Op("=").New(fg.goType(v.Type)),
				jen.Return(jen.Qual(jsonPkg, "Unmarshal").Call(jen.Id("b"), jen.Id("a").Dot(f)))}
		}
		note := "for a JSON " + map[string]string{"kindNull": "null: set to true to select it", "kindString": "string", "kindNumber": "number",
			"kindBool": "true or false", "kindObject": "object", "kindArray": "array"}[kind]
		fields = append(fields, fg.memberComment(a, id, v.Name, f, v.If, nil, note), jen.Id(f).Add(t))
		alts = append(alts, jen.Line().Id("alternative").Values(jen.Lit(f), set, val))
		cases = append(cases, jen.Case(jen.Id(kind)).Block(dec...))
	}
	fg.f.Add(fg.docComment(id, a, fg.typeIntro(a, id)))
	fg.f.Type().Id(id).Struct(fields...)
	fg.f.Line()
	alts = append(alts, jen.Line())
	fg.f.Comment("MarshalJSON encodes the one alternative that is set; it fails unless exactly one is.")
	fg.f.Func().Params(jen.Id("a").Id(id)).Id("MarshalJSON").Params().Params(jen.Index().Byte(), jen.Error()).Block(
		jen.Return(jen.Id("marshalAlternate").Call(append([]jen.Code{jen.Lit(a.Name)}, alts...)...)))
	fg.f.Line()
	fg.f.Comment("UnmarshalJSON selects the alternative by the kind of JSON value.")
	fg.f.Func().Params(jen.Id("a").Op("*").Id(id)).Id("UnmarshalJSON").Params(jen.Id("b").Index().Byte()).Error().Block(
		jen.Op("*").Id("a").Op("=").Id(id).Values(),
		jen.Switch(jen.Id("jsonKind").Call(jen.Id("b"))).Block(cases...),
		jen.Return(jen.Id("alternateError").Call(jen.Lit(a.Name), jen.Id("b"))),
	)
	fg.f.Line()
}
