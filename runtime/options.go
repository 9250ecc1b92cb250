package runtime

import (
	"log/slog"
)

// DefaultMaxMessageSize bounds one incoming message (one line) unless
// WithMaxMessageSize says otherwise: 16 MiB.
//
// The largest replies QEMU sends are query-qmp-schema (207 KB from QEMU
// 7.2 here; the schema grows by a few percent a release, so well under
// 1 MB for any release so far) and qom-list-types (34 KB); a monitor
// configured with pretty=on multiplies that by a few times. 16 MiB leaves
// more than 10× room over the largest pretty-printed reply of any
// release, while bounding what a hostile guest agent can make the client
// hold per connection (a line is never buffered past the limit).
// guest-file-read replies carry base64 of up to count bytes: raise the
// limit for large QGA reads.
const DefaultMaxMessageSize = 16 << 20

// DefaultEventBuffer is the buffer of a subscription made with Subscribe,
// in events.
const DefaultEventBuffer = 64

// DefaultEventBufferBytes bounds what one subscription holds, in bytes
// (an event counts its name and data plus 64), unless
// WithEventBufferBytes says otherwise: 1 MiB. QEMU's events are a few
// hundred bytes, so the bound in events is the one that usually applies;
// this one keeps a peer's large events (up to the maximum message size
// each) from piling up in an unread subscription.
const DefaultEventBufferBytes = 1 << 20

// Option configures a session (DialQMP, NewQMP, DialQGA, NewQGA, ...).
type Option func(*options)

type options struct {
	logger      *slog.Logger
	maxMsg      int
	noOOB       bool
	eventBuffer int
	eventBytes  int
	logSecrets  bool
}

func buildOptions(opts []Option) options {
	o := options{maxMsg: DefaultMaxMessageSize, eventBuffer: DefaultEventBuffer, eventBytes: DefaultEventBufferBytes}
	for _, f := range opts {
		f(&o)
	}
	if o.logger == nil {
		o.logger = slog.New(slog.DiscardHandler)
	}
	if o.maxMsg <= 0 {
		o.maxMsg = DefaultMaxMessageSize
	}
	if o.eventBuffer <= 0 {
		o.eventBuffer = DefaultEventBuffer
	}
	if o.eventBytes <= 0 {
		o.eventBytes = DefaultEventBufferBytes
	}
	return o
}

// WithLogger logs the session's unusual events (dropped replies,
// protocol errors, resynchronisations, connection loss) at debug level,
// events dropped because a subscription's buffer was full at warn level,
// and, when its handler enables slog.LevelDebug, every message sent and
// received ("qmp: send", "qga: recv", ...) with the message's JSON text
// under the key "json". Values that may carry secrets or bulk data
// (passwords, the data of secret objects, base64 file contents and
// command output) are replaced by their length unless WithSecretsInLog
// is given. Sessions are silent by default.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithSecretsInLog logs messages whole, secrets and bulk data included
// (see WithLogger): for debugging, never in production.
func WithSecretsInLog() Option { return func(o *options) { o.logSecrets = true } }

// WithMaxMessageSize sets the largest message accepted from the peer, in
// bytes, line terminator excluded (default DefaultMaxMessageSize). A
// larger message is a *ProtocolError wrapping ErrMessageTooLarge; it is
// never buffered past the limit.
func WithMaxMessageSize(n int) Option { return func(o *options) { o.maxMsg = n } }

// WithoutOOB keeps a QMP session from enabling the "oob" capability even
// when QEMU offers it. Calls with OutOfBand then fail.
func WithoutOOB() Option { return func(o *options) { o.noOOB = true } }

// WithEventBuffer sets the buffer size of subscriptions made with
// Subscribe, in events (default DefaultEventBuffer).
func WithEventBuffer(n int) Option { return func(o *options) { o.eventBuffer = n } }

// WithEventBufferBytes bounds what each subscription holds, in bytes
// (default DefaultEventBufferBytes): an event that would take a
// subscription past it is dropped and counted like one that finds the
// buffer full. An event larger than the bound is always dropped.
func WithEventBufferBytes(n int) Option { return func(o *options) { o.eventBytes = n } }
