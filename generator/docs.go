package generator

import (
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/qapi-go/qapi/parser"
)

// docIndex resolves the names doc comments refer to.
type docIndex struct {
	// refs maps a QAPI definition name to its Go doc link target.
	refs map[string]string
	// members maps a definition to its members' QAPI names -> Go doc
	// link targets (for @member references): "Type.Field" for object
	// members, the constant for enum values.
	members map[parser.Definition]map[string]string
}

func newDocIndex(s *parser.Schema, n *names) *docIndex {
	x := &docIndex{refs: map[string]string{}, members: map[parser.Definition]map[string]string{}}
	addMembers := func(d parser.Definition, t parser.Type, owner string) {
		m := map[string]string{}
		switch o := t.(type) {
		case *parser.ObjectType:
			for _, om := range o.Members {
				m[om.Name] = owner + "." + n.field[om]
			}
			if o.Branches != nil {
				for _, v := range o.Branches.Variants {
					if f, ok := n.branch[v]; ok { // branches with members
						if _, dup := m[v.Name]; !dup {
							m[v.Name] = owner + "." + f
						}
					}
				}
			}
		case *parser.AlternateType:
			for _, v := range o.Alternatives.Variants {
				m[v.Name] = owner + "." + n.branch[v]
			}
		case *parser.EnumType:
			for _, em := range o.Members {
				m[em.Name] = n.enumVal[em]
			}
		}
		x.members[d] = m
	}
	for _, d := range s.Defs {
		switch d := d.(type) {
		case *parser.Command:
			x.refs[d.Name] = "Conn." + n.methods[d]
			if o := d.Arg; o != nil && o.IsImplicit() && d.Gen {
				addMembers(d, o, n.types[o])
			}
		case *parser.Event:
			x.refs[d.Name] = n.types[d]
			if o := d.Arg; o != nil {
				addMembers(d, o, n.types[d])
			}
		case *parser.ObjectType:
			if id, ok := n.types[d]; ok && !d.IsImplicit() {
				x.refs[d.Name] = id
				addMembers(d, d, id)
			}
		case *parser.EnumType, *parser.AlternateType:
			if id, ok := n.types[d]; ok {
				x.refs[d.Common().Name] = id
				addMembers(d, d.(parser.Type), id)
			}
		}
	}
	return x
}

// comment renders text as a // comment block.
func comment(text string) jen.Code {
	text = noHeadings(strings.TrimRight(text, "\n "))
	if text == "" {
		return jen.Null()
	}
	var b strings.Builder
	for i, l := range strings.Split(text, "\n") {
		if i > 0 {
			b.WriteByte('\n')
		}
		l = strings.TrimRight(l, " \t")
		if l == "" {
			b.WriteString("//")
		} else {
			b.WriteString("// ")
			b.WriteString(l)
		}
	}
	return jen.Comment(b.String())
}

func (fg *fileGen) plainComment(text string) jen.Code { return comment(text) }

// paragraphs joins the non-empty parts with blank lines.
func paragraphs(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p = strings.Trim(p, "\n"); strings.TrimSpace(p) != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, "\n\n")
}

// docComment is the doc comment of a generated declaration for d.
func (fg *fileGen) docComment(id string, d parser.Definition, intro string, extra ...string) jen.Code {
	return comment(fg.defDoc(id, d, intro, extra...))
}

// defDoc renders d's documentation: intro, the doc sections in order
// (members excepted: they document fields or constants), features,
// deprecation, stability and the build condition.
func (g *gen) defDoc(id string, d parser.Definition, intro string, extra ...string) string {
	c := d.Common()
	r := g.renderer(d)
	parts := []string{intro}
	if g.cfg.OmitProse {
		// Facts only: the sentence the generator writes, the
		// result type, Since, features, the condition.
		if t := g.returnsType(d); t != "" {
			parts = append(parts, "Returns: "+t)
		}
		if v := since(d); v != "" {
			parts = append(parts, "Since: "+v)
		}
	} else if c.Doc != nil {
		for _, s := range c.Doc.AllSections {
			switch s.Kind {
			case parser.SectionMember, parser.SectionFeature:
				continue
			case parser.SectionReturns:
				t := r.text(s, true)
				if strings.TrimSpace(t) == "" {
					// The parser's stub for a command whose doc
					// has no 'Returns:' (as QEMU's doc generator
					// does, name the result type), or an empty
					// section: no paragraph without something to say.
					t = g.returnsType(d)
					if t == "" {
						continue
					}
				}
				parts = append(parts, "Returns: "+t)
			case parser.SectionErrors:
				parts = append(parts, "Errors:\n\n"+indentList(r.text(s, true)))
			case parser.SectionSince:
				parts = append(parts, "Since: "+strings.TrimSpace(r.text(s, true)))
			case parser.SectionTodo:
				parts = append(parts, "TODO: "+r.text(s, true))
			default:
				parts = append(parts, r.tagged(s))
			}
		}
	}
	parts = append(parts, extra...)
	parts = append(parts, g.defAvail(d))
	parts = append(parts, g.featureDoc(d, c.Features, "", r)...)
	parts = append(parts, strings.TrimSpace(g.ifSentence(c.If)))
	return paragraphs(parts...)
}

// returnsType is the text of an empty Returns section of d: the result
// type as a doc link ("the [GuestAgentInfo].", "a list of
// [BlockInfo].") when d is a command returning a generated type or an
// array of one; "" otherwise (built-in types say nothing the method's
// signature does not).
func (g *gen) returnsType(d parser.Definition) string {
	c, ok := d.(*parser.Command)
	if !ok || c.Ret == nil {
		return ""
	}
	if a, ok := c.Ret.(*parser.ArrayType); ok {
		if t, ok := g.docs.refs[a.Element.Common().Name]; ok {
			return "a list of [" + t + "]."
		}
		return ""
	}
	if t, ok := g.docs.refs[c.Ret.Common().Name]; ok {
		return "the [" + t + "]."
	}
	return ""
}

// featureDoc renders features (of a definition, or of one of its
// members when member != ""): a list of the documented ones, then the
// "Deprecated:" and unstable paragraphs.
func (g *gen) featureDoc(owner parser.Definition, fs []*parser.Feature, member string, r *docRenderer) []string {
	if len(fs) == 0 {
		return nil
	}
	doc := owner.Common().Doc
	text := func(name string) string {
		if doc == nil || g.cfg.OmitProse {
			return ""
		}
		if s := doc.Feature(name); s != nil {
			return strings.TrimSpace(r.text(s, true))
		}
		return ""
	}
	var list []string
	var dep, unst string
	for _, f := range fs {
		t := text(f.Name)
		switch f.Name {
		case "deprecated":
			dep = "Deprecated: " + orDefault(t, "deprecated in the schema.")
		case "unstable":
			unst = "Unstable: this is an unstable interface (feature \"unstable\"): " + orDefault(t, "it may change or go away without the usual deprecation period.")
		default:
			l := "  - " + f.Name
			if t != "" && member == "" {
				// Continuation lines stay inside the list item.
				l += ": " + strings.ReplaceAll(t, "\n", "\n    ")
			}
			list = append(list, l+strings.TrimRight(g.ifSentence(f.If), " "))
		}
	}
	var out []string
	if len(list) > 0 {
		out = append(out, "Features:\n\n"+strings.Join(list, "\n"))
	}
	if unst != "" {
		out = append(out, unst)
	}
	if dep != "" {
		out = append(out, dep)
	}
	return out
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// memberComment is the doc comment of a struct field, enum constant or
// alternative: the member's doc text (or a sentence naming the member
// when the schema has none), its features and condition. note, when
// not empty, is a parenthesised remark added to the text.
// avail, when not empty, says which releases lack the member.
func (fg *fileGen) memberComment(owner parser.Definition, goOwner, name, goName string, ifc *parser.IfCond, fs []*parser.Feature, note, avail string) jen.Code {
	return comment(fg.memberDoc(owner, name, goName, ifc, fs, note, avail))
}

// memberDoc is the text of memberComment.
func (g *gen) memberDoc(owner parser.Definition, name, goName string, ifc *parser.IfCond, fs []*parser.Feature, note, avail string) string {
	r := g.renderer(owner)
	var text string
	list := false
	if doc := owner.Common().Doc; doc != nil && !g.cfg.OmitProse {
		if s := doc.Arg(name); s != nil {
			text = strings.Trim(r.text(s, true), "\n")
			// A text that is a list starts on its own line, so that
			// its first item reads as one.
			list = listItem.MatchString(strings.TrimLeft(text, " "))
			if !list {
				text = strings.TrimSpace(text)
			}
		}
	}
	if list {
		text = goName + ":\n" + strings.TrimRight(text, " \n")
		if note != "" {
			text += " (" + note + ")"
		}
	} else if text != "" {
		text = goName + ": " + text
		if note != "" {
			text += " (" + note + ")"
		}
	} else {
		what := "member"
		switch owner.(type) {
		case *parser.EnumType:
			what = "value"
		case *parser.AlternateType:
			what = "alternative"
		}
		text = goName + " is the " + what + " \"" + name + "\"."
		if note != "" {
			text = strings.TrimSuffix(text, ".") + " (" + note + ")."
		}
	}
	parts := []string{text, avail}
	parts = append(parts, g.featureDoc(owner, fs, name, r)...)
	parts = append(parts, strings.TrimSpace(g.ifSentence(ifc)))
	return paragraphs(parts...)
}

// ifSentence states a condition: " Only available when QEMU is built
// with CONFIG_X." ("" when c is nil).
func (g *gen) ifSentence(c *parser.IfCond) string {
	if c == nil {
		return ""
	}
	if c.Name != "" {
		return " Only available when QEMU is built with " + c.Name + "."
	}
	return " Only available when QEMU's build configuration satisfies " + c.Expr() + "."
}

// since returns the text of d's Since section.
func since(d parser.Definition) string {
	if doc := d.Common().Doc; doc != nil && doc.Since != nil {
		return strings.TrimSpace(doc.Since.Text)
	}
	return ""
}

// docRenderer renders the doc sections of one definition: the rST
// converter (rst.go) with names resolving to the definition's members
// first, then to the package's definitions.
type docRenderer struct{ rstConverter }

func (g *gen) renderer(d parser.Definition) *docRenderer {
	members := g.docs.members[d]
	return &docRenderer{rstConverter{link: func(name string) string {
		if f, ok := members[name]; ok {
			return f
		}
		return g.docs.refs[name]
	}}}
}

// text renders one doc section. hanging: the section's first line
// follows a tag ("@name:", "Returns:"), so continuation lines carry a
// hanging indent to remove.
func (r *docRenderer) text(s *parser.DocSection, hanging bool) string {
	return r.section(s.Text, hanging)
}

// tagged renders a plain section, which in older releases may carry a
// tag ("Example:", "Notes:").
func (r *docRenderer) tagged(s *parser.DocSection) string { return r.taggedSection(s.Tag, s.Text) }

// typeIntro is the sentence that starts the doc of a type without its
// own documentation ("" for documented ones).
func (g *gen) typeIntro(d parser.Definition, id string) string {
	c := d.Common()
	if o, ok := d.(*parser.ObjectType); ok && o.IsImplicit() {
		if cmd, ok := o.Owner.(*parser.Command); ok {
			return id + " holds the arguments of [Conn." + g.n.methods[cmd] + "] (command \"" + cmd.Name + "\")."
		}
		return id + " is the implicit QAPI type " + c.Name + "."
	}
	if g.cfg.OmitProse || c.Doc == nil || c.Doc.Body == nil || strings.TrimSpace(c.Doc.Body.Text) == "" {
		return id + " is the QAPI " + d.Meta() + " " + c.Name + "."
	}
	return ""
}

// quoteValue is how docs name a union branch's discriminator value:
// its Go constant as a link.
func (g *gen) quoteValue(v *parser.Variant) string {
	if c, ok := g.n.enumVal[v.Value]; ok {
		return "[" + c + "]"
	}
	return `"` + v.Name + `"`
}
