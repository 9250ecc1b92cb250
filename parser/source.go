package parser

import (
	"fmt"
	"strings"
)

// Pragma is the pragma state of a schema. One Pragma is shared by a root
// file and every file it includes, as in QEMU's reference front end: a
// pragma in an included file affects the whole include tree.
type Pragma struct {
	DocRequired              bool     // 'doc-required'
	CommandNameExceptions    []string // 'command-name-exceptions'
	CommandReturnsExceptions []string // 'command-returns-exceptions' (legacy: 'returns-whitelist')
	DocumentationExceptions  []string // 'documentation-exceptions'
	MemberNameExceptions     []string // 'member-name-exceptions' (legacy: 'name-case-whitelist')
}

// SourceInfo locates an expression or doc comment: a file, a line, the
// include chain that led to the file, and the definition it belongs to.
// It prints as the reference prints a location in an error message.
type SourceInfo struct {
	File   string      // path as given (root) or joined to the includer's directory
	Line   int         // 1-based
	Parent *SourceInfo // the include directive that brought this file in, nil for the root
	Pragma *Pragma     // shared across the include tree

	// DefnMeta and DefnName name the definition the location is inside
	// ("struct", "Foo"), for the "In struct 'Foo':" context line.
	DefnMeta string
	DefnName string
}

// WithLine returns a copy of info at another line.
func (info *SourceInfo) WithLine(line int) *SourceInfo {
	c := *info
	c.Line = line
	return &c
}

// SetDefn records the definition this location belongs to.
func (info *SourceInfo) SetDefn(meta, name string) {
	info.DefnMeta = meta
	info.DefnName = name
}

// Loc is "file:line".
func (info *SourceInfo) Loc() string { return fmt.Sprintf("%s:%d", info.File, info.Line) }

func (info *SourceInfo) inDefn() string {
	if info.DefnName == "" {
		return ""
	}
	return fmt.Sprintf("%s: In %s '%s':\n", info.File, info.DefnMeta, info.DefnName)
}

func (info *SourceInfo) includePath() string {
	var chain []string
	for p := info.Parent; p != nil; p = p.Parent {
		chain = append(chain, "In file included from "+p.Loc()+":\n")
	}
	var b strings.Builder
	for i := len(chain) - 1; i >= 0; i-- {
		b.WriteString(chain[i])
	}
	return b.String()
}

// String prints the location with its include chain and definition
// context, exactly as the reference does.
func (info *SourceInfo) String() string {
	return info.includePath() + info.inDefn() + info.Loc()
}

// Error is a schema error: a location, an optional column (lexical errors
// only) and a message. Error() prints it byte for byte as QEMU's front end.
type Error struct {
	Info *SourceInfo
	Col  int // 0: no column
	Msg  string
}

func (e *Error) Error() string {
	if e.Info == nil {
		return e.Msg
	}
	loc := e.Info.String()
	if e.Col > 0 {
		loc += fmt.Sprintf(":%d", e.Col)
	}
	return loc + ": " + e.Msg
}

// semErrorf builds a semantic (non-lexical) error at info.
func semErrorf(info *SourceInfo, format string, args ...any) *Error {
	return &Error{Info: info, Msg: fmt.Sprintf(format, args...)}
}

// Warning is a problem that lenient mode tolerates (doc-comment style and
// completeness, legacy names). It prints like an Error.
type Warning = Error
