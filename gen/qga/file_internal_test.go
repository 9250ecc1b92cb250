package qga

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"testing"
)

// slowDecodeFileRead is decodeFileRead by encoding/json alone: the
// reference the fast path must agree with.
func slowDecodeFileRead(raw []byte, limit int64) ([]byte, bool, bool) {
	var res GuestFileRead
	if json.Unmarshal(raw, &res) != nil {
		return nil, false, false
	}
	if len(res.BufB64) > base64.StdEncoding.EncodedLen(int(min(limit, MaxChunkSize))) {
		return nil, false, false
	}
	data, err := base64.StdEncoding.DecodeString(res.BufB64)
	if err != nil || int64(len(data)) != res.Count || int64(len(data)) > limit {
		return nil, false, false
	}
	return data, res.EOF, true
}

var fileReadSeeds = []string{
	`{"count": 5, "buf-b64": "aGVsbG8=", "eof": true}`,
	`{"count":5,"buf-b64":"aGVsbG8=","eof":false}`,
	`{"eof": false, "buf-b64": "aGVsbG8=", "count": 5}`,
	` { "count" : 0 , "buf-b64" : "" , "eof" : true } `,
	`{"count": 5, "buf-b64": "aGVsbG8=", "eof": true, "new": 1}`,
	`{"count": 5, "buf-b64": "aGVsbG8=", "eof": true, "count": 5}`,
	`{"count": 5, "buf-b64": "aGVs\/bG8=", "eof": true}`,
	`{"count": 5, "buf-b64": "aGVsbG8=\r", "eof": true}`,
	`{"count": 5, "buf-b64": "aGVsbG8=", "eof": tru}`,
	`{"count": 5.0, "buf-b64": "aGVsbG8=", "eof": true}`,
	`{"count": 05, "buf-b64": "aGVsbG8=", "eof": true}`,
	`{"count": -5, "buf-b64": "aGVsbG8=", "eof": true}`,
	`{"count": 5, "buf-b64": "aGVsbG8=", "eof": true}}`,
	`{"count": 5, "buf-b64": "aGVsbG8=", "eof": true,}`,
	`{"count": 5, "buf-b64": "aGVsbG8=" "eof": true}`,
	`{"count": 6, "buf-b64": "aGVsbG8=", "eof": true}`,
	`{"count": 5, "buf-b64": "aGVsbG8", "eof": true}`,
	`{"count": 5, "buf-b64": "aGVsbG8=", "eof": null}`,
	`{"co\u0075nt": 5, "buf-b64": "aGVsbG8=", "eof": true}`,
	`{"count": 5, "buf-b64": "aGVsbG8=", "eof": true} x`,
	`["count", 5]`,
	`"hello"`,
	`{}`,
	``,
	`{"count": 999999999999999999999, "buf-b64": "", "eof": true}`,
}

func TestDecodeFileReadAgreesWithJSON(t *testing.T) {
	for _, s := range fileReadSeeds {
		checkDecodeFileRead(t, []byte(s), 8)
	}
	// The fast path is taken for the agent's own shape.
	if _, _, _, ok := parseFileRead([]byte(`{"count": 5, "buf-b64": "aGVsbG8=", "eof": true}`)); !ok {
		t.Error("the agent's reply shape is not parsed by the fast path")
	}
}

func checkDecodeFileRead(t *testing.T, raw []byte, limit int64) {
	t.Helper()
	want, wantEOF, wantOK := slowDecodeFileRead(raw, limit)
	prefix := []byte("prefix")
	got, gotEOF, err := decodeFileRead(raw, append([]byte(nil), prefix...), limit)
	if !bytes.HasPrefix(got, prefix) {
		t.Fatalf("%q: dst prefix lost: %q", raw, got)
	}
	got = got[len(prefix):]
	if (err == nil) != wantOK {
		t.Fatalf("%q: decodeFileRead error %v, encoding/json ok %v", raw, err, wantOK)
	}
	if err != nil {
		if len(got) != 0 {
			t.Fatalf("%q: error %v but appended %q", raw, err, got)
		}
		return
	}
	if !bytes.Equal(got, want) || gotEOF != wantEOF {
		t.Fatalf("%q: got %q eof %v, encoding/json %q eof %v", raw, got, gotEOF, want, wantEOF)
	}
}

func FuzzDecodeFileRead(f *testing.F) {
	for _, s := range fileReadSeeds {
		f.Add([]byte(s), int64(8))
	}
	f.Fuzz(func(t *testing.T, raw []byte, limit int64) {
		limit = min(max(limit, 0), MaxChunkSize)
		checkDecodeFileRead(t, raw, limit)
	})
}
