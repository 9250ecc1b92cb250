package main

import (
	"bufio"
	"encoding/json"
	"io"
	"strconv"
	"sync"
	"time"
)

// trafficLog writes every message the mux exchanges with its clients as
// JSON lines: {"time":"…","client":3,"dir":"in","msg":{…}}. "in" is from
// the client, "out" to it; client 0 lines record the mux's own notes
// (connects, disconnects) with "dir":"note" and a string msg.
type trafficLog struct {
	mu sync.Mutex
	w  *bufio.Writer
}

func newTrafficLog(w io.Writer) *trafficLog { return &trafficLog{w: bufio.NewWriter(w)} }

func (l *trafficLog) message(client uint64, dir string, msg []byte) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.w.AvailableBuffer()
	b = append(b, `{"time":"`...)
	b = time.Now().UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","client":`...)
	b = strconv.AppendUint(b, client, 10)
	b = append(b, `,"dir":"`...)
	b = append(b, dir...)
	b = append(b, `","msg":`...)
	if json.Valid(msg) {
		b = append(b, msg...)
	} else {
		b = strconv.AppendQuote(b, string(msg))
	}
	b = append(b, "}\n"...)
	l.w.Write(b)
	l.w.Flush()
}

func (l *trafficLog) note(client uint64, text string) {
	if l == nil {
		return
	}
	q, _ := json.Marshal(text)
	l.message(client, "note", q)
}
