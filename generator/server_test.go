package generator_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/qapi-go/qapi/generator"
	"github.com/qapi-go/qapi/parser"
	"github.com/qapi-go/qapi/schema"
)

// TestSubsetServer: a subset (-commands, -events) gets a subset server:
// the Server interface, Register and EmitEvent cover exactly what was
// selected.
func TestSubsetServer(t *testing.T) {
	s, err := parser.Parse(schema.QMPRoot, parser.Options{Mode: parser.Lenient, FS: schema.Files})
	if err != nil {
		t.Fatal(err)
	}
	sub, err := generator.Subset(s, generator.Selection{Commands: []string{"query-status", "stop", "cont"}, Events: []string{"STOP", "RESUME"}})
	if err != nil {
		t.Fatal(err)
	}
	files, err := generator.GenerateServer(sub, generator.Config{Package: "qmp"}, generator.ServerConfig{Package: "qmpserver", BindingsImport: "example.com/vmm/qmp"})
	if err != nil {
		t.Fatal(err)
	}
	var src string
	for _, f := range files {
		if f.Name == generator.ServerFile {
			src = string(f.Content)
		}
	}
	if src == "" {
		t.Fatalf("no %s among the files", generator.ServerFile)
	}
	for _, want := range []string{"\npackage qmpserver\n", "\n\t\"example.com/vmm/qmp\"\n", "QueryStatus(ctx context.Context, args *qmp.QueryStatusArgs) (*qmp.StatusInfo, error)"} {
		if !strings.Contains(src, want) {
			t.Errorf("the server package lacks %q", want)
		}
	}
	find := func(re string) []string {
		var out []string
		for _, m := range regexp.MustCompile(re).FindAllStringSubmatch(src, -1) {
			out = append(out, m[1])
		}
		return out
	}
	if diff := cmp.Diff([]string{"Cont", "QueryStatus", "Stop"}, find(`(?m)^\t(\w+)\(ctx context\.Context`)); diff != "" {
		t.Errorf("Server methods (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"cont", "query-status", "stop"}, find(`Name:\s+"([^"]+)"`)); diff != "" {
		t.Errorf("Register's commands (-want +got):\n%s", diff)
	}
	// STOP and RESUME have no data: EmitEvent sends them without.
	if diff := cmp.Diff([]string{`"RESUME", "STOP"`}, find(`(?m)^\tcase (.*):\n\t\treturn to\.Emit\(name, nil\)`)); diff != "" {
		t.Errorf("events without data (-want +got):\n%s", diff)
	}
}
