// The streamer: QEMU's json-streamer.c over the lexer (lexer.go) and
// the parser (parse.go). It splits a byte stream into JSON texts exactly
// as QEMU does, with its limits (limits.go) and its error messages, for
// servers that speak the wire as QEMU does.

package qemujson

// Limits bounds what a Streamer holds for one JSON text. A zero field
// means QEMU's limit. Lower limits bound memory per connection more
// tightly; texts within them are treated exactly as QEMU treats them.
type Limits struct {
	TokenSize  int
	TokenCount int
	Nesting    int
}

func (l Limits) withDefaults() Limits {
	if l.TokenSize <= 0 {
		l.TokenSize = MaxTokenSize
	}
	if l.TokenCount <= 0 {
		l.TokenCount = MaxTokenCount
	}
	if l.Nesting <= 0 {
		l.Nesting = MaxNesting
	}
	return l
}

// Message is one unit the streamer emits: a JSON text or the error QEMU
// reports in its place. It is valid only until the emit function returns.
type Message struct {
	// JSON is the text as standard JSON (RFC 8259: double-quoted,
	// valid UTF-8, compact), which encoding/json decodes as QEMU's parser
	// would. nil when Err is set.
	JSON []byte
	// Err is QEMU's error description ("JSON parse error, stray 'x'",
	// "JSON nesting depth limit exceeded", ...), "" for a JSON text.
	Err string
	// Members are the top-level members of an object, in input order;
	// nil when JSON is not an object (or an empty one: see IsObject).
	Members []Member
	// IsObject reports whether JSON is an object.
	IsObject bool
}

// Member is a top-level member of an object Message.
type Member struct {
	Key   []byte // decoded key
	Value []byte // standard JSON
}

// Get returns the value of the member called key, or nil.
func (m *Message) Get(key string) []byte {
	for i := range m.Members {
		if string(m.Members[i].Key) == key {
			return m.Members[i].Value
		}
	}
	return nil
}

type token struct {
	end uint32 // end offset of the token's text in Streamer.text
	typ tokenType
}

// keepBuffer is the largest buffer a Streamer keeps between texts: after a
// large text its buffers are released, so that an idle connection holds
// little.
const keepBuffer = 64 << 10

// Streamer splits a byte stream into JSON texts as QEMU does: texts need
// no newline and may share a line or span several, whitespace between
// them is ignored, a byte that cannot start a token is an error that QEMU
// reports ("JSON parse error, stray '...'") before it skips to the next
// structural character, control character or 0xFE/0xFF byte (so a 0xFF
// byte abandons a partial text and produces one error), and texts
// over the limits produce QEMU's limit errors. The zero value is not
// usable: call NewStreamer.
type Streamer struct {
	lim Limits

	state tokenType
	tok   []byte // the token being lexed

	// The text being assembled: its tokens and their concatenated text.
	toks           []token
	text           []byte
	brace, bracket int
	tokenSize      int

	p   parser
	msg Message
}

// NewStreamer returns a streamer with the given limits.
func NewStreamer(lim Limits) *Streamer {
	return &Streamer{lim: lim.withDefaults(), state: inStart}
}

// Feed consumes b and calls emit for every JSON text or error it
// completes, in order. A text that is not complete at the end of b is kept
// for the next Feed.
func (s *Streamer) Feed(b []byte, emit func(*Message)) {
	for i := 0; i < len(b); i++ {
		if s.state == inDQString {
			// Fast path: a run of plain string bytes changes nothing but
			// the token's text.
			j := i
			for j < len(b) && plainStringByte[b[j]] {
				j++
			}
			if j > i {
				room := s.lim.TokenSize + 1 - len(s.tok)
				if j-i > room {
					j = i + room
				}
				s.tok = append(s.tok, b[i:j]...)
				i = j
				if len(s.tok) > s.lim.TokenSize {
					s.tokenTooLong(emit)
				}
				if i == len(b) {
					return
				}
			}
		}
		s.feedByte(b[i], emit)
	}
}

// Reset drops a partial text, as a new connection starts with a new
// parser.
func (s *Streamer) Reset() {
	s.state = inStart
	s.tok = s.tok[:0]
	s.resetText()
}

func (s *Streamer) feedByte(c byte, emit func(*Message)) {
	for consumed := false; !consumed; {
		next := lexTable[s.state][c]
		consumed = next&lookahead == 0
		st := tokenType(next &^ lookahead)
		if consumed {
			s.tok = append(s.tok, c)
		}
		switch {
		case st >= tokLCurly:
			s.token(st, emit)
			s.tok = s.tok[:0]
			st = inStart
		case st == inStart:
			s.tok = s.tok[:0]
		case st == tokError:
			s.token(tokError, emit)
			st = inRecovery
			s.tok = s.tok[:0]
		case st == inRecovery:
			s.tok = s.tok[:0]
		}
		s.state = st
	}
	if len(s.tok) > s.lim.TokenSize {
		s.tokenTooLong(emit)
	}
}

// tokenTooLong ends a token that outgrew the limit, as QEMU does: the
// streamer reports the size limit and lexing restarts.
func (s *Streamer) tokenTooLong(emit func(*Message)) {
	s.token(s.state, emit)
	s.tok = s.tok[:0]
	s.state = inStart
}

// token is QEMU's json_message_process_token.
func (s *Streamer) token(typ tokenType, emit func(*Message)) {
	switch typ {
	case tokLCurly:
		s.brace++
	case tokRCurly:
		s.brace--
	case tokLSquare:
		s.bracket++
	case tokRSquare:
		s.bracket--
	case tokError:
		s.fail(emit, "JSON parse error, stray '"+string(s.tok)+"'")
		return
	}
	switch {
	case s.tokenSize+len(s.tok)+1 > s.lim.TokenSize:
		s.fail(emit, "JSON token size limit exceeded")
		return
	case len(s.toks)+1 > s.lim.TokenCount:
		s.fail(emit, "JSON token count limit exceeded")
		return
	case s.brace+s.bracket > s.lim.Nesting:
		s.fail(emit, "JSON nesting depth limit exceeded")
		return
	}
	s.text = append(s.text, s.tok...)
	s.toks = append(s.toks, token{end: uint32(len(s.text)), typ: typ})
	s.tokenSize += len(s.tok)
	if (s.brace > 0 || s.bracket > 0) && s.brace >= 0 && s.bracket >= 0 {
		return
	}
	s.parse(emit)
}

func (s *Streamer) fail(emit func(*Message), desc string) {
	s.resetText()
	s.msg = Message{Err: desc}
	emit(&s.msg)
}

func (s *Streamer) parse(emit func(*Message)) {
	s.p.reset(s.toks, s.text)
	ok := s.p.parseValue(true)
	if !ok {
		s.msg = Message{Err: "JSON parse error, " + s.p.err}
	} else {
		s.msg = Message{JSON: s.p.out, IsObject: s.p.topObject, Members: s.p.members}
	}
	emit(&s.msg)
	s.resetText()
	s.p.release()
}

func (s *Streamer) resetText() {
	s.brace, s.bracket, s.tokenSize = 0, 0, 0
	s.toks = s.toks[:0]
	s.text = s.text[:0]
	if cap(s.text) > keepBuffer {
		s.text = nil
	}
	if cap(s.toks) > keepBuffer/8 {
		s.toks = nil
	}
	if cap(s.tok) > keepBuffer {
		s.tok = nil
	}
}
