package generator

import (
	"regexp"
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/qapi-go/qapi/parser"
)

// docIndex resolves the names doc comments refer to.
type docIndex struct {
	// refs maps a QAPI definition name to its Go doc link target.
	refs map[string]string
	// argOwner maps an implicit argument/data type to its command or
	// event, whose doc comment documents the members.
	argOwner map[*parser.ObjectType]parser.Definition
	// members maps a definition to its members' QAPI names -> Go doc
	// link targets (for @member references): "Type.Field" for object
	// members, the constant for enum values.
	members map[parser.Definition]map[string]string
}

func newDocIndex(s *parser.Schema, n *names) *docIndex {
	x := &docIndex{refs: map[string]string{}, argOwner: map[*parser.ObjectType]parser.Definition{},
		members: map[parser.Definition]map[string]string{}}
	addMembers := func(d parser.Definition, t parser.Type, owner string) {
		m := map[string]string{}
		switch o := t.(type) {
		case *parser.ObjectType:
			for _, om := range o.Members {
				m[om.Name] = owner + "." + memberField(om)
			}
			if o.Branches != nil {
				for _, v := range o.Branches.Variants {
					if _, dup := m[v.Name]; !dup {
						if vt, ok := v.Type.(*parser.ObjectType); ok && !vt.IsEmpty() {
							m[v.Name] = owner + "." + branchField(v)
						}
					}
				}
			}
		case *parser.AlternateType:
			for _, v := range o.Alternatives.Variants {
				m[v.Name] = owner + "." + branchField(v)
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
			if o, ok := d.Arg.(*parser.ObjectType); ok && o.IsImplicit() {
				x.argOwner[o] = d
				if d.Gen {
					addMembers(d, o, n.types[o])
				}
			}
		case *parser.Event:
			x.refs[d.Name] = n.types[d]
			if o, ok := d.Arg.(*parser.ObjectType); ok {
				if o.IsImplicit() {
					x.argOwner[o] = d
				}
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
		for _, s := range doc.Features {
			if s.Name == name {
				return strings.TrimSpace(r.text(s, true))
			}
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
func (fg *fileGen) memberComment(owner parser.Definition, goOwner, name, goName string, ifc *parser.IfCond, fs []*parser.Feature, note string) jen.Code {
	return comment(fg.memberDoc(owner, name, goName, ifc, fs, note))
}

// memberDoc is the text of memberComment.
func (g *gen) memberDoc(owner parser.Definition, name, goName string, ifc *parser.IfCond, fs []*parser.Feature, note string) string {
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
	parts := []string{text}
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

// docRenderer turns schema doc text (rST) into Go doc comment text.
type docRenderer struct {
	g       *gen
	members map[string]string // member QAPI name -> Go doc link target
}

func (g *gen) renderer(d parser.Definition) *docRenderer {
	return &docRenderer{g: g, members: g.docs.members[d]}
}

var (
	atRef       = regexp.MustCompile(`@([A-Za-z0-9_][-A-Za-z0-9_.]*[A-Za-z0-9_]|[A-Za-z0-9_])`)
	tickRef     = regexp.MustCompile("``([^`]+)``|`([^`\\s][^`]*)`")
	escapeRef   = regexp.MustCompile(`\\([*_` + "`" + `|\\])`)
	strongRef   = regexp.MustCompile(`\*\*([^*\s](?:[^*]*[^*\s])?)\*\*`)
	roleRef     = regexp.MustCompile(":[a-z:]+:`([^`<]*?)\\s*(?:<[^>]*>)?`")
	listItem    = regexp.MustCompile(`^([-*+]|\d+\.|#\.) `)
	directive   = regexp.MustCompile(`^(\s*)\.\. ([a-zA-Z-]+)::\s*(.*)$`)
	directiveOp = regexp.MustCompile(`^\s*:([a-z-]+):\s*(.*)$`)
)

// text renders one doc section. hanging: the section's first line
// follows a tag ("@name:", "Returns:"), so continuation lines carry a
// hanging indent to remove.
func (r *docRenderer) text(s *parser.DocSection, hanging bool) string {
	lines := strings.Split(strings.TrimRight(s.Text, "\n"), "\n")
	if hanging && len(lines) > 1 {
		min := -1
		for _, l := range lines[1:] {
			if strings.TrimSpace(l) == "" {
				continue
			}
			ind := len(l) - len(strings.TrimLeft(l, " "))
			if min < 0 || ind < min {
				min = ind
			}
		}
		for i := 1; i < len(lines) && min > 0; i++ {
			if len(lines[i]) >= min {
				lines[i] = lines[i][min:]
			} else {
				lines[i] = strings.TrimLeft(lines[i], " ")
			}
		}
	}
	return r.rst(lines)
}

// tagged renders a plain section, which in older releases may carry a
// tag: "Example:"/"Examples:" sections hold QMP transcripts and become
// code blocks, other tags ("Note:", "Notes:") lead a paragraph.
func (r *docRenderer) tagged(s *parser.DocSection) string {
	if s.Tag == "" {
		return r.text(s, false)
	}
	if strings.HasPrefix(strings.ToLower(s.Tag), "example") {
		// Transcripts become code blocks; an unindented numbered
		// caption ("1. Move a node into an IOThread") stays a text
		// paragraph: a code block cannot start with one (Go doc would
		// read the whole block as a list and reflow it).
		var out []string
		for _, l := range strings.Split(strings.Trim(s.Text, "\n"), "\n") {
			switch {
			case strings.TrimSpace(l) == "":
				out = append(out, "")
			case listItem.MatchString(l):
				if len(out) > 0 && out[len(out)-1] != "" {
					out = append(out, "")
				}
				out = append(out, r.inline(l), "")
			default:
				out = append(out, "    "+l)
			}
		}
		return s.Tag + ":\n\n" + strings.Join(out, "\n")
	}
	t := strings.Trim(r.text(s, true), "\n")
	if listItem.MatchString(strings.TrimLeft(t, " ")) {
		// "Notes:" followed by a list: the list starts on its own
		// line, indented so that Go doc reads it as one.
		if !strings.HasPrefix(t, " ") {
			t = "  " + t
		}
		return s.Tag + ":\n\n" + t
	}
	return s.Tag + ": " + t
}

// rst converts the block structure of rST text to Go doc comment
// syntax and rewrites inline markup.
func (r *docRenderer) rst(lines []string) string {
	var out []string
	annotated := false // in an annotated qmp-example (prose with transcripts)
	inCode := -1       // indentation of the directive/paragraph that opened a literal block; -1 outside one
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		ind := len(l) - len(strings.TrimLeft(l, " "))
		blank := strings.TrimSpace(l) == ""
		if inCode >= 0 {
			if blank || ind > inCode {
				out = append(out, "    "+strings.TrimRight(l, " "))
				continue
			}
			inCode = -1
		}
		if m := directive.FindStringSubmatch(l); m != nil {
			kind, arg := m[2], m[3]
			title, isAnnotated := "", false
			// directive options
			for i+1 < len(lines) {
				om := directiveOp.FindStringSubmatch(lines[i+1])
				if om == nil {
					break
				}
				switch om[1] {
				case "title":
					title = om[2]
				case "annotated":
					isAnnotated = true
				}
				i++
			}
			switch kind {
			case "qmp-example":
				head := "Example:"
				if title != "" {
					head = "Example (" + r.inline(title) + "):"
				}
				if isAnnotated {
					annotated = true
					// Prose with literal blocks: render as text.
					out = append(out, m[1]+head)
					dedentBlock(lines[i+1:], ind)
				} else {
					out = append(out, m[1]+head, "")
					inCode = ind
				}
			case "code-block", "code", "sourcecode", "parsed-literal":
				inCode = ind
			case "note", "warning", "caution", "important", "tip", "hint", "attention", "danger", "error", "seealso":
				head := strings.ToUpper(kind[:1]) + kind[1:] + ":"
				if arg != "" {
					head += " " + r.inline(arg)
				}
				out = append(out, m[1]+head)
				dedentBlock(lines[i+1:], ind)
			case "admonition":
				out = append(out, m[1]+r.inline(arg)+":")
				dedentBlock(lines[i+1:], ind)
			default:
				if arg != "" {
					out = append(out, m[1]+r.inline(arg))
				}
			}
			continue
		}
		t := strings.TrimRight(l, " ")
		if strings.HasSuffix(t, "::") && !blank {
			// "text::" opens a literal block; "::" alone disappears.
			t = strings.TrimSuffix(t, "::")
			if strings.TrimSpace(t) == "" {
				if annotated && lastIndented(out) {
					// After a list, Go doc would read the
					// literal block as more of the list (and
					// reflow it): a line of text ends the list.
					out = append(out, strings.Repeat(" ", ind)+"Transcript:", "")
				}
				inCode = ind
				continue
			}
			if !strings.HasSuffix(t, " ") {
				t += ":"
			}
			out = append(out, r.inline(strings.TrimRight(t, " ")))
			inCode = ind
			continue
		}
		if ind == 0 && listItem.MatchString(t) {
			t = "  " + t
		}
		out = append(out, r.inline(t))
	}
	return strings.Join(out, "\n")
}

// lastIndented reports whether the last non-blank line of out is
// indented (a list or a code block).
func lastIndented(out []string) bool {
	for i := len(out) - 1; i >= 0; i-- {
		if strings.TrimSpace(out[i]) != "" {
			return strings.HasPrefix(out[i], " ")
		}
	}
	return false
}

// inline rewrites inline markup: **strong** and “literal“ lose their
// marks and \-escapes their backslash, `name` and @name become Go doc
// links when they name a definition or a member of the documented type,
// and :role:`text <target>` keeps its text.
func (r *docRenderer) inline(s string) string {
	if strings.Contains(s, "\\") {
		s = escapeRef.ReplaceAllString(s, "$1") // rST escapes: \* is *
	}
	if strings.Contains(s, "**") {
		s = strongRef.ReplaceAllString(s, "$1") // Go doc has no bold
	}
	if !strings.ContainsAny(s, "`@:") {
		return s
	}
	s = roleRef.ReplaceAllString(s, "$1")
	s = tickRef.ReplaceAllStringFunc(s, func(m string) string {
		if strings.HasPrefix(m, "``") {
			return m[2 : len(m)-2]
		}
		return r.ref(m[1 : len(m)-1])
	})
	s = atRef.ReplaceAllStringFunc(s, func(m string) string { return r.ref(m[1:]) })
	return s
}

func (r *docRenderer) ref(name string) string {
	if f, ok := r.members[name]; ok {
		return "[" + f + "]"
	}
	if t, ok := r.g.docs.refs[name]; ok {
		return "[" + t + "]"
	}
	return name
}

// dedentBlock moves the directive content at the start of lines (the
// blank lines and lines indented deeper than ind) back to indentation
// ind, so that it renders as ordinary text.
func dedentBlock(lines []string, ind int) {
	n, min := 0, -1
	for ; n < len(lines); n++ {
		l := lines[n]
		if strings.TrimSpace(l) == "" {
			continue
		}
		li := len(l) - len(strings.TrimLeft(l, " "))
		if li <= ind {
			break
		}
		if min < 0 || li < min {
			min = li
		}
	}
	if min <= ind {
		return
	}
	for i := 0; i < n; i++ {
		if len(lines[i]) >= min {
			lines[i] = lines[i][:ind] + lines[i][min:]
		}
	}
}

// noHeadings ends with a period every one-line paragraph that gofmt
// would otherwise turn into a doc comment heading (a capitalised line
// without final punctuation between blank lines).
func noHeadings(text string) string {
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		if l == "" || l[0] == ' ' || l[0] == '\t' || (i > 0 && lines[i-1] != "") || (i+1 < len(lines) && lines[i+1] != "") {
			continue
		}
		last := l[len(l)-1]
		if !(l[0] >= 'A' && l[0] <= 'Z') || !(last >= 'a' && last <= 'z' || last >= 'A' && last <= 'Z' || last >= '0' && last <= '9') ||
			strings.ContainsAny(l, ";:!?+*/=[]{}_^&~%#@<>\"\\`") {
			continue
		}
		lines[i] = l + "."
	}
	return strings.Join(lines, "\n")
}

// indentList indents a top-level list so that Go doc reads it as one.
func indentList(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if l != "" && !strings.HasPrefix(l, " ") {
			lines[i] = "  " + l
		}
	}
	return strings.Join(lines, "\n")
}

// typeIntro is the sentence that starts the doc of a type without its
// own documentation ("" for documented ones).
func (g *gen) typeIntro(d parser.Definition, id string) string {
	c := d.Common()
	if o, ok := d.(*parser.ObjectType); ok && o.IsImplicit() {
		if owner := g.docs.argOwner[o]; owner != nil {
			if cmd, ok := owner.(*parser.Command); ok {
				return id + " holds the arguments of [Conn." + g.n.methods[cmd] + "] (command \"" + cmd.Name + "\")."
			}
		}
		return id + " is the implicit QAPI type " + c.Name + "."
	}
	if g.cfg.OmitProse || c.Doc == nil || c.Doc.Body == nil || strings.TrimSpace(c.Doc.Body.Text) == "" {
		return id + " is the QAPI " + d.Meta() + " " + c.Name + "."
	}
	return ""
}

// quoteEnum is how docs name an enum value: its Go constant as a link.
func (g *gen) quoteEnum(e *parser.EnumType, value string) string {
	if m := enumMember(e, value); m != nil {
		return "[" + g.n.enumVal[m] + "]"
	}
	return `"` + value + `"`
}
