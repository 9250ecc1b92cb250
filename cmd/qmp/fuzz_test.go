package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qapi-go/qapi/internal/qemutest"
	"github.com/qapi-go/qapi/runtime"
)

// FuzzCommandLine: no shell line makes argument parsing and checking
// panic, and what is accepted is a JSON object of arguments.
func FuzzCommandLine(f *testing.F) {
	cat, err := loadQMPCatalog()
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{
		"query-status", "balloon value=1", `blockdev-add driver=qcow2 node-name=n file.driver=file file.filename="/a b"`,
		`qom-list path='x'`, `x a={"b":[1,2]} c.d.e=3`, `{"execute":"balloon","arguments":{"value":-1}}`,
		"set_link name=a up=on", "balloon value=99999999999999999999", "a b.=1", "a ..=1", `a x="\u0000"`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		words, err := splitWords(line)
		if err != nil || len(words) == 0 {
			return
		}
		req, err := parseCommandWords(cat, words, true)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		if req.Args != nil {
			var back map[string]any
			if err := json.Unmarshal(encodeJSON(req.Args), &back); err != nil {
				t.Fatalf("arguments %v do not encode as a JSON object: %v", req.Args, err)
			}
		}
	})
}

// fakeQEMU is a minimal QMP server for the mux's fuzzing: it greets and
// answers every request with an empty return, echoing its id.
func fakeQEMU(tb testing.TB) string {
	dir := qemutest.SocketDir(tb)
	sock := filepath.Join(dir, "fake.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		tb.Fatal(err)
	}
	done := make(chan struct{})
	tb.Cleanup(func() { ln.Close(); <-done })
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		go func() { <-tb.Context().Done(); c.Close() }()
		io.WriteString(c, `{"QMP":{"version":{"qemu":{"micro":0,"minor":2,"major":10},"package":""},"capabilities":["oob"]}}`+"\r\n")
		dec := json.NewDecoder(c)
		for {
			var req map[string]json.RawMessage
			if err := dec.Decode(&req); err != nil {
				return
			}
			reply := `{"return":{}`
			if id, ok := req["id"]; ok {
				reply += `,"id":` + string(id)
			}
			if _, err := io.WriteString(c, reply+"}\r\n"); err != nil {
				return
			}
		}
	}()
	return sock
}

// FuzzMuxClient: whatever a client sends, the mux answers with JSON
// objects only, ends the conversation when the client is done, and keeps
// serving others.
func FuzzMuxClient(f *testing.F) {
	for _, s := range []string{
		`{"execute":"qmp_capabilities"}{"execute":"query-status","id":[1]}`,
		`{"execute":"qmp_capabilities","arguments":{"enable":["oob"]}}{"exec-oob":"x","id":{"a":1}}`,
		`{"execute":"qmp_capabilities"}{"execute":}`,
		`[1,2]{"execute":"qmp_capabilities"}`,
		`{"execute":"qmp_capabilities"}{"execute":"a","arguments":[],"id":"\ud800"}`,
		"\xff\xfe{}",
	} {
		f.Add([]byte(s))
	}
	ctx := context.Background()
	up, err := runtime.DialQMP(ctx, "unix", fakeQEMU(f))
	if err != nil {
		f.Fatal(err)
	}
	m := newMux(up, muxConfig{allow: defaultReadOnlyAllow})
	f.Cleanup(func() { m.Close(); m.Wait() })
	sock := filepath.Join(qemutest.SocketDir(f), "mux.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		f.Fatal(err)
	}
	go m.Serve(ln, false)
	f.Fuzz(func(t *testing.T, input []byte) {
		c, err := net.Dial("unix", sock)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(20 * time.Second))
		go func() {
			c.Write(input)
			c.(*net.UnixConn).CloseWrite()
		}()
		r := bufio.NewReader(c)
		for {
			line, err := r.ReadString('\n')
			if err == io.EOF && line == "" {
				break
			}
			if err != nil {
				if strings.Contains(err.Error(), "reset by peer") {
					break // closed with input unread: the mux gave up on it
				}
				t.Fatalf("read: %v (got %q)", err, line)
			}
			var obj map[string]json.RawMessage
			if err := json.Unmarshal([]byte(line), &obj); err != nil {
				t.Fatalf("the mux sent %q, not a JSON object: %v", line, err)
			}
		}
		if m.up.Err() != nil {
			t.Fatalf("the upstream session failed: %v", m.up.Err())
		}
	})
}
