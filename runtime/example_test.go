package runtime_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/qapi-go/qapi/runtime"
)

func ExampleDialQMP() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	q, err := runtime.DialQMP(ctx, "unix", "/run/vm/qmp.sock")
	if err != nil {
		log.Fatal(err)
	}
	defer q.Close()
	fmt.Println("QEMU", q.Greeting().Version)

	var status struct {
		Status  string `json:"status"`
		Running bool   `json:"running"`
	}
	if err := q.Call(ctx, "query-status", nil, &status); err != nil {
		log.Fatal(err)
	}

	// Untyped use.
	raw, err := q.Execute(ctx, "query-name", nil)
	fmt.Println(string(raw), err)

	// Errors carry QMP's class.
	err = q.Call(ctx, "device_del", map[string]string{"id": "nic9"}, nil)
	if errors.Is(err, runtime.DeviceNotFound) {
		fmt.Println("no such device")
	}
}

func ExampleQMP_CallAndWait() {
	ctx := context.Background()
	q, err := runtime.DialQMP(ctx, "unix", "/run/vm/qmp.sock")
	if err != nil {
		log.Fatal(err)
	}
	defer q.Close()
	// DEVICE_DELETED may come before or after device_del's reply.
	ev, err := q.CallAndWait(ctx, "device_del", map[string]string{"id": "disk1"}, nil,
		"DEVICE_DELETED", func(e runtime.Event) bool {
			var d struct{ Device string }
			return json.Unmarshal(e.Data, &d) == nil && d.Device == "disk1"
		})
	fmt.Println(ev.Timestamp, err)
}

func ExampleQMP_Subscribe() {
	ctx := context.Background()
	q, err := runtime.DialQMP(ctx, "unix", "/run/vm/qmp.sock")
	if err != nil {
		log.Fatal(err)
	}
	defer q.Close()
	sub := q.Subscribe("STOP", "RESUME", "SHUTDOWN")
	defer sub.Close()
	for ev := range sub.Events() { // ends when the connection does
		fmt.Println(ev.Timestamp, ev.Name, string(ev.Data), "dropped so far:", sub.Dropped())
	}
	fmt.Println("connection ended:", q.Err())
}

func ExampleQMP_Call_getfd() {
	ctx := context.Background()
	q, err := runtime.DialQMP(ctx, "unix", "/run/vm/qmp.sock")
	if err != nil {
		log.Fatal(err)
	}
	defer q.Close()
	f, err := os.Open("/dev/null")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	err = q.Call(ctx, "getfd", map[string]string{"fdname": "null"}, nil, runtime.WithFiles(f))
	fmt.Println(err)
}

func ExampleDialQGA() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	g, err := runtime.DialQGA(ctx, "unix", "/run/vm/qga.sock") // synchronises
	if err != nil {
		log.Fatal(err)
	}
	defer g.Close()
	var info struct {
		Version string `json:"version"`
	}
	if err := g.Call(ctx, "guest-info", nil, &info); err != nil {
		log.Fatal(err)
	}
	fmt.Println("agent", info.Version)
}
