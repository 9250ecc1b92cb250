// Package qemujson knows how QEMU reads JSON: the limits of the JSON
// streamer that splits QMP and guest agent input into messages, and which
// bytes its lexer and parser accept. Clients use it to refuse, before
// sending, a request QEMU would not read as exactly one message; servers
// that speak the wire as QEMU does enforce the same limits.
//
// The limits and byte classes are those of QEMU's qobject/json-lexer.c,
// json-streamer.c and json-parser.c, unchanged from 7.2 through 10.2.
//
// A Streamer is a port of that lexer, streamer and parser: it splits a
// byte stream into messages exactly as QEMU does, with its errors, and
// translates each into standard JSON; AppendQEMUStyle and AppendString
// print JSON as QEMU's json-writer.c does. Server sessions use both.
package qemujson

// The streamer's limits on one message (json-streamer.c). When a token
// would break one of them, QEMU reports an error for the tokens read so
// far and starts a new message with the rest of the input: one request
// over a limit is answered with several error replies.
const (
	// MaxNesting is the largest number of arrays and objects open at
	// once (MAX_NESTING): the request's own outer object counts.
	MaxNesting = 1 << 10

	// MaxTokenCount is the largest number of tokens in a message
	// (MAX_TOKEN_COUNT): each of {}[]:, and each string, number and
	// keyword is one token.
	MaxTokenCount = 2 << 20

	// MaxTokenSize bounds the bytes of a message's tokens together
	// (MAX_TOKEN_SIZE; whitespace between tokens does not count): QEMU
	// refuses a token once the total with it plus one would exceed it,
	// so a message holds at most MaxTokenSize-1 bytes of tokens.
	MaxTokenSize = 64 << 20
)

// InString reports whether QEMU's lexer accepts byte c inside a string
// literal (before the parser checks UTF-8): 0x20 to 0xFD. A control
// character or 0xFE/0xFF makes the lexer report an error and resume
// after it, so the rest of the string is read as new tokens.
func InString(c byte) bool { return c >= 0x20 && c <= 0xFD }

// Resets reports whether c is a byte a client may send to force QEMU's
// lexer back to its start state from anywhere, even inside a string:
// 0xFE and 0xFF (qemu-ga's synchronisation uses 0xFF). Other control
// characters than '\t' also end error recovery but are rejected too.
func Resets(c byte) bool { return c == 0xFE || c == 0xFF }

// ValidCodePoint reports whether QEMU's parser accepts code point r in a
// string (util/unicode.c is_valid_codepoint): not a surrogate, not a
// noncharacter (U+FDD0..U+FDEF, U+xxFFFE, U+xxFFFF), at most U+10FFFF.
// U+0000 is accepted (QEMU stores it as modified UTF-8).
func ValidCodePoint(r rune) bool {
	switch {
	case r < 0 || r > 0x10FFFF:
		return false
	case r >= 0xD800 && r <= 0xDFFF:
		return false
	case r >= 0xFDD0 && r <= 0xFDEF, r&0xFFFE == 0xFFFE:
		return false
	}
	return true
}
