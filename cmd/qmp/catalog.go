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

var (
	qmpCatalogOnce, qgaCatalogOnce sync.Once
	qmpCatalog, qgaCatalog         *catalog
	qmpCatalogErr, qgaCatalogErr   error
)

// loadQMPCatalog parses the vendored QMP schema once (about 40 ms).
func loadQMPCatalog() (*catalog, error) {
	qmpCatalogOnce.Do(func() {
		s, err := parseEmbedded(schema.QMPRoot)
		if err != nil {
			qmpCatalogErr = err
			return
		}
		c := newCatalog("QMP", s)
		for name, spec := range qmp.Commands {
			c.add(&command{Name: name, Since: spec.Since, Deprecated: spec.Deprecated, Unstable: spec.Unstable,
				NoReply: spec.NoReply, AllowOOB: spec.AllowOOB, FreeForm: spec.FreeForm, NewArgs: spec.NewArgs})
		}
		for name := range qmp.Events {
			c.events = append(c.events, name)
		}
		qmpCatalog = c.finish()
	})
	return qmpCatalog, qmpCatalogErr
}

// loadQGACatalog parses the vendored QGA schema once.
func loadQGACatalog() (*catalog, error) {
	qgaCatalogOnce.Do(func() {
		s, err := parseEmbedded(schema.QGARoot)
		if err != nil {
			qgaCatalogErr = err
			return
		}
		c := newCatalog("QGA", s)
		for name, spec := range qga.Commands {
			c.add(&command{Name: name, Since: spec.Since, Deprecated: spec.Deprecated, Unstable: spec.Unstable,
				NoReply: spec.NoReply, AllowOOB: spec.AllowOOB, FreeForm: spec.FreeForm, NewArgs: spec.NewArgs})
		}
		for name := range qga.Events {
			c.events = append(c.events, name)
		}
		qgaCatalog = c.finish()
	})
	return qgaCatalog, qgaCatalogErr
}

func parseEmbedded(root string) (*parser.Schema, error) {
	s, err := parser.Parse(root, parser.Options{Mode: parser.Lenient, FS: schema.Files})
	if err != nil {
		return nil, fmt.Errorf("reading the vendored schema %s: %w", root, err)
	}
	return s, nil
}

func newCatalog(protocol string, s *parser.Schema) *catalog {
	return &catalog{protocol: protocol, schema: s, commands: map[string]*command{}}
}

func (c *catalog) add(cmd *command) {
	if d, ok := c.schema.Lookup(cmd.Name).(*parser.Command); ok {
		cmd.Def = d
	}
	c.commands[cmd.Name] = cmd
	c.names = append(c.names, cmd.Name)
}

func (c *catalog) finish() *catalog {
	sort.Strings(c.names)
	sort.Strings(c.events)
	return c
}

// lookup returns the command named name, nil when the bindings lack it.
func (c *catalog) lookup(name string) *command {
	return c.commands[name]
}
