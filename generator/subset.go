package generator

import (
	"fmt"
	"sort"
	"strings"

	"github.com/qapi-go/qapi/parser"
)

// Selection says which part of a schema Subset keeps.
type Selection struct {
	// Commands and Events are allow-lists of wire names. A nil list keeps
	// every command (event); an empty, non-nil list keeps none.
	Commands []string
	Events   []string
	// OmitDeprecated and OmitUnstable drop what carries the special
	// feature 'deprecated' ('unstable'); see the package documentation,
	// "Subsets and policy", for what is dropped and what is kept.
	OmitDeprecated bool
	OmitUnstable   bool
}

// IsZero reports whether sel keeps everything (Subset would return an
// equivalent schema).
func (sel Selection) IsZero() bool {
	return sel.Commands == nil && sel.Events == nil && !sel.OmitDeprecated && !sel.OmitUnstable
}

// Subset returns a copy of s (see parser.Schema.Filter) that holds only
// the commands and events sel selects, the types they reach (through
// arguments, results, members, bases, branches, alternatives and array
// elements) and the built-in module, with what sel's policy omits
// removed. s is not modified. Definitions keep their schema and module
// order, so Generate on the result writes the same declarations as on
// s, minus what was pruned.
//
// Naming a command or event that s does not have is an error listing
// close matches; so is naming one that the policy omits.
func Subset(s *parser.Schema, sel Selection) (*parser.Schema, error) {
	p := &pruner{sel: sel, keep: map[parser.Definition]bool{}}

	// Roots.
	var cmds, evs []parser.Definition
	for _, d := range s.Defs {
		switch d.(type) {
		case *parser.Command:
			cmds = append(cmds, d)
		case *parser.Event:
			evs = append(evs, d)
		}
	}
	var errs []string
	roots := func(kind string, all []parser.Definition, names []string, other []parser.Definition) {
		if names == nil {
			for _, d := range all {
				if !p.omitted(d.Common().Features) {
					p.visit(d)
				}
			}
			return
		}
		byName := map[string]parser.Definition{}
		for _, d := range all {
			byName[d.Common().Name] = d
		}
		for _, n := range names {
			d, ok := byName[n]
			if !ok {
				errs = append(errs, unknownName(kind, n, all, other))
				continue
			}
			if f := p.omittedBy(d.Common().Features); f != "" {
				errs = append(errs, fmt.Sprintf("%s %q is %s, and the selection omits what is %s", kind, n, f, f))
				continue
			}
			p.visit(d)
		}
	}
	roots("command", cmds, sel.Commands, evs)
	roots("event", evs, sel.Events, cmds)
	if sel.Commands == nil && sel.Events == nil {
		// No allow-list: named types nothing refers to stay too.
		for _, d := range s.Defs {
			if _, ok := d.(parser.Type); ok && !d.Common().IsImplicit() && !p.omitted(d.Common().Features) {
				p.visit(d)
			}
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("generator: %s", strings.Join(errs, "\n"))
	}
	for _, m := range s.Modules {
		if !m.IsBuiltin() {
			continue
		}
		for _, e := range m.Entities {
			if d, ok := e.(parser.Definition); ok {
				p.keep[d] = true
			}
		}
	}
	sub, err := s.Filter(parser.Filter{
		Def:       func(d parser.Definition) bool { return p.keep[d] },
		Member:    func(m *parser.ObjectMember) bool { return !p.dropMember(m) },
		EnumValue: func(m *parser.EnumMember) bool { return !p.dropEnumValue(m) },
		Branch:    func(v *parser.Variant) bool { return !p.dropVariant(v) },
	})
	if err != nil {
		// A bug: visit and the policy disagree.
		return nil, fmt.Errorf("generator: subset: %v", err)
	}
	return sub, nil
}

// unknownName is the error text for a name not among all (of kind),
// with close matches and a hint when it names one of other.
func unknownName(kind, name string, all, other []parser.Definition) string {
	msg := fmt.Sprintf("unknown %s %q", kind, name)
	for _, d := range other {
		if d.Common().Name == name {
			return msg + fmt.Sprintf(" (%q is %s)", name, map[string]string{"command": "an event", "event": "a command"}[kind])
		}
	}
	type cand struct {
		name string
		dist int
	}
	var cands []cand
	norm := func(s string) string { return strings.ReplaceAll(strings.ToLower(s), "_", "-") }
	nn := norm(name)
	for _, d := range all {
		c := d.Common().Name
		nc := norm(c)
		dist := levenshtein(nn, nc)
		switch {
		case nn == nc:
			dist = 0
		case dist <= max(2, len(nn)/4):
		case len(nn) >= 4 && strings.Contains(nc, nn):
			dist = 100 + len(nc)
		default:
			continue
		}
		cands = append(cands, cand{c, dist})
	}
	if len(cands) == 0 {
		return msg
	}
	sort.Slice(cands, func(i, j int) bool {
		if cands[i].dist != cands[j].dist {
			return cands[i].dist < cands[j].dist
		}
		return cands[i].name < cands[j].name
	})
	if len(cands) > 5 {
		cands = cands[:5]
	}
	var names []string
	for _, c := range cands {
		names = append(names, c.name)
	}
	return msg + "; did you mean " + strings.Join(names, ", ") + "?"
}

// levenshtein is the edit distance between a and b (bytes).
func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// pruner computes what Subset keeps.
type pruner struct {
	sel  Selection
	keep map[parser.Definition]bool
}

// omittedBy returns the special feature among fs that the policy omits
// ("deprecated" first), or "". A feature with an 'if' counts: it may be
// there.
func (p *pruner) omittedBy(fs []*parser.Feature) string {
	for _, want := range []string{"deprecated", "unstable"} {
		if want == "deprecated" && !p.sel.OmitDeprecated || want == "unstable" && !p.sel.OmitUnstable {
			continue
		}
		for _, f := range fs {
			if f.Name == want {
				return want
			}
		}
	}
	return ""
}

func (p *pruner) omitted(fs []*parser.Feature) bool { return p.omittedBy(fs) != "" }

// omittedType reports whether the policy omits t (an array: its
// element type).
func (p *pruner) omittedType(t parser.Type) bool {
	for {
		a, ok := t.(*parser.ArrayType)
		if !ok {
			break
		}
		t = a.Element
	}
	return t != nil && p.omitted(t.Common().Features)
}

// dropMember reports whether the object member m goes: when it carries
// an omitted feature, or its type does, and it is optional. A required
// member stays (with its type) whatever its features: dropping it would
// make the generated code send requests QEMU rejects.
func (p *pruner) dropMember(m *parser.ObjectMember) bool {
	return m.Optional && (p.omitted(m.Features) || p.omittedType(m.Type))
}

// dropEnumValue reports whether the enum value goes.
func (p *pruner) dropEnumValue(m *parser.EnumMember) bool { return p.omitted(m.Features) }

// dropVariant reports whether union branch v goes: when the policy
// omits its discriminator value or its type.
func (p *pruner) dropVariant(v *parser.Variant) bool {
	return v.Value != nil && p.dropEnumValue(v.Value) || p.omittedType(v.Type)
}

// visit marks d and what it reaches as kept.
func (p *pruner) visit(d parser.Definition) {
	if d == nil || p.keep[d] {
		return
	}
	p.keep[d] = true
	visitType := func(t parser.Type) {
		if t != nil {
			p.visit(t)
		}
	}
	switch d := d.(type) {
	case *parser.Command:
		visitType(argType(d.Arg))
		visitType(d.Ret)
	case *parser.Event:
		visitType(argType(d.Arg))
	case *parser.ArrayType:
		visitType(d.Element)
	case *parser.ObjectType:
		if d.Base != nil {
			p.visit(d.Base)
		}
		for _, m := range d.Members {
			if !p.dropMember(m) {
				visitType(m.Type)
			}
		}
		if d.Branches != nil {
			for _, v := range d.Branches.Variants {
				if !p.dropVariant(v) {
					visitType(v.Type)
				}
			}
		}
	case *parser.AlternateType:
		if d.Alternatives.Tag != nil {
			visitType(d.Alternatives.Tag.Type)
		}
		for _, v := range d.Alternatives.Variants {
			visitType(v.Type)
		}
	}
}
