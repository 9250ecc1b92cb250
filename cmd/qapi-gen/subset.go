package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/qapi-go/qapi/generator"
)

// errListFile marks a list file that cannot be read: a file error
// (exit 1), not a usage error.
var errListFile = errors.New("cannot read the list")

// selectionFlags are generate's subset and policy flags.
type selectionFlags struct {
	commands, events             string
	commandsSet, eventsSet       bool
	omitDeprecated, omitUnstable bool
}

func (f *selectionFlags) register(fset *flag.FlagSet) {
	fset.Func("commands", "", func(v string) error { f.commands, f.commandsSet = v, true; return nil })
	fset.Func("events", "", func(v string) error { f.events, f.eventsSet = v, true; return nil })
	fset.BoolVar(&f.omitDeprecated, "omit-deprecated", false, "")
	fset.BoolVar(&f.omitUnstable, "omit-unstable", false, "")
}

// selection turns the flags into a generator.Selection. Giving one
// allow-list and not the other selects none of the other kind.
func (f *selectionFlags) selection() (generator.Selection, error) {
	sel := generator.Selection{OmitDeprecated: f.omitDeprecated, OmitUnstable: f.omitUnstable}
	if !f.commandsSet && !f.eventsSet {
		return sel, nil
	}
	var err error
	if sel.Commands, err = nameList("-commands", f.commands, f.commandsSet); err != nil {
		return sel, err
	}
	if sel.Events, err = nameList("-events", f.events, f.eventsSet); err != nil {
		return sel, err
	}
	return sel, nil
}

// nameList parses an allow-list flag: comma-separated names, "@FILE"
// (one name per line; blank lines and lines starting with '#' are
// skipped; commas work there too) or "*" for all (a nil list). An unset
// flag is the empty list.
func nameList(flagName, v string, set bool) ([]string, error) {
	if !set {
		return []string{}, nil
	}
	v = strings.TrimSpace(v)
	if v == "*" {
		return nil, nil
	}
	if file, ok := strings.CutPrefix(v, "@"); ok {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("%s: %w: %v", flagName, errListFile, err)
		}
		var lines []string
		for _, l := range strings.Split(string(data), "\n") {
			if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
				lines = append(lines, l)
			}
		}
		v = strings.Join(lines, ",")
	}
	names := []string{}
	seen := map[string]bool{}
	for _, n := range strings.Split(v, ",") {
		if n = strings.TrimSpace(n); n != "" && !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	return names, nil
}
