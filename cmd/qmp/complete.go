package main

import (
	"sort"
	"strings"

	"github.com/qapi-go/qapi/parser"
)

// completer completes a shell line from the catalog: command names in the
// first word, argument names (nested with dots) and enum and boolean values
// after it. It implements readline.AutoCompleter.
type completer struct {
	cat      *catalog
	builtins []string // the shell's own words: help, quit, ...
}

// Do returns the candidates' remaining text after the word being typed and
// the length of that word, as readline.AutoCompleter wants.
func (c *completer) Do(line []rune, pos int) ([][]rune, int) {
	text := string(line[:pos])
	words := strings.Fields(text)
	cur := ""
	if len(words) > 0 && !strings.HasSuffix(text, " ") && !strings.HasSuffix(text, "\t") {
		cur = words[len(words)-1]
		words = words[:len(words)-1]
	}
	if strings.HasPrefix(strings.TrimSpace(text), "{") {
		return nil, 0
	}
	var cands []string
	switch {
	case len(words) == 0:
		cands = append(append(cands, c.builtins...), c.cat.names...)
	case len(words) == 1 && words[0] == "help":
		cands = c.cat.names
	default:
		cmd := c.cat.lookup(words[0])
		if cmd == nil || cmd.Def == nil || cmd.Def.Arg == nil {
			return nil, 0
		}
		cands = c.argCandidates(cmd, words[1:], cur)
		if key, _, ok := strings.Cut(cur, "="); ok {
			// Candidates are whole values; the word typed so far is
			// what follows '='.
			return suffixes(cands, strings.TrimPrefix(cur, key+"=")), len([]rune(cur)) - len([]rune(key)) - 1
		}
	}
	return suffixes(cands, cur), len([]rune(cur))
}

// argCandidates completes the argument word cur of cmd, given the words
// already typed (which fix a union's branch and are not offered again).
func (c *completer) argCandidates(cmd *command, given []string, cur string) []string {
	tags := map[string]string{} // key path -> value typed
	for _, w := range given {
		if k, v, ok := strings.Cut(w, "="); ok {
			tags[k] = unquote(v)
		}
	}
	key, _, hasValue := strings.Cut(cur, "=")
	parts := strings.Split(key, ".")
	t := parser.Type(cmd.Def.Arg)
	prefix := ""
	for i, p := range parts {
		o := objectOf(t)
		if o == nil {
			return nil
		}
		members := objectMembers(o, c.tagValue(o, prefix, tags))
		last := i == len(parts)-1
		if last && !hasValue {
			var out []string
			for _, m := range members {
				full := prefix + m.Name
				if _, done := tags[full]; done {
					continue
				}
				if objectOf(m.Type) != nil && !isAlternate(m.Type) {
					out = append(out, full+".")
				} else {
					out = append(out, full+"=")
				}
			}
			return out
		}
		m := findMember(members, p)
		if m == nil {
			return nil
		}
		t = m.Type
		prefix += p + "."
	}
	return valueCandidates(t)
}

func (c *completer) tagValue(o *parser.ObjectType, prefix string, given map[string]string) string {
	if o.Branches == nil {
		return ""
	}
	return given[prefix+o.Branches.Tag.Name]
}

// objectOf returns the object type t is, or the object alternative of an
// alternate, nil otherwise.
func objectOf(t parser.Type) *parser.ObjectType {
	switch t := t.(type) {
	case *parser.ObjectType:
		return t
	case *parser.AlternateType:
		for _, v := range t.Alternatives.Variants {
			if o, ok := v.Type.(*parser.ObjectType); ok {
				return o
			}
		}
	}
	return nil
}

func isAlternate(t parser.Type) bool {
	_, ok := t.(*parser.AlternateType)
	return ok
}

// valueCandidates lists the values a member of type t can take, when
// there are few enough to list: enum values, booleans.
func valueCandidates(t parser.Type) []string {
	switch t := t.(type) {
	case *parser.EnumType:
		return t.MemberNames()
	case *parser.BuiltinType:
		if t.JSON == "boolean" {
			return []string{"true", "false"}
		}
	case *parser.AlternateType:
		var out []string
		for _, v := range t.Alternatives.Variants {
			out = append(out, valueCandidates(v.Type)...)
		}
		return out
	}
	return nil
}

// suffixes keeps the candidates that start with prefix and returns what
// follows it, sorted, as readline inserts it.
func suffixes(cands []string, prefix string) [][]rune {
	var out []string
	for _, c := range cands {
		if strings.HasPrefix(c, prefix) {
			out = append(out, c)
		}
	}
	sort.Strings(out)
	rs := make([][]rune, 0, len(out))
	for i, c := range out {
		if i > 0 && c == out[i-1] {
			continue
		}
		suffix := c[len(prefix):]
		if !strings.HasSuffix(suffix, "=") && !strings.HasSuffix(suffix, ".") {
			suffix += " "
		}
		rs = append(rs, []rune(suffix))
	}
	return rs
}
