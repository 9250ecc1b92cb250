package qmpserver_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/qapi-go/qapi/gen/qmp"
	"github.com/qapi-go/qapi/gen/qmp/qmpserver"
	"github.com/qapi-go/qapi/runtime/server"
)

// dispatchVM answers the commands BenchmarkDispatch runs.
type dispatchVM struct{ qmpserver.UnimplementedServer }

func (dispatchVM) QueryStatus(context.Context, *qmp.QueryStatusArgs) (*qmp.StatusInfo, error) {
	return benchStatusInfo, nil
}

func (dispatchVM) HumanMonitorCommand(_ context.Context, args *qmp.HumanMonitorCommandArgs) (string, error) {
	return args.CommandLine, nil
}

// BenchmarkDispatch measures what Register's dispatch costs a request,
// in process, without the wire: the Run function Register installs
// (a closure calling the generated serve, whose switch decodes the
// arguments and calls the method) against, in the same run, the closure
// per command that Register used to be made of ("closure").
func BenchmarkDispatch(b *testing.B) {
	mux := server.NewMux()
	var s qmpserver.Server = dispatchVM{}
	qmpserver.Register(mux, s)
	closures := map[string]func(context.Context, *server.Request) (any, error){
		"query-status": func(ctx context.Context, req *server.Request) (any, error) {
			r, err := s.QueryStatus(ctx, &qmp.QueryStatusArgs{})
			if err != nil {
				return nil, err
			}
			return r, nil
		},
		"human-monitor-command": func(ctx context.Context, req *server.Request) (any, error) {
			args := new(qmp.HumanMonitorCommandArgs)
			if err := req.Decode(args); err != nil {
				return nil, err
			}
			r, err := s.HumanMonitorCommand(ctx, args)
			if err != nil {
				return nil, err
			}
			return r, nil
		},
	}
	for _, tc := range []struct{ command, args string }{
		{"query-status", ""},
		{"human-monitor-command", `{"command-line": "info status"}`},
	} {
		req := &server.Request{Context: context.Background(), Command: tc.command}
		if tc.args != "" {
			req.Args = json.RawMessage(tc.args)
		}
		for _, kind := range []string{"register", "closure"} {
			run := closures[tc.command]
			if kind == "register" {
				run = mux.Lookup(tc.command).Run
			}
			b.Run(tc.command+"/"+kind, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := run(req, req); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
