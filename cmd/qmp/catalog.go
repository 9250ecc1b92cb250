package main

import (
	"fmt"
	"sort"
	"sync"

	"github.com/qapi-go/qapi/gen/qga"
	"github.com/qapi-go/qapi/gen/qmp"
	"github.com/qapi-go/qapi/parser"
	"github.com/qapi-go/qapi/schema"
)

// command is what the tool needs to know of one command: the facts of the
// generated tables (flags, Since, the constructor of its typed arguments)
// and its definition in the parsed schema (member types and docs).
type command struct {
	Name                 string
	Since                string
	Deprecated, Unstable bool
	NoReply, AllowOOB    bool
	FreeForm             bool
	// NewArgs makes a zero typed arguments value (gen/qmp or gen/qga);
	// nil for commands without typed arguments.
	NewArgs func() any
	// Def is the command in the schema the bindings were generated from.
	Def *parser.Command
}

// catalog is one protocol's commands and events as the bindings know them.
type catalog struct {
	protocol string // "QMP" or "QGA", for messages
	schema   *parser.Schema
	commands map[string]*command
	names    []string // sorted command names
	events   []string // sorted event names
}

// loadQMPCatalog and loadQGACatalog parse the vendored schemas once
// (about 40 ms for QMP).
var (
	loadQMPCatalog = sync.OnceValues(func() (*catalog, error) {
		return buildCatalog("QMP", schema.QMPRoot, func(add func(*command)) {
			for name, spec := range qmp.Commands {
				add(&command{Name: name, Since: spec.Since, Deprecated: spec.Deprecated, Unstable: spec.Unstable,
					NoReply: spec.NoReply, AllowOOB: spec.AllowOOB, FreeForm: spec.FreeForm, NewArgs: spec.NewArgs})
			}
		}, mapKeys(qmp.Events))
	})
	loadQGACatalog = sync.OnceValues(func() (*catalog, error) {
		return buildCatalog("QGA", schema.QGARoot, func(add func(*command)) {
			for name, spec := range qga.Commands {
				add(&command{Name: name, Since: spec.Since, Deprecated: spec.Deprecated, Unstable: spec.Unstable,
					NoReply: spec.NoReply, AllowOOB: spec.AllowOOB, FreeForm: spec.FreeForm, NewArgs: spec.NewArgs})
			}
		}, mapKeys(qga.Events))
	})
)

// buildCatalog joins a generated command table (which each adds) with the
// parsed schema it was generated from.
func buildCatalog(protocol, root string, each func(add func(*command)), events []string) (*catalog, error) {
	s, err := parseEmbedded(root)
	if err != nil {
		return nil, err
	}
	c := &catalog{protocol: protocol, schema: s, commands: map[string]*command{}, events: events}
	each(c.add)
	sort.Strings(c.names)
	sort.Strings(c.events)
	return c, nil
}

func mapKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	return keys
}

func parseEmbedded(root string) (*parser.Schema, error) {
	s, err := parser.Parse(root, parser.Options{Mode: parser.Lenient, FS: schema.Files})
	if err != nil {
		return nil, fmt.Errorf("reading the vendored schema %s: %w", root, err)
	}
	return s, nil
}

func (c *catalog) add(cmd *command) {
	if d, ok := c.schema.Lookup(cmd.Name).(*parser.Command); ok {
		cmd.Def = d
	}
	c.commands[cmd.Name] = cmd
	c.names = append(c.names, cmd.Name)
}

// lookup returns the command named name, nil when the bindings lack it.
func (c *catalog) lookup(name string) *command {
	return c.commands[name]
}
