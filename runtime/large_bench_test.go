package runtime

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkLargeReply: sequential calls whose reply is a 5.6 MB
// guest-file-read-like object (4 MiB of base64), from an in-process
// peer on a unix socket that writes one prebuilt reply per request,
// decoded into a reused json.RawMessage (as qga's file reader does) and
// into a struct. It measures what the session does with a large
// message: framing, validation, copies.
func BenchmarkLargeReply(b *testing.B) {
	data := make([]byte, 4<<20)
	rand.Read(data)
	reply := []byte(`{"return": {"count": 4194304, "buf-b64": "` + base64.StdEncoding.EncodeToString(data) + `", "eof": false}}` + "\r\n")
	q := rtLargePeer(b, reply)
	ctx := context.Background()
	b.Run("raw", func(b *testing.B) {
		var raw json.RawMessage
		b.SetBytes(int64(len(reply)))
		b.ReportAllocs()
		for b.Loop() {
			if err := q.Call(ctx, "guest-file-read", nil, &raw); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("struct", func(b *testing.B) {
		var res struct {
			Count int    `json:"count"`
			Buf   string `json:"buf-b64"`
			EOF   bool   `json:"eof"`
		}
		b.SetBytes(int64(len(reply)))
		b.ReportAllocs()
		for b.Loop() {
			if err := q.Call(ctx, "guest-file-read", nil, &res); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkSchemaReply: Execute of a 207 KB reply, the size of QEMU
// 7.2's query-qmp-schema: B/op over the reply's size is what a large
// reply costs (at most about 1.3: the line is assembled in one buffer
// sized after the previous long line, and handed to the caller).
func BenchmarkSchemaReply(b *testing.B) {
	elem := `{"name": "query-status", "ret-type": "1", "meta-type": "command", "arg-type": "0"}`
	var sb strings.Builder
	sb.WriteString(`{"return": [`)
	for sb.Len() < 207_000-len(elem) {
		if sb.Len() > len(`{"return": [`) {
			sb.WriteString(", ")
		}
		sb.WriteString(elem)
	}
	sb.WriteString("]}\r\n")
	reply := []byte(sb.String())
	q := rtLargePeer(b, reply)
	ctx := context.Background()
	b.SetBytes(int64(len(reply)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := q.Execute(ctx, "query-qmp-schema", nil); err != nil {
			b.Fatal(err)
		}
	}
}

// rtLargePeer serves reply to every request, in process, on a unix
// socket.
func rtLargePeer(b *testing.B, reply []byte) *QMP {
	sock := filepath.Join(b.TempDir(), "s")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		b.Fatal(err)
	}
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		c.Write([]byte(`{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}, "package": ""}, "capabilities": []}}` + "\r\n"))
		r := bufio.NewReader(c)
		if _, err := r.ReadSlice('\n'); err != nil {
			return
		}
		c.Write([]byte(`{"return": {}}` + "\r\n"))
		for {
			if _, err := r.ReadSlice('\n'); err != nil {
				return
			}
			if _, err := c.Write(reply); err != nil {
				return
			}
		}
	}()
	q, err := DialQMP(context.Background(), "unix", sock)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { q.Close(); ln.Close() })
	return q
}
