package runtime

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
)

func FuzzDecodeMessage(f *testing.F) {
	for _, s := range []string{
		`{"return": {}}`,
		`{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}, "package": ""}, "capabilities": ["oob"]}}`,
		`{"timestamp": {"seconds": 1, "microseconds": 2}, "event": "STOP", "data": {"a": [1, "x\"}"]}}`,
		`{"error": {"class": "GenericError", "desc": "d"}, "id": 12}`,
		`{"ret\u0075rn": 1}`, `[]`, `{`, `{"a":}`, "\xff", ` {"return" : "\\"} "} `,
		`{"a": [1, -0.5e+3, true, false, null, "\u00e9\n", {}, []], "b": {"c": -0}}`,
		`{"a": 01}`, `{"a": 1.}`, `{"a": [1,]}`, `{"a": 1,}`, `{"a": "\x"}`, "{\"a\": \"\x01\"}",
		`{"a": tru}`, `{"a": nul}`, `{"a": -}`, `{"a": 1e}`, `{"a" 1}`, `{"a": 1} {}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		fl, err := decodeMessage(msg)
		if err != nil {
			var pe *ProtocolError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T", err)
			}
			if m := bytes.TrimLeft(msg, " \t\r\n"); len(m) > 0 && m[0] == '{' && json.Valid(msg) {
				// decodeMessage validates by itself: it must agree
				// with encoding/json both ways.
				t.Fatalf("rejected a valid object: %v", err)
			}
			return
		}
		if !json.Valid(msg) {
			t.Fatal("accepted invalid JSON")
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(msg, &m); err != nil {
			t.Fatalf("accepted a non-object: %v", err)
		}
		for key, v := range map[string][]byte{"return": fl.ret, "error": fl.err, "event": fl.event, "id": fl.id, "QMP": fl.qmp, "data": fl.data, "timestamp": fl.timestamp} {
			want, ok := m[key]
			if v == nil {
				continue // absent, or spelled with escapes
			}
			if !ok || !json.Valid(v) {
				t.Fatalf("%s: %q (want %q)", key, v, want)
			}
		}
		if fl.ret != nil || fl.err != nil {
			checkReply(msg, fl)
		}
		if fl.event != nil {
			if name, ok := unquote(fl.event); ok {
				parseEvent(name, fl)
			}
		}
	})
}

// TestDecodeMessageDepth: the nesting limit is encoding/json's.
func TestDecodeMessageDepth(t *testing.T) {
	for _, n := range []int{maxDepth - 1, maxDepth, maxDepth + 1} {
		msg := []byte(`{"a": ` + strings.Repeat("[", n-1) + strings.Repeat("]", n-1) + `}`)
		_, err := decodeMessage(msg)
		if (err == nil) != json.Valid(msg) {
			t.Errorf("depth %d: decodeMessage %v, json.Valid %v", n, err, json.Valid(msg))
		}
	}
}

// FuzzFrameReader feeds arbitrary bytes through both framings with a
// small limit: no panic, no line over the limit, and every byte accounted
// for.
func FuzzFrameReader(f *testing.F) {
	f.Add([]byte("{\"return\": {}}\r\n{\"a\"\n"), 8)
	f.Add([]byte("junk\xff{\"return\": 5}\n"+strings.Repeat("x", 100)+"\n"), 16)
	f.Fuzz(func(t *testing.T, in []byte, max int) {
		if max <= 0 || max > 1<<16 {
			max = 16
		}
		fr := newFrameReader(bytes.NewReader(in), max)
		for {
			line, err := fr.next()
			if err == errTooLong {
				break // QMP fails the connection here
			}
			if err != nil {
				if err != io.EOF && err != io.ErrUnexpectedEOF {
					t.Fatal(err)
				}
				break
			}
			if len(line) > max {
				t.Fatalf("line of %d over %d", len(line), max)
			}
		}
		fa := newFrameReader(bytes.NewReader(in), max)
		for n := 0; ; n++ {
			line, _, err := fa.nextAgent()
			if err == errTooLong {
				// The QGA session skips the rest of the line.
				if term, err := fa.skipLine(int64(4*max) + 64); err != nil || term == 0 {
					break
				}
				continue
			}
			if err != nil {
				if err != io.EOF && err != io.ErrUnexpectedEOF {
					t.Fatal(err)
				}
				break
			}
			if len(line) > max || bytes.IndexByte(line, 0xFF) >= 0 || bytes.IndexByte(line, '\n') >= 0 {
				t.Fatalf("line %q (max %d)", line, max)
			}
			if n > len(in)+1 {
				t.Fatal("no progress")
			}
		}
	})
}

func TestFrameReaderLimits(t *testing.T) {
	big := strings.Repeat("a", 10000)
	fr := newFrameReader(strings.NewReader(big+"\r\nshort\r\n"), 10000)
	if l, err := fr.next(); err != nil || len(l) != 10000 {
		t.Fatal(len(l), err)
	}
	if l, err := fr.next(); err != nil || string(l) != "short" {
		t.Fatal(string(l), err)
	}
	fr = newFrameReader(strings.NewReader(big+"x\r\n"), 10000)
	if _, err := fr.next(); err != errTooLong {
		t.Fatal(err)
	}
	fa := newFrameReader(strings.NewReader(big+"x\n{}\n"+"ab\xffcd\n"), 10000)
	if _, _, err := fa.nextAgent(); err != errTooLong {
		t.Fatal(err)
	}
	for _, want := range []struct {
		s    string
		term byte
	}{{"{}", '\n'}, {"ab", 0xFF}, {"cd", '\n'}} {
		l, term, err := fa.nextAgent()
		if err != nil || string(l) != want.s || term != want.term {
			t.Fatalf("%q %x %v, want %q", l, term, err, want.s)
		}
	}
}

func FuzzParseTimestamp(f *testing.F) {
	f.Add([]byte(`{"seconds": 1795262592, "microseconds": 819370}`))
	f.Add([]byte(`{"microseconds": -1, "seconds": -1}`))
	f.Fuzz(func(t *testing.T, v []byte) {
		if !json.Valid(v) {
			return
		}
		sec, usec, ok := parseTimestamp(v)
		var ts struct {
			Seconds      *int64 `json:"seconds"`
			Microseconds *int64 `json:"microseconds"`
		}
		err := json.Unmarshal(v, &ts)
		if ok && (err != nil || ts.Seconds == nil || ts.Microseconds == nil || *ts.Seconds != sec || *ts.Microseconds != usec) {
			t.Fatalf("%s: %d %d, json says %v", v, sec, usec, err)
		}
	})
}
