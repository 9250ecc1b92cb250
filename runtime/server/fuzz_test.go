package server

import (
	"encoding/json"
	"testing"

	"github.com/qapi-go/qapi/internal/qemujson"
)

// FuzzRequest runs arbitrary input through what a session does to a
// request before its handler: the streamer, QEMU's request checks, the
// parameter checks and typed decoding, and the error reply. Nothing may
// panic, and every reply is valid JSON.
func FuzzRequest(f *testing.F) {
	for _, s := range []string{
		`{"execute":"query-status","id":1}`,
		`{"exec-oob":"migrate-pause","id":"x"}`,
		`{"execute":"blockdev-add","arguments":{"node-name":"a","driver":"null-co","size":1}}`,
		`{"execute":"x","arguments":{"a":[1,{"b":null}]},"id":{"k":'v'}}`,
		`{"execute":1,"execute":2}`, "\xff\xff", `[{"execute":"x"}]`,
	} {
		f.Add([]byte(s))
	}
	params := []Param{{Name: "node-name"}, {Name: "size", Optional: true}, {Name: "driver"}}
	type args struct {
		NodeName string   `json:"node-name"`
		Size     *int64   `json:"size"`
		Driver   string   `json:"driver"`
		Extra    []string `json:"extra"`
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		st := qemujson.NewStreamer(qemujson.Limits{TokenSize: 1 << 12, TokenCount: 1 << 10, Nesting: 64})
		var order []int
		c := &Conn{proto: QMP, term: "\r\n"}
		var rb replyBuffer
		st.Feed(in, func(m *qemujson.Message) {
			req := &Request{}
			desc := m.Err
			if desc == "" {
				desc, order = parseRequest(m, true, req, order)
			}
			if desc == "" {
				if err := checkParams(params, argsOrEmpty(req.Args)); err != nil {
					desc = err.Error()
				} else {
					var a args
					if err := req.Decode(&a); err != nil {
						_, desc = ErrorReply(req.Command, err)
					}
				}
			}
			if desc == "" {
				desc = "ok"
			}
			line := c.errorLine(req, "GenericError", desc, &rb)
			if !json.Valid(line) {
				t.Fatalf("reply %q to %q is not JSON", line, in)
			}
		})
	})
}
