package main

import (
	"fmt"
	"os"
	"strings"
)

// defaultReadOnlyAllow is the read-only listener's allow-list: commands
// that only report state. query-* and x-query-* are QAPI's convention for
// commands without side effects; the qom and device listings read the
// object model. human-monitor-command is not on it: HMP can do anything.
var defaultReadOnlyAllow = []string{
	"query-*",
	"x-query-*",
	"qom-get",
	"qom-list",
	"qom-list-types",
	"qom-list-properties",
	"device-list-properties",
}

// allowList matches command names against patterns: a name, or a prefix
// followed by '*'.
type allowList []string

func (a allowList) allows(command string) bool {
	for _, p := range a {
		if prefix, ok := strings.CutSuffix(p, "*"); ok {
			if strings.HasPrefix(command, prefix) {
				return true
			}
		} else if p == command {
			return true
		}
	}
	return false
}

// parseAllowList reads -readonly-allow: comma-separated patterns, or
// @FILE with one pattern per line ('#' starts a comment).
func parseAllowList(spec string) (allowList, error) {
	var items []string
	if file, ok := strings.CutPrefix(spec, "@"); ok {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		for _, line := range strings.Split(string(data), "\n") {
			line, _, _ = strings.Cut(line, "#")
			items = append(items, line)
		}
	} else {
		items = strings.Split(spec, ",")
	}
	var a allowList
	for i, it := range items {
		it = strings.TrimSpace(it)
		if it == "" {
			continue
		}
		if strings.ContainsAny(it, " \t") || strings.Contains(strings.TrimSuffix(it, "*"), "*") {
			return nil, fmt.Errorf("allow-list item %d %q: want a command name or PREFIX*", i+1, it)
		}
		a = append(a, it)
	}
	return a, nil
}
