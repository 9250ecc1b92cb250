package qemujson

// The lexer is QEMU's (qobject/json-lexer.c): a table-driven state machine
// over bytes. A transition either consumes the byte or, when marked
// lookahead, ends the current token and lets the next state see the same
// byte again. Keeping QEMU's table rather than a hand-written scanner is
// what makes the token boundaries, the recovery after garbage and the text
// of "stray" errors the same as QEMU's.

// tokenType is a lexer state or, from tokLCurly on, a complete token.
type tokenType uint8

const (
	tokError tokenType = iota // QEMU's JSON_ERROR (must be zero: the table's default)
	inRecovery
	inDQStringEscape
	inDQString
	inSQStringEscape
	inSQString
	inZero
	inExpDigits
	inExpSign
	inExpE
	inMantissa
	inMantissaDigits
	inDigits
	inSign
	inKeyword
	inStart
)

const (
	tokLCurly tokenType = 100 + iota
	tokRCurly
	tokLSquare
	tokRSquare
	tokColon
	tokComma
	tokInteger
	tokFloat
	tokKeyword
	tokString
)

// lookahead marks a transition that does not consume the byte.
const lookahead = 0x80

var lexTable [inStart + 1][256]uint8

func init() {
	t := &lexTable
	set := func(s tokenType, lo, hi int, next uint8) {
		for c := lo; c <= hi; c++ {
			t[s][c] = next
		}
	}
	terminal := func(s tokenType, tok tokenType) { set(s, 0, 0xFF, uint8(tok)|lookahead) }
	la := func(s tokenType) uint8 { return uint8(s) | lookahead }

	// Error recovery: skip bytes until a structural character, a control
	// character other than '\t', or one of the impossible bytes 0xFE and
	// 0xFF (which clients send to reset the parser).
	set(inRecovery, 0, 0x1F, la(inStart))
	set(inRecovery, 0x20, 0xFD, uint8(inRecovery))
	set(inRecovery, 0xFE, 0xFF, la(inStart))
	t[inRecovery]['\t'] = uint8(inRecovery)
	for _, c := range "[]{}:," {
		t[inRecovery][c] = la(inStart)
	}

	set(inDQStringEscape, 0x20, 0xFD, uint8(inDQString))
	set(inDQString, 0x20, 0xFD, uint8(inDQString))
	t[inDQString]['\\'] = uint8(inDQStringEscape)
	t[inDQString]['"'] = uint8(tokString)

	set(inSQStringEscape, 0x20, 0xFD, uint8(inSQString))
	set(inSQString, 0x20, 0xFD, uint8(inSQString))
	t[inSQString]['\\'] = uint8(inSQStringEscape)
	t[inSQString]['\''] = uint8(tokString)

	terminal(inZero, tokInteger)
	set(inZero, '0', '9', uint8(tokError))
	t[inZero]['.'] = uint8(inMantissa)

	terminal(inExpDigits, tokFloat)
	set(inExpDigits, '0', '9', uint8(inExpDigits))
	set(inExpSign, '0', '9', uint8(inExpDigits))
	t[inExpE]['-'] = uint8(inExpSign)
	t[inExpE]['+'] = uint8(inExpSign)
	set(inExpE, '0', '9', uint8(inExpDigits))

	terminal(inMantissaDigits, tokFloat)
	set(inMantissaDigits, '0', '9', uint8(inMantissaDigits))
	t[inMantissaDigits]['e'] = uint8(inExpE)
	t[inMantissaDigits]['E'] = uint8(inExpE)
	set(inMantissa, '0', '9', uint8(inMantissaDigits))

	terminal(inDigits, tokInteger)
	set(inDigits, '0', '9', uint8(inDigits))
	t[inDigits]['e'] = uint8(inExpE)
	t[inDigits]['E'] = uint8(inExpE)
	t[inDigits]['.'] = uint8(inMantissa)

	t[inSign]['0'] = uint8(inZero)
	set(inSign, '1', '9', uint8(inDigits))

	terminal(inKeyword, tokKeyword)
	set(inKeyword, 'a', 'z', uint8(inKeyword))

	t[inStart]['"'] = uint8(inDQString)
	t[inStart]['\''] = uint8(inSQString)
	t[inStart]['0'] = uint8(inZero)
	set(inStart, '1', '9', uint8(inDigits))
	t[inStart]['-'] = uint8(inSign)
	t[inStart]['{'] = uint8(tokLCurly)
	t[inStart]['}'] = uint8(tokRCurly)
	t[inStart]['['] = uint8(tokLSquare)
	t[inStart][']'] = uint8(tokRSquare)
	t[inStart][','] = uint8(tokComma)
	t[inStart][':'] = uint8(tokColon)
	set(inStart, 'a', 'z', uint8(inKeyword))
	for _, c := range " \t\r\n" {
		t[inStart][c] = uint8(inStart)
	}
}

// plainStringByte reports the bytes a double-quoted string continues with
// without a state change: the lexer's fast path copies runs of them.
var plainStringByte = func() (p [256]bool) {
	for c := 0x20; c <= 0xFD; c++ {
		p[c] = c != '\\' && c != '"'
	}
	return p
}()
