package server

import (
	"github.com/qapi-go/qapi/internal/qemujson"

	"strconv"
	"time"
)

// appendEvent appends an event line as QEMU prints it: its QDict holds
// "event", "timestamp" and "data", which QEMU's hash order prints as
// timestamp, event, data (see qemujson.DictOrder).
func appendEvent(b []byte, name string, data []byte, t time.Time, term string) []byte {
	us := t.UnixMicro()
	b = append(b, `{"timestamp": {"seconds": `...)
	b = strconv.AppendInt(b, us/1e6, 10)
	b = append(b, `, "microseconds": `...)
	b = strconv.AppendInt(b, us%1e6, 10)
	b = append(b, `}, "event": `...)
	b = qemujson.AppendString(b, name)
	if data != nil {
		b = append(b, `, "data": `...)
		b = qemujson.AppendQEMUStyle(b, data)
	}
	b = append(b, '}')
	return append(b, term...)
}
