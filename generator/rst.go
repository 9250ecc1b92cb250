package generator

import (
	"regexp"
	"strings"
)

// The rST-to-Go-doc converter: QEMU writes its schema docs in
// reStructuredText (Sphinx directives, literal blocks, inline markup);
// Go doc comments have paragraphs, indented code blocks, lists and
// [links]. The converter knows nothing of the schema: link resolves the
// names the text refers to (`name`, @name) to link targets.

// rstConverter converts rST doc text to Go doc comment text.
type rstConverter struct {
	// link returns the Go doc link target of a name the text refers
	// to ("StatusInfo", "StatusInfo.Running"), "" for none.
	link func(name string) string
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

// section converts the text of one doc section. hanging: the
// section's first line follows a tag ("@name:", "Returns:"), so
// continuation lines carry a hanging indent to remove.
func (r *rstConverter) section(text string, hanging bool) string {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
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

// taggedSection converts a plain section, which in older releases may
// carry a tag: "Example:"/"Examples:" sections hold QMP transcripts and
// become code blocks, other tags ("Note:", "Notes:") lead a paragraph.
func (r *rstConverter) taggedSection(tag, text string) string {
	if tag == "" {
		return r.section(text, false)
	}
	if strings.HasPrefix(strings.ToLower(tag), "example") {
		// Transcripts become code blocks; an unindented numbered
		// caption ("1. Move a node into an IOThread") stays a text
		// paragraph: a code block cannot start with one (Go doc would
		// read the whole block as a list and reflow it).
		var out []string
		for _, l := range strings.Split(strings.Trim(text, "\n"), "\n") {
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
		return tag + ":\n\n" + strings.Join(out, "\n")
	}
	t := strings.Trim(r.section(text, true), "\n")
	if listItem.MatchString(strings.TrimLeft(t, " ")) {
		// "Notes:" followed by a list: the list starts on its own
		// line, indented so that Go doc reads it as one.
		if !strings.HasPrefix(t, " ") {
			t = "  " + t
		}
		return tag + ":\n\n" + t
	}
	return tag + ": " + t
}

// rst converts the block structure of rST text to Go doc comment
// syntax and rewrites inline markup.
func (r *rstConverter) rst(lines []string) string {
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
func (r *rstConverter) inline(s string) string {
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

// ref is a name as a Go doc link when link resolves it, else as is.
func (r *rstConverter) ref(name string) string {
	if t := r.link(name); t != "" {
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
