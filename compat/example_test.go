package compat_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/qapi-go/qapi/compat"
	"github.com/qapi-go/qapi/parser"
	"github.com/qapi-go/qapi/runtime"
	"github.com/qapi-go/qapi/runtime/fakepeer"
)

func ExampleCheck() {
	// The bindings' schema: compat.EmbeddedQMP() for gen/qmp, or the
	// schema a go:generate directive reads.
	bindings, err := parser.Parse("testdata/crafted.json", parser.Options{Mode: parser.Lenient})
	if err != nil {
		fmt.Println(err)
		return
	}
	// A QEMU: here a fake peer answering query-qmp-schema.
	live, _ := os.ReadFile("testdata/crafted-live.json")
	peer := fakepeer.New(nil, fakepeer.Config{Handler: func(string, json.RawMessage) fakepeer.Response {
		return fakepeer.Response{Return: json.RawMessage(live)}
	}})
	defer peer.Close()
	ctx := context.Background()
	q, err := runtime.NewQMP(ctx, peer.Pipe()) // or runtime.DialQMP(ctx, "unix", path)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer q.Close()

	r, err := compat.Check(ctx, q, bindings)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range r.MissingCommands {
		fmt.Println("QEMU lacks command", c.Name)
	}
	for _, d := range r.Differences[:3] {
		fmt.Printf("%s: %s\n", d.Where, d)
	}
	// Output:
	// QEMU lacks command only-bindings
	// command both: arguments: member "props" is optional in the bindings, required in QEMU
	// command both: arguments: QEMU lacks member "gone" (bindings: required bool)
	// command both: arguments: bindings lack member "new" (QEMU: optional str)
}
