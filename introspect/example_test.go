package introspect_test

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/qapi-go/qapi/introspect"
	"github.com/qapi-go/qapi/runtime"
	"github.com/qapi-go/qapi/runtime/fakepeer"
)

// A QEMU answering query-qmp-schema with a tiny schema: one command with
// an enum argument, one event.
const tinySchema = `[
 {"name":"str","meta-type":"builtin","json-type":"string"},
 {"name":"0","meta-type":"object","members":[]},
 {"name":"blockdev-add","meta-type":"command","arg-type":"1","ret-type":"0"},
 {"name":"1","meta-type":"object","members":[{"name":"driver","type":"2"},{"name":"node-name","type":"str","default":null}]},
 {"name":"2","meta-type":"enum","members":[{"name":"file"},{"name":"qcow2"},{"name":"vxhs","features":["deprecated"]}]},
 {"name":"JOB_STATUS_CHANGE","meta-type":"event","arg-type":"0"}
]`

func ExampleProber() {
	// Without QEMU: a fake peer answers query-qmp-schema.
	peer := fakepeer.New(nil, fakepeer.Config{Handler: func(cmd string, _ json.RawMessage) fakepeer.Response {
		return fakepeer.Response{Return: json.RawMessage(tinySchema)}
	}})
	defer peer.Close()
	ctx := context.Background()
	q, err := runtime.NewQMP(ctx, peer.Pipe()) // or runtime.DialQMP(ctx, "unix", path)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer q.Close()

	p := introspect.NewProber(q) // one query-qmp-schema, then answers from the cache
	hasReopen, _ := p.HasCommand(ctx, "blockdev-reopen")
	hasEvent, _ := p.HasEvent(ctx, "JOB_STATUS_CHANGE")
	hasNodeName, _ := p.HasArgument(ctx, "blockdev-add", "node-name")
	hasQcow2, _ := p.HasEnumValue(ctx, "blockdev-add", "driver", "qcow2")
	vxhsDeprecated, _ := p.HasFeature(ctx, "blockdev-add.driver=vxhs", "deprecated")
	fmt.Println(hasReopen, hasEvent, hasNodeName, hasQcow2, vxhsDeprecated)
	// Output: false true true true true
}
