package generator_test

import (
	"strings"
	"testing"

	"github.com/qapi-go/qapi/gen/qga"
	"github.com/qapi-go/qapi/gen/qmp"
	"github.com/qapi-go/qapi/parser"
)

// spec is what TestTablesMatchSchema compares of a table entry.
type spec struct {
	method, typ, since, ifc                                                   string
	features                                                                  int
	deprecated, unstable, noReply, oob, preconfig, coroutine, boxed, freeForm bool
	args, result                                                              bool
}

// TestTablesMatchSchema checks the checked-in gen/qmp and gen/qga tables
// against the range of releases they span: every command and event of
// any release is there, with the newest schema's flags, In answers for
// each release whether it has it, and nothing else is there.
func TestTablesMatchSchema(t *testing.T) {
	cmdSpecs := map[string]map[string]spec{"qmp": {}, "qga": {}}
	evSpecs := map[string]map[string]spec{"qmp": {}, "qga": {}}
	for name, c := range qmp.Commands {
		cmdSpecs["qmp"][name] = spec{method: c.Method, since: c.Since, ifc: c.If, features: len(c.Features), deprecated: c.Deprecated, unstable: c.Unstable,
			noReply: c.NoReply, oob: c.AllowOOB, preconfig: c.AllowPreconfig, coroutine: c.Coroutine, boxed: c.Boxed, freeForm: c.FreeForm, args: c.NewArgs != nil, result: c.NewResult != nil}
	}
	for name, c := range qga.Commands {
		cmdSpecs["qga"][name] = spec{method: c.Method, since: c.Since, ifc: c.If, features: len(c.Features), deprecated: c.Deprecated, unstable: c.Unstable,
			noReply: c.NoReply, oob: c.AllowOOB, preconfig: c.AllowPreconfig, coroutine: c.Coroutine, boxed: c.Boxed, freeForm: c.FreeForm, args: c.NewArgs != nil, result: c.NewResult != nil}
	}
	for name, e := range qmp.Events {
		evSpecs["qmp"][name] = spec{typ: e.Type, since: e.Since, ifc: e.If, features: len(e.Features), deprecated: e.Deprecated, unstable: e.Unstable}
	}
	for name, e := range qga.Events {
		evSpecs["qga"][name] = spec{typ: e.Type, since: e.Since, ifc: e.If, features: len(e.Features), deprecated: e.Deprecated, unstable: e.Unstable}
	}
	ins := map[string]map[string]func(string) bool{"qmp": {}, "qga": {}}
	for name, c := range qmp.Commands {
		ins["qmp"]["command "+name] = c.In
	}
	for name, c := range qga.Commands {
		ins["qga"]["command "+name] = c.In
	}
	for name, e := range qmp.Events {
		ins["qmp"]["event "+name] = e.In
	}
	for name, e := range qga.Events {
		ins["qga"]["event "+name] = e.In
	}
	for pkg, rng := range map[string][]release{"qmp": qmpRange, "qga": qgaRange} {
		r, rels := mergeRange(t, rng)
		s := r.Schema
		// First, Last and Missing: In answers for every release.
		for key, in := range ins[pkg] {
			meta, name, _ := strings.Cut(key, " ")
			for _, rel := range rels {
				if want := hasDef(rel.Schema, meta, name); in(rel.Name) != want {
					t.Errorf("%s: %s %s: In(%q) = %v, want %v", pkg, meta, name, rel.Name, !want, want)
				}
			}
		}
		for _, d := range s.Defs {
			switch d := d.(type) {
			case *parser.Command:
				got, ok := cmdSpecs[pkg][d.Name]
				if !ok {
					t.Errorf("%s: command %s missing from Commands", pkg, d.Name)
					continue
				}
				delete(cmdSpecs[pkg], d.Name)
				hasArgs := d.Gen && d.Arg != nil && (!d.Arg.IsEmpty() || !d.Arg.IsImplicit())
				if got.noReply != !d.SuccessResponse || got.oob != d.AllowOOB || got.preconfig != d.AllowPreconfig || got.coroutine != d.Coroutine ||
					got.boxed != d.Boxed || got.freeForm != !d.Gen || got.deprecated != d.Deprecated() || got.unstable != d.Unstable() ||
					got.features != len(d.Features) || (got.ifc != "") != (d.If != nil) || got.result != (d.Ret != nil) || got.args != hasArgs || got.method == "" {
					t.Errorf("%s: command %s: table entry %+v does not match the schema", pkg, d.Name, got)
				}
			case *parser.Event:
				got, ok := evSpecs[pkg][d.Name]
				if !ok {
					t.Errorf("%s: event %s missing from Events", pkg, d.Name)
					continue
				}
				delete(evSpecs[pkg], d.Name)
				if got.deprecated != d.Deprecated() || got.unstable != d.Unstable() || got.features != len(d.Features) || (got.ifc != "") != (d.If != nil) || got.typ == "" {
					t.Errorf("%s: event %s: table entry %+v does not match the schema", pkg, d.Name, got)
				}
			}
		}
		for name := range cmdSpecs[pkg] {
			t.Errorf("%s: Commands has %s, which the schema does not", pkg, name)
		}
		for name := range evSpecs[pkg] {
			t.Errorf("%s: Events has %s, which the schema does not", pkg, name)
		}
	}
}
