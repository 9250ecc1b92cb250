package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/qapi-go/qapi/compat"
	"github.com/qapi-go/qapi/introspect"
	"github.com/qapi-go/qapi/parser"
)

// liveSchema is what the shell learnt of the QEMU it talks to
// (query-qmp-schema), for help's "this QEMU has it"; nil for a guest agent,
// which cannot describe itself.
type liveSchema struct {
	schema *introspect.Schema
	report *compat.Report // the bindings compared with it
}

// writeCommandHelp prints what the schema says of a command: its doc, its
// arguments with their types, Since, features (deprecation), and whether
// the peer has it, with the differences qapi-gen compat would report.
func writeCommandHelp(w io.Writer, cat *catalog, name string, live *liveSchema) {
	cmd := cat.lookup(name)
	if cmd == nil || cmd.Def == nil {
		fmt.Fprintf(w, "%s: the bindings (QEMU %s) know no such command\n", name, bindingsVersion)
		if live != nil && live.schema.HasCommand(name) {
			fmt.Fprintf(w, "This QEMU has it: send it unchecked, as JSON or key=value.\n")
		}
		return
	}
	d := cmd.Def
	fmt.Fprintf(w, "%s", name)
	if d.Arg != nil {
		for _, m := range d.Arg.Members {
			if m.Optional {
				fmt.Fprintf(w, " [%s=…]", m.Name)
			} else {
				fmt.Fprintf(w, " %s=…", m.Name)
			}
		}
		if d.Arg.Branches != nil {
			fmt.Fprintf(w, " …")
		}
	}
	fmt.Fprintln(w)
	doc := d.Doc
	if doc != nil && doc.Body != nil && strings.TrimSpace(doc.Body.Text) != "" {
		fmt.Fprintf(w, "\n%s\n", indent(strings.TrimSpace(doc.Body.Text)+"\n", "    "))
	}
	if d.Arg != nil {
		fmt.Fprintf(w, "\nArguments (%s):\n", describeArgType(d))
		for _, m := range d.Arg.Members {
			writeMemberHelp(w, doc, m)
		}
		if o := d.Arg; o.Branches != nil {
			fmt.Fprintf(w, "    …and the members of the branch '%s' selects (complete with Tab).\n", o.Branches.Tag.Name)
		}
	}
	if d.Ret != nil {
		fmt.Fprintf(w, "\nReturns: %s\n", describeType(d.Ret))
	}
	if doc != nil {
		for _, s := range doc.Sections {
			if s.Kind == parser.SectionReturns || s.Kind == parser.SectionErrors {
				fmt.Fprintf(w, "\n%s:\n%s\n", s.Kind, indent(strings.TrimSpace(s.Text)+"\n", "    "))
			}
		}
	}
	fmt.Fprintln(w)
	if cmd.Since != "" {
		fmt.Fprintf(w, "Since: %s\n", cmd.Since)
	}
	if d.If != nil {
		fmt.Fprintf(w, "Only in QEMU built with: %s\n", d.If.Expr())
	}
	for _, f := range d.Features {
		text := ""
		if doc != nil {
			if s := doc.Feature(f.Name); s != nil {
				text = ": " + strings.Join(strings.Fields(s.Text), " ")
			}
		}
		switch f.Name {
		case "deprecated":
			fmt.Fprintf(w, "DEPRECATED%s\n", text)
		case "unstable":
			fmt.Fprintf(w, "UNSTABLE (experimental)%s\n", text)
		default:
			fmt.Fprintf(w, "Feature %s%s\n", f.Name, text)
		}
	}
	var flags []string
	if cmd.AllowOOB {
		flags = append(flags, "may run out of band ({\"exec-oob\": ...})")
	}
	if cmd.NoReply {
		flags = append(flags, "sends no reply")
	}
	if len(flags) > 0 {
		fmt.Fprintf(w, "Flags: %s\n", strings.Join(flags, "; "))
	}
	writeAvailability(w, cat, name, live)
}

func describeArgType(d *parser.Command) string {
	if d.Arg.IsImplicit() {
		return "inline"
	}
	return d.Arg.Name
}

func writeMemberHelp(w io.Writer, doc *parser.Doc, m *parser.ObjectMember) {
	opt := ""
	if m.Optional {
		opt = "optional "
	}
	fmt.Fprintf(w, "    %s: %s%s\n", m.Name, opt, describeType(m.Type))
	if doc != nil {
		if s := doc.Arg(m.Name); s != nil && strings.TrimSpace(s.Text) != "" {
			fmt.Fprint(w, indent(wrap(strings.Join(strings.Fields(s.Text), " "), 68)+"\n", "        "))
		}
	}
	for _, f := range m.Features {
		if f.Name == "deprecated" {
			fmt.Fprintf(w, "        DEPRECATED\n")
		}
	}
}

func writeAvailability(w io.Writer, cat *catalog, name string, live *liveSchema) {
	if live == nil {
		if cat.protocol == "QGA" {
			fmt.Fprintf(w, "This agent: run guest-info to see whether it has and enables it.\n")
		}
		return
	}
	if !live.schema.HasCommand(name) {
		fmt.Fprintf(w, "This QEMU: does NOT have %s.\n", name)
		return
	}
	var diffs []string
	if live.report != nil {
		for _, d := range live.report.Differences {
			if d.Where == "command "+name {
				diffs = append(diffs, d.String())
			}
		}
	}
	if len(diffs) == 0 {
		fmt.Fprintf(w, "This QEMU: has it, as the bindings describe it.\n")
		return
	}
	fmt.Fprintf(w, "This QEMU: has it, with differences from the bindings:\n")
	for _, d := range diffs {
		fmt.Fprintf(w, "    %s\n", d)
	}
}

// wrap breaks text into lines of at most width columns at spaces.
func wrap(text string, width int) string {
	var b strings.Builder
	col := 0
	for _, word := range strings.Fields(text) {
		if col > 0 && col+1+len(word) > width {
			b.WriteByte('\n')
			col = 0
		} else if col > 0 {
			b.WriteByte(' ')
			col++
		}
		b.WriteString(word)
		col += len(word)
	}
	return b.String()
}
