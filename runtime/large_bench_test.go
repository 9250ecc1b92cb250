package runtime

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net"
	"path/filepath"
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
	sock := filepath.Join(b.TempDir(), "s")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
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
	ctx := context.Background()
	q, err := DialQMP(ctx, "unix", sock)
	if err != nil {
		b.Fatal(err)
	}
	defer q.Close()
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
