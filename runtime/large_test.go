package runtime_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/qapi-go/qapi/runtime"
	"github.com/qapi-go/qapi/runtime/fakepeer"
)

// largeValue is the n-th large return value: a JSON string of about
// 300 KB (beyond the buffers the session keeps between messages).
func largeValue(n int) json.RawMessage {
	return json.RawMessage(`"` + strings.Repeat(strconv.Itoa(n%10), 300<<10) + `"`)
}

// TestLargeRepliesOwned: large replies are handed to callers without
// copies; each caller's value must stay intact while later replies
// arrive, on both protocols, through Call and Execute.
func TestLargeRepliesOwned(t *testing.T) {
	n := 0
	handler := func(string, json.RawMessage) fakepeer.Response {
		n++
		return fakepeer.Response{Return: largeValue(n)}
	}
	check := func(t *testing.T, call func(i int) json.RawMessage) {
		var got []json.RawMessage
		for i := 1; i <= 6; i++ {
			got = append(got, call(i))
		}
		for i, v := range got {
			if !bytes.Equal(v, largeValue(i+1)) {
				t.Fatalf("reply %d changed (%.20q...)", i+1, v)
			}
		}
	}
	t.Run("qmp", func(t *testing.T) {
		n = 0
		q, _ := qmpSession(t, fakepeer.Config{Handler: handler})
		ctx := testCtx(t)
		check(t, func(i int) json.RawMessage {
			if i%2 == 0 {
				v, err := q.Execute(ctx, "x", nil)
				if err != nil {
					t.Fatal(err)
				}
				return v
			}
			var v json.RawMessage
			if err := q.Call(ctx, "x", nil, &v); err != nil {
				t.Fatal(err)
			}
			return v
		})
	})
	t.Run("qga", func(t *testing.T) {
		n = 0
		q, _ := qgaSession(t, fakepeer.Config{Handler: handler})
		ctx := testCtx(t)
		var reused json.RawMessage
		check(t, func(i int) json.RawMessage {
			if i%2 == 0 {
				v, err := q.Execute(ctx, "x", nil)
				if err != nil {
					t.Fatal(err)
				}
				return v
			}
			if err := q.Call(ctx, "x", nil, &reused); err != nil {
				t.Fatal(err)
			}
			return bytes.Clone(reused)
		})
	})
}

// TestLargeMalformedReply: a large reply broken deep inside its return
// value is a protocol error, not data.
func TestLargeMalformedReply(t *testing.T) {
	bad := `{"return": {"a": "` + strings.Repeat("x", 300<<10) + "\x01" + `"}}`
	q, _ := qmpSession(t, script(fakepeer.Expect("x"), fakepeer.Line(bad)))
	var v json.RawMessage
	err := q.Call(testCtx(t), "x", nil, &v)
	var pe *runtime.ProtocolError
	if !errors.As(err, &pe) || v != nil {
		t.Fatalf("got %T %v, value %d bytes; want a *ProtocolError", err, err, len(v))
	}
}
