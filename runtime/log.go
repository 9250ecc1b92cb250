package runtime

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strconv"
)

// Logging. Every message sent and received is logged at debug level when
// the logger enables it, its JSON text under the key "json" (slog's own
// "msg" says what happened: "qmp: send", "qga: recv", ...). Values that
// may carry secrets or bulk data are replaced by a note of their length
// unless WithSecretsInLog was given (see redactedKeys).

func (s *session) debug() bool {
	return s.log.Enabled(context.Background(), slog.LevelDebug)
}

func (s *session) logSend(b []byte) {
	if s.debug() {
		b = bytes.TrimPrefix(bytes.TrimSuffix(b, []byte("\n")), []byte{0xFF})
		s.log.Debug(protoName(s.proto)+": send", "json", s.redact(b))
	}
}

func (s *session) logRecv(msg []byte) {
	if s.debug() {
		s.log.Debug(protoName(s.proto)+": recv", "json", s.redact(msg))
	}
}

// logDrop logs a message the session discards, and why.
func (s *session) logDrop(why string, msg []byte) {
	if s.debug() {
		s.log.Debug(protoName(s.proto)+": "+why, "json", s.redact(msg))
	}
}

// redactedKeys are the members whose values are not logged: passwords
// (set_password, change-vnc-password, guest-set-user-password), base64
// file data and command input and output (guest-file-write,
// guest-file-read, guest-exec, guest-exec-status).
var redactedKeys = map[string]bool{
	"password":   true,
	"buf-b64":    true,
	"input-data": true,
	"out-data":   true,
	"err-data":   true,
}

// redact returns msg for the log, with the values of redactedKeys and
// the "data" of "secret" objects (object-add) replaced by a note of
// their length. A message that is not valid JSON is logged as it is.
func (s *session) redact(msg []byte) string {
	if s.opts.logSecrets {
		return string(msg)
	}
	d := json.NewDecoder(bytes.NewReader(msg))
	d.UseNumber()
	var v any
	if d.Decode(&v) != nil {
		return string(msg)
	}
	if !redactValue(v) {
		return string(msg)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return string(msg)
	}
	return string(b)
}

// redactValue redacts v in place and reports whether it changed anything.
func redactValue(v any) bool {
	changed := false
	switch v := v.(type) {
	case map[string]any:
		secret := v["qom-type"] == "secret"
		for k, e := range v {
			if redactedKeys[k] || secret && k == "data" {
				v[k] = "<redacted: " + strconv.Itoa(jsonLen(e)) + " bytes>"
				changed = true
			} else if redactValue(e) {
				changed = true
			}
		}
	case []any:
		for _, e := range v {
			if redactValue(e) {
				changed = true
			}
		}
	}
	return changed
}

func jsonLen(v any) int {
	if s, ok := v.(string); ok {
		return len(s)
	}
	b, _ := json.Marshal(v)
	return len(b)
}
