package parser

import (
	"bufio"
	"io"
	"strings"
)

// Dump writes s as QEMU's tests/qapi-schema/test-qapi.py prints it: every
// module with its includes and definitions (built-in types and their
// arrays omitted), then every doc comment with its sections. Write
// errors are not reported; wrap w to observe them.
func Dump(w io.Writer, s *Schema) {
	bw := bufio.NewWriterSize(w, 64<<10)
	p := &dumper{w: bw}
	for _, m := range s.Modules {
		p.line("module ", m.Name)
		for _, ent := range m.Entities {
			p.entity(ent)
		}
	}
	for _, doc := range s.Docs {
		if doc.Symbol != "" {
			p.line("doc symbol=", doc.Symbol)
		} else {
			p.line("doc freeform")
		}
		p.line("    body=\n", doc.Body.Text)
		for _, a := range doc.Args {
			p.line("    arg=", a.Name, "\n", a.Text)
		}
		for _, f := range doc.Features {
			p.line("    feature=", f.Name, "\n", f.Text)
		}
		for _, sec := range doc.Sections {
			p.line("    section=", sec.Kind, "\n", sec.Text)
		}
	}
	bw.Flush()
}

type dumper struct{ w *bufio.Writer }

func (p *dumper) line(parts ...string) {
	for _, s := range parts {
		p.w.WriteString(s)
	}
	p.w.WriteByte('\n')
}

func pyBool(b bool) string {
	if b {
		return "True"
	}
	return "False"
}

func (p *dumper) ifCond(c *IfCond, indent int) {
	if c != nil {
		p.line(strings.Repeat(" ", indent), "if ", c.String())
	}
}

func (p *dumper) features(fs []*Feature, indent int) {
	for _, f := range fs {
		p.line(strings.Repeat(" ", indent), "feature ", f.Name)
		p.ifCond(f.If, indent+4)
	}
}

func (p *dumper) variants(tag *ObjectMember, vs []*Variant) {
	p.line("    tag ", tag.Name)
	for _, v := range vs {
		p.line("    case ", v.Name, ": ", v.Type.Common().Name)
		p.ifCond(v.If, 8)
	}
}

func nameOrNone(t Type) string {
	if t == nil {
		return "None"
	}
	return t.Common().Name
}

// argOrNone is nameOrNone for a command's or event's arguments.
func argOrNone(o *ObjectType) string {
	if o == nil {
		return "None"
	}
	return o.Name
}

func (p *dumper) entity(ent Entity) {
	switch t := ent.(type) {
	case *Include:
		p.line("include ", t.Module.Name)
	case *EnumType:
		p.line("enum ", t.Name)
		if t.Prefix != "" {
			p.line("    prefix ", t.Prefix)
		}
		for _, m := range t.Members {
			p.line("    member ", m.Name)
			p.ifCond(m.If, 8)
			p.features(m.Features, 8)
		}
		p.ifCond(t.If, 4)
		p.features(t.Features, 4)
	case *ArrayType:
		if t.Info == nil {
			return
		}
		p.line("array ", t.Name, " ", t.Element.Common().Name)
		p.ifCond(t.If, 4)
	case *ObjectType:
		p.line("object ", t.Name)
		if t.Base != nil {
			p.line("    base ", t.Base.Name)
		}
		for _, m := range t.LocalMembers {
			p.line("    member ", m.Name, ": ", m.Type.Common().Name, " optional=", pyBool(m.Optional))
			p.ifCond(m.If, 8)
			p.features(m.Features, 8)
		}
		if t.Branches != nil {
			p.variants(t.Branches.Tag, t.Branches.Variants)
		}
		p.ifCond(t.If, 4)
		p.features(t.Features, 4)
	case *AlternateType:
		p.line("alternate ", t.Name)
		p.variants(t.Alternatives.Tag, t.Alternatives.Variants)
		p.ifCond(t.If, 4)
		p.features(t.Features, 4)
	case *Command:
		p.line("command ", t.Name, " ", argOrNone(t.Arg), " -> ", nameOrNone(t.Ret))
		co := ""
		if t.Coroutine {
			co = " coroutine=True"
		}
		p.line("    gen=", pyBool(t.Gen), " success_response=", pyBool(t.SuccessResponse),
			" boxed=", pyBool(t.Boxed), " oob=", pyBool(t.AllowOOB),
			" preconfig=", pyBool(t.AllowPreconfig), co)
		p.ifCond(t.If, 4)
		p.features(t.Features, 4)
	case *Event:
		p.line("event ", t.Name, " ", argOrNone(t.Arg))
		p.line("    boxed=", pyBool(t.Boxed))
		p.ifCond(t.If, 4)
		p.features(t.Features, 4)
	}
}
