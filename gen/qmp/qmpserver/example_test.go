package qmpserver_test

import (
	"context"
	"fmt"
	"net"

	"github.com/qapi-go/qapi/gen/qmp"
	"github.com/qapi-go/qapi/gen/qmp/qmpserver"
	"github.com/qapi-go/qapi/runtime/server"
)

// exampleVM is a stand-in QEMU that is always running.
type exampleVM struct{ qmpserver.UnimplementedServer }

func (exampleVM) QueryStatus(context.Context, *qmp.QueryStatusArgs) (*qmp.StatusInfo, error) {
	return &qmp.StatusInfo{Running: true, Status: qmp.RunStateRunning}, nil
}

// A typed QMP server, and a client of package qmp calling it (over
// net.Pipe here; Server.ListenAndServe listens on a socket).
func Example() {
	mux := server.NewMux()
	qmpserver.Register(mux, exampleVM{})
	srv := &server.Server{Handler: mux}

	ctx, cancel := context.WithCancel(context.Background())
	client, peer := net.Pipe()
	done := make(chan struct{})
	go func() { defer close(done); srv.ServeConn(ctx, peer) }()
	defer func() { cancel(); <-done }()

	conn, err := qmp.New(ctx, client)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer conn.Close()
	st, err := conn.QueryStatus(ctx, nil)
	fmt.Println(st.Status, err)
	_, err = conn.QueryVersion(ctx, nil) // left to UnimplementedServer
	fmt.Println(err)
	// Output:
	// running <nil>
	// query-version: CommandNotFound: The command query-version has not been found
}
