package qmp_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/qapi-go/qapi/gen/qmp"
	"github.com/qapi-go/qapi/runtime/fakepeer"
)

// fakeQEMU starts a scripted QMP peer that answers like a small QEMU, and
// returns a connection to it. Examples use it so that they run without
// QEMU; in real code, use qmp.Dial.
func fakeQEMU() (*qmp.Conn, func()) {
	peer := fakepeer.New(nil, fakepeer.Config{
		Version: &fakepeer.Version{Major: 10, Minor: 2, Micro: 2, Package: "v10.2.2"},
		Handler: func(cmd string, args json.RawMessage) fakepeer.Response {
			switch cmd {
			case "query-status":
				return fakepeer.Response{Return: map[string]any{"status": "running", "running": true}}
			case "stop":
				// QEMU sends STOP before stop's reply.
				return fakepeer.Response{Events: []fakepeer.Event{{Name: "STOP"}}}
			case "device_del":
				var a struct{ ID string }
				json.Unmarshal(args, &a)
				return fakepeer.Response{EventsAfter: []fakepeer.Event{{
					Name: "DEVICE_DELETED",
					Data: map[string]any{"device": a.ID, "path": "/machine/peripheral/" + a.ID},
				}}}
			case "query-block-jobs":
				return fakepeer.Response{Return: []any{}}
			}
			return fakepeer.Response{Error: &fakepeer.Error{Class: "CommandNotFound", Desc: "The command " + cmd + " has not been found"}}
		},
	})
	conn, err := qmp.New(context.Background(), peer.Pipe())
	if err != nil {
		log.Fatal(err)
	}
	return conn, func() { conn.Close(); peer.Close() }
}

// Connect to QEMU started with "-qmp unix:/run/vm/qmp.sock,server=on,wait=off"
// and call a command.
func ExampleDial() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := qmp.Dial(ctx, "unix", "/run/vm/qmp.sock")
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	fmt.Println("QEMU", conn.Version())
	st, err := conn.QueryStatus(ctx, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(st.Status)
}

func ExampleNew() {
	conn, done := fakeQEMU()
	defer done()
	ctx := context.Background()

	fmt.Println("QEMU", conn.Version().Major, conn.Version().Minor)
	st, err := conn.QueryStatus(ctx, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(st.Status, st.Running)
	// Output:
	// QEMU 10 2
	// running true
}

// Stop the guest and wait for the STOP event QEMU sends before the
// command's reply.
func ExampleCallAndWait() {
	conn, done := fakeQEMU()
	defer done()
	ctx := context.Background()

	_, err := qmp.CallAndWait(ctx, conn, func(ctx context.Context) error { return conn.Stop(ctx, nil) }, qmp.Any[qmp.StopEvent])
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("stopped")
	// Output:
	// stopped
}

// Unplug a device and wait until it is gone. The watcher is set up before
// the command is sent, so the event cannot be missed.
func ExampleWatch() {
	conn, done := fakeQEMU()
	defer done()
	ctx := context.Background()

	w := qmp.Watch(conn, func(e *qmp.DeviceDeletedEvent) bool {
		return e.Device != nil && *e.Device == "disk1"
	})
	defer w.Close()
	if err := conn.DeviceDel(ctx, &qmp.DeviceDelArgs{ID: "disk1"}); err != nil {
		log.Fatal(err)
	}
	ev, err := w.Wait(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("deleted", ev.Path)
	// Output:
	// deleted /machine/peripheral/disk1
}

// Receive every event, decoded into the generated event types.
func ExampleConn_Subscribe() {
	conn, done := fakeQEMU()
	defer done()
	ctx := context.Background()

	sub := conn.Subscribe()
	defer sub.Close()
	if err := conn.Stop(ctx, nil); err != nil {
		log.Fatal(err)
	}
	ev, err := sub.Next(ctx)
	if err != nil {
		log.Fatal(err)
	}
	switch e := ev.Value.(type) {
	case *qmp.StopEvent:
		fmt.Println("STOP")
	case *qmp.DeviceDeletedEvent:
		fmt.Println("device deleted:", e.Path)
	case nil:
		fmt.Println("an event these bindings do not know:", ev.Name)
	}
	// Output:
	// STOP
}

// A command this QEMU does not have fails with a *qmp.CommandError of
// class qmp.CommandNotFound: no import of the runtime package is needed.
func Example_commandNotFound() {
	conn, done := fakeQEMU()
	defer done()

	_, err := conn.QueryAccelerators(context.Background(), nil)
	fmt.Println(errors.Is(err, qmp.CommandNotFound))
	// Output:
	// true
}

// A command with a union argument: add a qcow2 image over a file node.
func ExampleConn_BlockdevAdd() {
	ctx := context.Background()
	var conn *qmp.Conn // from qmp.Dial
	err := conn.BlockdevAdd(ctx, &qmp.BlockdevOptions{
		Driver:   qmp.BlockdevDriverFile,
		NodeName: qmp.Ptr("file0"),
		File:     &qmp.BlockdevOptionsFile{Filename: "/var/lib/vm/disk.qcow2"},
	})
	if err != nil {
		log.Fatal(err)
	}
	err = conn.BlockdevAdd(ctx, &qmp.BlockdevOptions{
		Driver:   qmp.BlockdevDriverQcow2,
		NodeName: qmp.Ptr("disk0"),
		Qcow2: &qmp.BlockdevOptionsQcow2{
			BlockdevOptionsGenericCOWFormat: qmp.BlockdevOptionsGenericCOWFormat{
				BlockdevOptionsGenericFormat: qmp.BlockdevOptionsGenericFormat{
					File: qmp.BlockdevRef{Reference: qmp.Ptr("file0")},
				},
			},
		},
	})
	if err != nil {
		log.Fatal(err)
	}
}
