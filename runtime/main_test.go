package runtime

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	goruntime "runtime"
	"testing"
)

// TestMain doubles as the benchmark peer: with RT_BENCH_PEER=SOCK the
// test binary is a minimal QMP server in its own process, so that
// getrusage in the benchmark measures the client's CPU only.
func TestMain(m *testing.M) {
	if sock := os.Getenv("RT_BENCH_PEER"); sock != "" {
		rtBenchPeer(sock)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

const rtGreeting = `{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}, "package": "test"}, "capabilities": ["oob"]}}` + "\r\n"
const rtStatusReply = `{"return": {"status": "running", "singlestep": false, "running": true}}` + "\r\n"

func rtBenchPeer(sock string) {
	ln, err := net.Listen("unix", sock)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	go func() { // exit when the parent goes away
		var b [1]byte
		os.Stdin.Read(b[:])
		os.Exit(0)
	}()
	for {
		c, err := ln.Accept()
		if err != nil {
			os.Exit(0)
		}
		go rtServeQMP(c)
	}
}

// rtServeQMP is a minimal QMP peer: greeting, then one status reply per
// request line (oob ones echo the id).
func rtServeQMP(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	w := bufio.NewWriter(c)
	w.WriteString(rtGreeting)
	w.Flush()
	for {
		line, err := r.ReadSlice('\n')
		if err != nil {
			return
		}
		switch {
		case bytes.Contains(line, []byte("qmp_capabilities")):
			w.WriteString(`{"return": {}}` + "\r\n")
		case bytes.Contains(line, []byte(`"id":`)):
			i := bytes.Index(line, []byte(`"id":`))
			id := bytes.TrimRight(line[i+5:], "}\r\n")
			fmt.Fprintf(w, `{"return": {}, "id": %s}`+"\r\n", id)
		default:
			w.WriteString(rtStatusReply)
		}
		if r.Buffered() == 0 {
			w.Flush()
		}
	}
}

func rtGOMAXPROCS() int { return goruntime.GOMAXPROCS(0) }
