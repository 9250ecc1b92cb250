package parser

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"unicode/utf8"
	"unsafe"
)

// Stage 1 of the front end: reading a schema file and the files it
// includes into top-level expressions and doc comments, processing the
// 'include' and 'pragma' directives on the way.

// readSchemaFiles reads the schema rooted at file and returns its
// expressions and doc comments in the reference's order: an included
// file's expressions follow the include directive (which is kept as an
// {'include': PATH} expression, also when the file was included before and
// is skipped), and docs likewise.
//
// With fsys nil, files are read from the OS file system; otherwise file
// and the includes are slash paths inside fsys. An included file's name is
// the includer's directory joined with the include string the way Python's
// os.path.join does (no cleaning), so that locations print as the
// reference prints them.
//
// The error, if any, is an *Error. In lenient mode (d.mode), doc-comment
// problems are recorded in d.warnings instead.
func readSchemaFiles(fsys fs.FS, file string, d *diag) (exprs []*Expr, docs []*Doc, err error) {
	r := &reader{fsys: fsys, d: d, included: map[string]bool{}}
	text, rerr := r.read(file)
	if rerr != nil {
		return nil, nil, &Error{Msg: fmt.Sprintf("can't read schema file '%s': %s", file, strerror(rerr))}
	}
	info := &SourceInfo{File: file, Line: 1, Pragma: &Pragma{}}
	r.included[r.abs(file)] = true
	if err := r.parseFile(text, info); err != nil {
		return nil, nil, err
	}
	return r.exprs, r.docs, nil
}

// reader holds the state shared by the whole include tree.
type reader struct {
	fsys     fs.FS
	d        *diag
	included map[string]bool // absolute names of the files read so far
	exprs    []*Expr
	docs     []*Doc
	docArena docArena     // memory for reading doc comments
	infoSlab []SourceInfo // the lexers' batch of SourceInfos (see lexer.lineInfo)
	cwd      string       // working directory, "" until known (see abs)
	exprSlab []Expr       // a batch of Exprs to hand out (see newExpr)
}

// newExpr returns a copy of e from a batch: one allocation serves many.
func (r *reader) newExpr(e Expr) *Expr {
	if len(r.exprSlab) == 0 {
		r.exprSlab = make([]Expr, 64)
	}
	p := &r.exprSlab[0]
	r.exprSlab = r.exprSlab[1:]
	*p = e
	return p
}

// read returns a file's raw contents.
func (r *reader) read(name string) ([]byte, error) {
	if r.fsys == nil {
		return os.ReadFile(name)
	}
	p := path.Clean(name)
	if !fs.ValidPath(p) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	return fs.ReadFile(r.fsys, p)
}

// abs is the reference's os.path.abspath: the name that identifies a file
// for include loops and repeated includes.
//
// It is filepath.Abs, except that the working directory is asked for once
// per read: os.Getwd costs two stat calls, and abs is called for every
// include directive and every file of its include chain. (Windows is left
// to filepath.Abs, whose rules for relative names are its own.)
func (r *reader) abs(name string) string {
	if r.fsys != nil {
		return path.Clean(name)
	}
	if runtime.GOOS != "windows" && !filepath.IsAbs(name) {
		if r.cwd == "" {
			if wd, err := os.Getwd(); err == nil {
				r.cwd = wd
			}
		}
		if r.cwd != "" {
			return filepath.Join(r.cwd, name)
		}
	}
	if a, err := filepath.Abs(name); err == nil {
		return a
	}
	return filepath.Clean(name)
}

// strerror renders a file error as Python's OSError.strerror does.
func strerror(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return capitalize(errno.Error())
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "No such file or directory"
	case errors.Is(err, fs.ErrPermission):
		return "Permission denied"
	case errors.Is(err, fs.ErrInvalid):
		return "Invalid argument"
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return capitalize(pe.Err.Error())
	}
	return capitalize(err.Error())
}

func capitalize(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// decodeSource turns a file's bytes into text the way the reference's
// open(..., encoding='utf-8') does, newlines universal ("\r\n" and "\r"
// become "\n"). Invalid UTF-8, on which the reference crashes, is an
// error positioned at the first bad byte.
//
// The text shares raw's memory: raw comes fresh from os.ReadFile or
// fs.ReadFile (whose contract gives the caller the slice) and is not
// used otherwise, so it is never modified, and copying it would only cost
// time and memory.
func decodeSource(raw []byte, info *SourceInfo) (string, error) {
	if bytes.IndexByte(raw, '\r') >= 0 {
		raw = bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n"))
		raw = bytes.ReplaceAll(raw, []byte("\r"), []byte("\n"))
	}
	if utf8.Valid(raw) {
		return unsafe.String(unsafe.SliceData(raw), len(raw)), nil
	}
	off := 0
	for off < len(raw) {
		r, size := utf8.DecodeRune(raw[off:])
		if r == utf8.RuneError && size <= 1 {
			break
		}
		off += size
	}
	lineStart := bytes.LastIndexByte(raw[:off], '\n') + 1
	line := 1 + bytes.Count(raw[:lineStart], []byte("\n"))
	lx := &lexer{src: string(raw[lineStart:off])}
	return "", &Error{
		Info: info.WithLine(line),
		Col:  lx.column(len(lx.src)),
		Msg:  fmt.Sprintf("invalid UTF-8 byte 0x%02x in schema file", raw[off]),
	}
}

// fileParser parses one file of the include tree.
type fileParser struct {
	*reader
	valueParser
	fname string

	// Doc comment state (see doc_parse.go).
	literalMode   bool // inside a literal block: line format not checked
	literalIndent int
	legacyLiteral bool // lenient: inside a legacy 'Example:' section
	docCutShort   bool // lenient: a doc block ended without its '##'
}

// parseFile parses the text of one file whose first line is at info.
func (r *reader) parseFile(raw []byte, info *SourceInfo) error {
	text, err := decodeSource(raw, info)
	if err != nil {
		return err
	}
	p := &fileParser{reader: r, fname: info.File}
	p.valueParser.lexer = newLexer(text, info)
	p.slab = &r.infoSlab
	return p.parse()
}

// parse reads the file's top-level expressions and doc comments.
func (p *fileParser) parse() error {
	var curDoc *Doc
	if err := p.next(); err != nil {
		return err
	}
	for p.tok != tokEOF {
		info, col := p.lineInfo(), p.column(p.pos)
		if p.tok == tokComment {
			if err := p.rejectExprDoc(curDoc); err != nil {
				return err
			}
			doc, err := p.getDoc()
			if err != nil {
				return err
			}
			p.docs = append(p.docs, doc)
			curDoc = doc
			continue
		}

		v, err := p.getValue()
		if err != nil {
			return err
		}
		expr, ok := v.(*Object)
		if !ok {
			return semErrorf(info, "top-level expression must be an object")
		}
		switch {
		case expr.Has("include"):
			if err := p.rejectExprDoc(curDoc); err != nil {
				return err
			}
			if expr.Len() != 1 {
				return semErrorf(info, "invalid 'include' directive")
			}
			include, ok := expr.Value("include").(string)
			if !ok {
				return semErrorf(info, "value of 'include' must be a string")
			}
			inclName := pyJoin(pyDirname(p.fname), include)
			incl := NewObject()
			incl.Set("include", inclName)
			p.exprs = append(p.exprs, p.newExpr(Expr{Data: incl, Info: info}))
			if err := p.include(include, info, inclName); err != nil {
				return err
			}
		case expr.Has("pragma"):
			if err := p.rejectExprDoc(curDoc); err != nil {
				return err
			}
			if expr.Len() != 1 {
				return semErrorf(info, "invalid 'pragma' directive")
			}
			pragma, ok := expr.Value("pragma").(*Object)
			if !ok {
				return semErrorf(info, "value of 'pragma' must be an object")
			}
			for i, name := range pragma.Keys {
				if err := p.d.pragma(name, pragma.Vals[i], info); err != nil {
					return err
				}
			}
		default:
			if curDoc != nil && curDoc.Symbol == "" {
				err := p.d.tolerable(semErrorf(curDoc.Info, "definition documentation required"))
				if err != nil {
					return err
				}
				curDoc = nil
			}
			p.exprs = append(p.exprs, p.newExpr(Expr{Data: expr, Info: info, Col: col, Doc: curDoc}))
		}
		curDoc = nil
	}
	return p.rejectExprDoc(curDoc)
}

// rejectExprDoc complains about a definition doc comment that is not
// followed by its definition.
func (p *fileParser) rejectExprDoc(doc *Doc) error {
	if doc == nil || doc.Symbol == "" {
		return nil
	}
	return p.d.tolerable(semErrorf(doc.Info,
		"documentation for '%s' is not followed by the definition", doc.Symbol))
}

// include reads the file an include directive at info names, unless it
// was read before. An include loop is an error.
func (p *fileParser) include(include string, info *SourceInfo, inclName string) error {
	absName := p.abs(inclName)
	for inf := info; inf != nil; inf = inf.Parent {
		if absName == p.abs(inf.File) {
			return semErrorf(info, "inclusion loop for %s", include)
		}
	}
	if p.included[absName] {
		return nil
	}
	p.included[absName] = true
	raw, err := p.read(inclName)
	if err != nil {
		return semErrorf(info, "can't read include file '%s': %s", inclName, strerror(err))
	}
	child := &SourceInfo{File: inclName, Line: 1, Parent: info, Pragma: info.Pragma}
	return p.parseFile(raw, child)
}

// pyDirname is Python's os.path.dirname for slash paths.
func pyDirname(p string) string {
	head := p[:strings.LastIndexByte(p, '/')+1]
	if head != "" && strings.Trim(head, "/") != "" {
		head = strings.TrimRight(head, "/")
	}
	return head
}

// pyJoin is Python's os.path.join(a, b) for slash paths: no cleaning, and
// an absolute b replaces a.
func pyJoin(a, b string) string {
	switch {
	case strings.HasPrefix(b, "/"):
		return b
	case a == "" || strings.HasSuffix(a, "/"):
		return a + b
	}
	return a + "/" + b
}
