package qgaserver_test

import (
	"context"
	"fmt"
	"net"

	"github.com/qapi-go/qapi/gen/qga"
	"github.com/qapi-go/qapi/gen/qga/qgaserver"
	"github.com/qapi-go/qapi/runtime/server"
)

// agent is a guest agent that answers guest-ping and
// guest-get-host-name; the session answers guest-sync-delimited itself.
type agent struct{ qgaserver.UnimplementedServer }

func (agent) GuestPing(context.Context, *qga.GuestPingArgs) error { return nil }

func (agent) GuestGetHostName(context.Context, *qga.GuestGetHostNameArgs) (*qga.GuestHostName, error) {
	return &qga.GuestHostName{HostName: "appliance"}, nil
}

// A guest agent written in Go, and a client of package qga calling it
// (over net.Pipe here; Server.ListenAndServe listens on a socket, and a
// real agent serves the VM's virtio-serial port).
func Example() {
	mux := server.NewMux()
	qgaserver.Register(mux, agent{})
	srv := &server.Server{Protocol: server.QGA, Handler: mux}

	ctx, cancel := context.WithCancel(context.Background())
	client, peer := net.Pipe()
	done := make(chan struct{})
	go func() { defer close(done); srv.ServeConn(ctx, peer) }()
	defer func() { cancel(); <-done }()

	ga, err := qga.New(ctx, client) // synchronises with guest-sync-delimited
	if err != nil {
		fmt.Println(err)
		return
	}
	defer ga.Close()
	fmt.Println(ga.GuestPing(ctx, nil))
	host, err := ga.GuestGetHostName(ctx, nil)
	fmt.Println(host.HostName, err)
	_, err = ga.GuestGetOsinfo(ctx, nil) // left to UnimplementedServer
	fmt.Println(err)
	// Output:
	// <nil>
	// appliance <nil>
	// guest-get-osinfo: CommandNotFound: The command guest-get-osinfo has not been found
}
