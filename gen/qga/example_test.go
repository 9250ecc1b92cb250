package qga_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"os"
	"strings"

	"github.com/qapi-go/qapi/gen/qga"
	"github.com/qapi-go/qapi/runtime/fakepeer"
)

// Connect to a guest agent and call typed commands. The socket is the
// host end of the VM's agent channel, for instance
// "-chardev socket,path=/run/vm/qga.sock,server=on,wait=off,id=qga0
// -device virtio-serial -device virtserialport,chardev=qga0,name=org.qemu.guest_agent.0".
func ExampleDial() {
	ctx := context.Background()
	ga, err := qga.Dial(ctx, "unix", "/run/vm/qga.sock")
	if err != nil {
		log.Fatal(err)
	}
	defer ga.Close()

	if err := ga.GuestPing(ctx, nil); err != nil {
		log.Fatal(err)
	}
	info, err := ga.GuestGetOsinfo(ctx, nil)
	if err != nil {
		log.Fatal(err)
	}
	if info.PrettyName != nil {
		fmt.Println("guest runs", *info.PrettyName)
	}
}

// Test code that talks to a guest agent without a VM: the fake peer of
// package fakepeer speaks the agent's protocol (synchronisation included)
// and answers from a handler.
func ExampleNew() {
	peer := fakepeer.New(nil, fakepeer.Config{
		Protocol: fakepeer.QGA,
		Handler: func(cmd string, args json.RawMessage) fakepeer.Response {
			switch cmd {
			case "guest-get-host-name":
				return fakepeer.Response{Return: map[string]any{"host-name": "guest1"}}
			case "guest-get-osinfo":
				// An agent may send members these bindings do not know.
				return fakepeer.Response{Return: map[string]any{"id": "debian", "version-id": "12", "new-member": true}}
			}
			return fakepeer.Response{Error: &fakepeer.Error{Class: "CommandNotFound", Desc: "The command " + cmd + " has not been found"}}
		},
	})
	defer peer.Close()

	ctx := context.Background()
	ga, err := qga.New(ctx, peer.Pipe())
	if err != nil {
		log.Fatal(err)
	}
	defer ga.Close()

	h, err := ga.GuestGetHostName(ctx, nil)
	if err != nil {
		log.Fatal(err)
	}
	osinfo, err := ga.GuestGetOsinfo(ctx, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(h.HostName, *osinfo.ID, *osinfo.VersionID)
	_, err = ga.GuestGetLoad(ctx, nil)
	fmt.Println(err)
	// Output:
	// guest1 debian 12
	// guest-get-load: CommandNotFound: The command guest-get-load has not been found
}

// exampleAgent is a fake agent with one file, /etc/motd, and a program,
// /bin/sh, whose output is fixed.
func exampleAgent() *fakepeer.Peer {
	f := newFakeAgent()
	f.setFile("/etc/motd", []byte("Welcome to the guest.\n"))
	f.programs["/bin/sh"] = fakeProgram{exitCode: qga.Ptr[int64](3), stdout: []byte("Linux\n"), stderr: []byte("warning: example\n")}
	return fakepeer.New(nil, fakepeer.Config{Protocol: fakepeer.QGA, Handler: f.handle})
}

// Copy a file out of the guest: the file is streamed in chunks
// (guest-file-read, 4 MiB each by default), never held whole in memory.
func ExampleConn_CopyFromGuest() {
	peer := exampleAgent()
	defer peer.Close()
	ctx := context.Background()
	ga, err := qga.New(ctx, peer.Pipe())
	if err != nil {
		log.Fatal(err)
	}
	defer ga.Close()

	n, err := ga.CopyFromGuest(ctx, os.Stdout, "/etc/motd")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(n, "bytes")
	// Output:
	// Welcome to the guest.
	// 22 bytes
}

// Copy data into the guest, then read it back through an io.Reader.
func ExampleConn_CopyToGuest() {
	peer := exampleAgent()
	defer peer.Close()
	ctx := context.Background()
	ga, err := qga.New(ctx, peer.Pipe())
	if err != nil {
		log.Fatal(err)
	}
	defer ga.Close()

	if _, err := ga.CopyToGuest(ctx, "/tmp/hello.txt", strings.NewReader("hello, guest\n")); err != nil {
		log.Fatal(err)
	}

	r, err := ga.OpenReader(ctx, "/tmp/hello.txt", qga.WithChunkSize(5))
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%q\n", data)
	// Output:
	// "hello, guest\n"
}

// Write a file with a FileWriter: it sends a guest-file-write per chunk,
// and Close completes the file.
func ExampleConn_Create() {
	peer := exampleAgent()
	defer peer.Close()
	ctx := context.Background()
	ga, err := qga.New(ctx, peer.Pipe())
	if err != nil {
		log.Fatal(err)
	}
	defer ga.Close()

	w, err := ga.Create(ctx, "/tmp/report.txt")
	if err != nil {
		log.Fatal(err)
	}
	for i := range 3 {
		fmt.Fprintf(w, "line %d\n", i)
	}
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}
	data, err := ga.ReadFile(ctx, "/tmp/report.txt")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(string(data))
	// Output:
	// line 0
	// line 1
	// line 2
}

// Run a program in the guest and collect its exit status and output.
func ExampleConn_Exec() {
	peer := exampleAgent()
	defer peer.Close()
	ctx := context.Background()
	ga, err := qga.New(ctx, peer.Pipe())
	if err != nil {
		log.Fatal(err)
	}
	defer ga.Close()

	res, err := ga.Exec(ctx, "/bin/sh", "-c", "uname -s; echo 'warning: example' >&2; exit 3")
	if err != nil {
		log.Fatal(err) // the agent could not start it
	}
	fmt.Printf("exit %d, success %v\nstdout %q\nstderr %q\n", res.ExitCode, res.Success(), res.Stdout, res.Stderr)
	// Output:
	// exit 3, success false
	// stdout "Linux\n"
	// stderr "warning: example\n"
}

// Start a program with input and environment, and wait for it later.
func ExampleConn_Start() {
	peer := exampleAgent()
	defer peer.Close()
	ctx := context.Background()
	ga, err := qga.New(ctx, peer.Pipe())
	if err != nil {
		log.Fatal(err)
	}
	defer ga.Close()

	p, err := ga.Start(ctx, qga.Command{
		Path:  "/bin/sh",
		Args:  []string{"-c", "uname -s"},
		Env:   []string{"PATH=/usr/bin:/bin"},
		Stdin: []byte("input\n"),
	})
	if err != nil {
		log.Fatal(err)
	}
	// ... do something else ...
	res, err := p.Wait(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%q exit %d\n", res.Stdout, res.ExitCode)
	// Output:
	// "Linux\n" exit 3
}

// Decode a raw guest-exec-status by hand: what Exec does for you.
func ExampleGuestExecStatus() {
	var st qga.GuestExecStatus
	json.Unmarshal([]byte(`{"exited": true, "exitcode": 0, "out-data": "aGkK"}`), &st)
	out, _ := base64.StdEncoding.DecodeString(*st.OutData)
	fmt.Printf("%v %d %q\n", st.Exited, *st.Exitcode, out)
	// Output:
	// true 0 "hi\n"
}
