package generator_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/qapi-go/qapi/generator"
	"github.com/qapi-go/qapi/internal/gomodtest"
)

// BenchmarkCompileQMP measures the CPU the go command spends to compile
// the checked-in QMP bindings (the range 7.2 ... 10.2) as a package of
// its own, with its dependencies and the standard library already in the
// build cache: each iteration changes a comment in one file, so only the
// package itself is compiled again. user-cpu-s/op is the go command's
// user CPU with the compiler's (the children it waits for), so it also
// counts the go command's own loading of the package graph: an upper
// bound of the compile alone.
//
// Sub-benchmarks: "range" is the checked-in package, "single" QEMU 10.2
// alone (the bindings before ranges), "empty" a package of one
// declaration: the go command's own cost, to subtract; "server" is the
// range's server package (gen/qmp/qmpserver), compiled with the bindings
// already in the build cache: what a program that serves QMP adds.
func BenchmarkCompileQMP(b *testing.B) {
	all := parseRange(b, qmpRange)
	r, err := generator.Merge(all)
	if err != nil {
		b.Fatal(err)
	}
	cfg := generator.Config{Package: "qmp", Range: r}
	ranged, err := generator.Generate(r.Schema, cfg)
	if err != nil {
		b.Fatal(err)
	}
	srv, err := generator.GenerateServer(r.Schema, cfg, generator.ServerConfig{Package: "qmpserver", BindingsImport: "compilebench/qmp"})
	if err != nil {
		b.Fatal(err)
	}
	single, err := generator.Generate(all[len(all)-1].Schema, generator.Config{Package: "qmp"})
	if err != nil {
		b.Fatal(err)
	}
	empty := []generator.File{{Name: generator.CommonFile, Content: []byte("package qmp\n\nvar X int\n")}}
	for _, tc := range []struct {
		name  string
		files []generator.File
	}{{"range", ranged}, {"single", single}, {"empty", empty}} {
		b.Run(tc.name, func(b *testing.B) { compileBench(b, tc.files, nil) })
	}
	b.Run("server", func(b *testing.B) { compileBench(b, ranged, srv) })
}

// compileBench compiles the package of files (directory qmp) again and
// again; with server files, it compiles those (directory qmp/qmpserver)
// instead, qmp staying in the build cache.
func compileBench(b *testing.B, files, server []generator.File) {
	mod := gomodtest.New(b, "compilebench")
	for _, f := range files {
		mod.WriteFile("qmp/"+f.Name, f.Content)
	}
	pkg, touched := "./qmp", filepath.Join(mod.Dir, "qmp", generator.CommonFile)
	for _, f := range server {
		mod.WriteFile("qmp/qmpserver/"+f.Name, f.Content)
		pkg, touched = "./qmp/qmpserver", filepath.Join(mod.Dir, "qmp", "qmpserver", generator.ServerFile)
	}
	mod.Go("build", pkg) // dependencies into the cache
	src, err := os.ReadFile(touched)
	if err != nil {
		b.Fatal(err)
	}
	var user, sys float64
	i := 0
	for b.Loop() {
		i++
		if err := os.WriteFile(touched, append(src, fmt.Sprintf("\n// iteration %d\n", i)...), 0o644); err != nil {
			b.Fatal(err)
		}
		cmd := exec.Command("go", "build", pkg)
		cmd.Dir = mod.Dir
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off", "GOPROXY=off")
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("go build: %v\n%s", err, out)
		}
		user += cmd.ProcessState.UserTime().Seconds()
		sys += cmd.ProcessState.SystemTime().Seconds()
	}
	b.ReportMetric(user/float64(i), "user-cpu-s/op")
	b.ReportMetric(sys/float64(i), "sys-cpu-s/op")
}
