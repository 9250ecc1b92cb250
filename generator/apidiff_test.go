package generator_test

import (
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"slices"
	"sort"
	"strings"
	"testing"

	"golang.org/x/exp/apidiff"

	"github.com/qapi-go/qapi/generator"
)

// typeCheck generates the range rels as package pkg and type-checks it
// (its imports from source).
func typeCheck(t *testing.T, pkg string, rels []generator.Release, imp types.Importer) (*types.Package, *generator.Range) {
	t.Helper()
	r, err := generator.Merge(rels)
	if err != nil {
		t.Fatal(err)
	}
	files, err := generator.Generate(r.Schema, generator.Config{Package: pkg, Range: r})
	if err != nil {
		t.Fatal(err)
	}
	return checkFiles(t, pkg, files, imp), r
}

// checkFiles type-checks the Go files of a generated package.
func checkFiles(t *testing.T, pkg string, files []generator.File, imp types.Importer) *types.Package {
	t.Helper()
	fset := token.NewFileSet()
	var syntax []*ast.File
	for _, f := range files {
		if !strings.HasSuffix(f.Name, ".go") {
			continue
		}
		af, err := parser.ParseFile(fset, f.Name, f.Content, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		syntax = append(syntax, af)
	}
	conf := types.Config{Importer: imp}
	p, err := conf.Check("github.com/qapi-go/qapi/gen/"+pkg, fset, syntax, nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestAPIStability generates the checked-in ranges ending one release
// earlier (QMP 7.2 … 10.0, QGA 5.0 … 10.0) and the full ones (… 10.2) and
// compares the two Go APIs with apidiff: adding a release at the top of
// the range may change existing declarations only at places whose wire
// type changed between the two newest releases (VERSIONS.md lists them),
// and the test lists which changes those are.
func TestAPIStability(t *testing.T) {
	if testing.Short() {
		t.Skip("type-checks four large packages")
	}
	imp := importer.ForCompiler(token.NewFileSet(), "source", nil)
	for _, tc := range []struct {
		pkg string
		rng []release
		// allowed are the incompatible changes apidiff may report
		// (its messages): each must be at a place whose wire type
		// changed between the two newest releases (VERSIONS.md).
		// Between 10.0 and 10.2 there is none.
		allowed []string
	}{
		{pkg: "qmp", rng: qmpRange},
		{pkg: "qga", rng: qgaRange},
	} {
		t.Run(tc.pkg, func(t *testing.T) {
			all := parseRange(t, tc.rng)
			before, _ := typeCheck(t, tc.pkg, all[:len(all)-1], imp)
			after, r := typeCheck(t, tc.pkg, all, imp)
			// Places whose wire type changed between the two newest
			// releases: the Go declarations there may change.
			n := len(r.Releases)
			changed := map[string]bool{}
			for _, c := range r.Changes {
				if c.Types[n-2] != c.Types[n-1] {
					changed[c.Where] = true
				}
			}
			report := apidiff.Changes(before, after)
			var incompatible, compatible []string
			for _, c := range report.Changes {
				if c.Compatible {
					compatible = append(compatible, c.Message)
				} else {
					incompatible = append(incompatible, c.Message)
				}
			}
			sort.Strings(incompatible)
			allowed := map[string]bool{}
			for _, a := range tc.allowed {
				allowed[a] = true
			}
			for _, m := range incompatible {
				if !allowed[m] {
					t.Errorf("incompatible change: %s", m)
				}
				delete(allowed, m)
			}
			for m := range allowed {
				t.Errorf("allowed change %q is not reported: remove it", m)
			}
			if len(tc.allowed) > 0 && len(changed) == 0 {
				t.Errorf("changes allowed, but no wire type changed between the two newest releases")
			}
			t.Logf("%s: %d compatible changes, %d incompatible; wire type changes between %s and %s: %d",
				tc.pkg, len(compatible), len(incompatible), r.Releases[n-2], r.Releases[n-1], len(changed))
		})
	}
	// The control: bindings of the newest release alone, as before
	// ranges, break code written against the range ending one release
	// earlier, and the comparison sees it.
	t.Run("control", func(t *testing.T) {
		all := parseRange(t, qmpRange)
		before, _ := typeCheck(t, "qmp", all[:len(all)-1], imp)
		single, err := generator.Generate(all[len(all)-1].Schema, generator.Config{Package: "qmp"})
		if err != nil {
			t.Fatal(err)
		}
		after := checkFiles(t, "qmp", single, imp)
		var incompatible []string
		for _, c := range apidiff.Changes(before, after).Changes {
			if !c.Compatible {
				incompatible = append(incompatible, c.Message)
			}
		}
		for _, want := range []string{"BlockDeviceInfo.NodeName: changed from *string to string", "SGXInfo: removed", "StatusInfo.Singlestep: removed"} {
			if !slices.Contains(incompatible, want) {
				t.Errorf("apidiff does not report %q; it reports %d incompatible changes: %q", want, len(incompatible), incompatible)
			}
		}
	})
}
