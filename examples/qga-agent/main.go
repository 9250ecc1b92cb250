// Command qga-agent is a small guest agent written in Go: it serves the
// QEMU guest agent protocol on a unix socket (in a real guest, the
// virtio-serial port org.qemu.guest_agent.0 would take its place).
//
//	qga-agent -listen /tmp/qga.sock -root /srv/shared [-allow-exec]
//
// It answers guest-ping, guest-sync-delimited, guest-info,
// guest-get-osinfo, guest-get-host-name, guest-get-time, and
// guest-file-open/read/write/close on files under -root (paths are
// resolved inside it: no "..", absolute path or symbolic link leads out).
// guest-exec and guest-exec-status are refused as qemu-ga refuses a
// blocked command unless -allow-exec is given.
//
// It is built on the generated qgaserver.Server and package runtime/server,
// which speak the wire as qemu-ga does.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
)

func main() {
	listen := flag.String("listen", "", "unix socket path to listen on (required)")
	root := flag.String("root", "", "directory guest-file-* commands are confined to (required)")
	allowExec := flag.Bool("allow-exec", false, "enable guest-exec and guest-exec-status")
	flag.Parse()
	if *listen == "" || *root == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: qga-agent -listen PATH -root DIR [-allow-exec]")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	a, err := newAgent(*root, *allowExec)
	if err != nil {
		fmt.Fprintln(os.Stderr, "qga-agent:", err)
		os.Exit(1)
	}
	defer a.close()
	ln, err := net.Listen("unix", *listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, "qga-agent:", err)
		os.Exit(1)
	}
	if err := a.serve(ctx, ln, slog.New(slog.NewTextHandler(os.Stderr, nil))); err != nil {
		fmt.Fprintln(os.Stderr, "qga-agent:", err)
		os.Exit(1)
	}
}
