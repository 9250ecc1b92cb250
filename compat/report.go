package compat

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteText writes the report for people: each section with its count,
// definitions with their 'if' condition and features, differences grouped
// by the command or event where they were found, and a summary line.
func (r *Report) WriteText(w io.Writer) error {
	bw := bufio.NewWriter(w)
	if r.Bindings != "" {
		fmt.Fprintf(bw, "bindings: %s\n", r.Bindings)
	}
	if r.QEMU != "" {
		fmt.Fprintf(bw, "QEMU:     %s\n", r.QEMU)
	}
	defs := func(title string, ds []Def) {
		if len(ds) == 0 {
			return
		}
		fmt.Fprintf(bw, "\n%s (%d):\n", title, len(ds))
		for _, d := range ds {
			var notes []string
			if d.If != "" {
				notes = append(notes, "if "+d.If)
			}
			notes = append(notes, d.Features...)
			if len(notes) > 0 {
				fmt.Fprintf(bw, "  %s [%s]\n", d.Name, strings.Join(notes, "; "))
			} else {
				fmt.Fprintf(bw, "  %s\n", d.Name)
			}
		}
	}
	names := func(title string, ns []string) {
		if len(ns) == 0 {
			return
		}
		fmt.Fprintf(bw, "\n%s (%d):\n", title, len(ns))
		for _, n := range ns {
			fmt.Fprintf(bw, "  %s\n", n)
		}
	}
	defs("Commands the QEMU lacks", r.MissingCommands)
	defs("Events the QEMU lacks", r.MissingEvents)
	names("Commands the QEMU has that the bindings lack", r.ExtraCommands)
	names("Events the QEMU has that the bindings lack", r.ExtraEvents)
	if len(r.Differences) > 0 {
		fmt.Fprintf(bw, "\nDifferences (%d):\n", len(r.Differences))
		where := ""
		for _, d := range r.Differences {
			if d.Where != where {
				where = d.Where
				fmt.Fprintf(bw, "  %s:\n", where)
			}
			fmt.Fprintf(bw, "    %s\n", d)
		}
	}
	if r.Empty() {
		fmt.Fprintln(bw, "\nno differences")
	} else {
		fmt.Fprintf(bw, "\nsummary: %s\n", r.Summary())
	}
	return bw.Flush()
}

// Summary is a one-line count of the report's findings.
func (r *Report) Summary() string {
	counts := map[Kind]int{}
	for _, d := range r.Differences {
		counts[d.Kind]++
	}
	parts := []string{
		fmt.Sprintf("QEMU lacks %d commands, %d events", len(r.MissingCommands), len(r.MissingEvents)),
		fmt.Sprintf("bindings lack %d commands, %d events", len(r.ExtraCommands), len(r.ExtraEvents)),
	}
	for _, k := range []Kind{MemberMissing, MemberExtra, TypeDiffers, OptionalityDiffers,
		EnumValueMissing, EnumValueExtra, BranchMissing, BranchExtra, AlternativeMissing, AlternativeExtra, OOBDiffers} {
		if n := counts[k]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, k))
		}
	}
	return strings.Join(parts, "; ")
}
