package parser

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Reading doc comment blocks ("##" ... "##") into Docs, with the
// reference's line format rules. In lenient mode every problem found here
// is a warning and reading goes on as described at each rule.

// getDoc reads a doc comment block; the current token is its opening
// "##" comment.
func (p *fileParser) getDoc() (*Doc, error) {
	if p.str != "##" {
		if err := p.d.tolerable(p.errorf("junk after '##' at start of documentation comment")); err != nil {
			return nil, err
		}
	}
	info := p.lineInfo()
	p.docCutShort = false
	line, ok, err := p.nextDocLine()
	if err != nil {
		return nil, err
	}

	var doc *Doc
	if ok && strings.HasPrefix(line, "@") {
		doc, err = p.getDefinitionDoc(info, line)
	} else {
		doc, err = p.getFreeformDoc(info, line, ok)
	}
	if err != nil {
		return nil, err
	}
	if !p.docCutShort {
		if err := p.next(); err != nil {
			return nil, err
		}
	}
	if err := doc.end(); err != nil {
		return nil, err
	}
	return doc, nil
}

// getFreeformDoc reads a free-form doc comment whose first line is line
// (ok false: the block ended already).
func (p *fileParser) getFreeformDoc(info *SourceInfo, line string, ok bool) (*Doc, error) {
	doc := newDoc(info, "", p.d, &p.docArena)
	doc.ensureUntaggedSection(p.lineInfo)
	for ok {
		if name, _, isArg := matchAtNameColon(line); isArg {
			err := p.d.tolerable(p.errorf("'@%s:' not allowed in free-form documentation", name))
			if err != nil {
				return nil, err
			}
		}
		doc.appendLine(line)
		var err error
		if line, ok, err = p.nextDocLine(); err != nil {
			return nil, err
		}
	}
	return doc, nil
}

// getDefinitionDoc reads a definition doc comment whose first line,
// "@SYMBOL:", is line.
func (p *fileParser) getDefinitionDoc(info *SourceInfo, line string) (*Doc, error) {
	var symbol string
	if strings.HasSuffix(line, ":") {
		symbol = line[1 : len(line)-1]
	} else {
		if err := p.d.tolerable(p.errorf("line should end with ':'")); err != nil {
			return nil, err
		}
		symbol = line[1:]
	}
	if symbol == "" {
		// Lenient: the block is kept, as if free-form.
		if err := p.d.tolerable(p.errorf("name required after '@'")); err != nil {
			return nil, err
		}
	}
	doc := newDoc(info, symbol, p.d, &p.docArena)
	line, ok, err := p.nextDocLine()
	if err != nil {
		return nil, err
	}
	noMoreArgs := false
	for ok {
		for ok && line == "" {
			if line, ok, err = p.nextDocLine(); err != nil {
				return nil, err
			}
		}
		if !ok {
			break
		}
		if line == "Features:" {
			if len(doc.Features) > 0 {
				if err := p.d.tolerable(p.errorf("duplicated 'Features:' line")); err != nil {
					return nil, err
				}
			}
			if line, ok, err = p.nextDocLine(); err != nil {
				return nil, err
			}
			for ok && line == "" {
				if line, ok, err = p.nextDocLine(); err != nil {
					return nil, err
				}
			}
			if line, ok, err = p.getDescriptions(doc, SectionFeature, line, ok); err != nil {
				return nil, err
			}
			if len(doc.Features) == 0 {
				if err := p.d.tolerable(p.errorf("feature descriptions expected")); err != nil {
					return nil, err
				}
			}
			noMoreArgs = true
			continue
		}
		if name, _, isArg := matchAtNameColon(line); isArg {
			if noMoreArgs {
				err := p.d.tolerable(p.errorf("description of '@%s:' follows a section", name))
				if err != nil {
					return nil, err
				}
				doc.mergeContinuations()
			}
			if line, ok, err = p.getDescriptions(doc, SectionMember, line, ok); err != nil {
				return nil, err
			}
			noMoreArgs = true
			continue
		}
		if tag, end := matchSectionTag(line); tag != "" {
			if line, ok, err = p.getTaggedSection(doc, tag, line[end:]); err != nil {
				return nil, err
			}
			noMoreArgs = true
			continue
		}
		// A plain paragraph.
		doc.ensureUntaggedSection(p.lineInfo)
		doc.appendLine(line)
		if line, ok, err = p.getDocParagraph(doc); err != nil {
			return nil, err
		}
	}
	return doc, nil
}

// getDescriptions reads a run of "@NAME: text" descriptions of kind
// Member or Feature, starting at line, and returns the line after it.
func (p *fileParser) getDescriptions(doc *Doc, kind, line string, ok bool) (string, bool, error) {
	for ok {
		name, end, isArg := matchAtNameColon(line)
		if !isArg {
			break
		}
		if err := doc.newDescription(p.lineInfo(), name, kind); err != nil {
			return "", false, err
		}
		if text := line[end:]; text != "" {
			doc.appendLine(text)
		}
		var err error
		if line, ok, err = p.getDocIndented(doc); err != nil {
			return "", false, err
		}
	}
	return line, ok, nil
}

// getTaggedSection reads a "Tag: text" section; text is what followed the
// tag on its line.
func (p *fileParser) getTaggedSection(doc *Doc, tag, text string) (string, bool, error) {
	var msg string
	switch {
	case strings.Contains(tag, "Note"):
		msg = "The '" + tag + "' section is no longer supported. Please use rST's " +
			"'.. note::' or '.. admonition:: notes' directives, or another " +
			"suitable admonition instead."
	case strings.Contains(tag, "Example"):
		msg = "The '" + tag + "' section is no longer supported. Please use the " +
			"'.. qmp-example::' directive, or other suitable markup instead."
	}
	if msg != "" {
		if err := p.d.tolerable(p.errorf("%s", msg)); err != nil {
			return "", false, err
		}
		return p.getLegacySection(doc, tag, text)
	}
	kind := SectionTodo
	if tag != "TODO" {
		kind = tag // "Returns", "Errors", "Since" are their kinds' names
	}
	if err := doc.newTaggedSection(p.lineInfo(), kind, ""); err != nil {
		return "", false, err
	}
	if text != "" {
		doc.appendLine(text)
	}
	return p.getDocIndented(doc)
}

// getLegacySection (lenient mode only) reads a section QEMU before 9.2
// allowed: everything up to the next section start is its text, and the
// lines of an example are not held to the line format rules.
func (p *fileParser) getLegacySection(doc *Doc, tag, text string) (string, bool, error) {
	if err := doc.newTaggedSection(p.lineInfo(), SectionPlain, tag); err != nil {
		return "", false, err
	}
	if text != "" {
		doc.appendLine(text)
	}
	p.legacyLiteral = strings.Contains(tag, "Example")
	defer func() { p.legacyLiteral = false }()
	for {
		line, ok, err := p.nextDocLine()
		if err != nil || !ok || isSectionStart(line) {
			return line, ok, err
		}
		doc.appendLine(line)
	}
}

// getDocIndented reads the rest of a description or tagged section: blank
// lines, then lines indented at least as much as the first non-blank one.
// It returns the first line that is not part of the section.
func (p *fileParser) getDocIndented(doc *Doc) (string, bool, error) {
	line, ok, err := p.nextDocLine()
	for err == nil && ok && line == "" {
		doc.appendLine(line)
		line, ok, err = p.nextDocLine()
	}
	if err != nil || !ok {
		return line, ok, err
	}
	indent := leadingSpace(line)
	if indent == 0 {
		return line, ok, nil
	}
	doc.appendLine(line)
	// The reference sets its "previous line was blank" flag after every
	// line, so only the line right after the first is held to the
	// indentation; we do the same.
	prevBlank := false
	for {
		if line, ok, err = p.nextDocLine(); err != nil || !ok {
			return line, ok, err
		}
		if _, _, isArg := matchAtNameColon(line); isArg {
			return line, ok, nil
		}
		if line != "" && leadingSpace(line) < indent {
			if prevBlank {
				return line, ok, nil
			}
			// Lenient: the line is taken as part of the section.
			err := p.d.tolerable(p.errorf("unexpected de-indent (expected at least %d spaces)", indent))
			if err != nil {
				return "", false, err
			}
		}
		doc.appendLine(line)
		prevBlank = true
	}
}

// getDocParagraph appends lines up to a blank line or the block's end.
func (p *fileParser) getDocParagraph(doc *Doc) (string, bool, error) {
	for {
		line, ok, err := p.nextDocLine()
		if err != nil || !ok || line == "" {
			return line, ok, err
		}
		doc.appendLine(line)
	}
}

// nextDocLine moves to the next comment line of a doc block and returns
// its text (ok false at the block's closing "##").
func (p *fileParser) nextDocLine() (string, bool, error) {
	if err := p.accept(false); err != nil {
		return "", false, err
	}
	return p.docLine()
}

// docLine returns the text of the current comment line of a doc block
// without its "# " and trailing white space, or ok false at the closing
// "##". It also tracks literal blocks, whose lines are exempt from the
// line format rules.
func (p *fileParser) docLine() (line string, ok bool, err error) {
	if p.tok != tokComment {
		if err := p.d.tolerable(p.errorf("documentation comment must end with '##'")); err != nil {
			return "", false, err
		}
		// Lenient: the block ends here, and the token is not consumed.
		p.docCutShort = true
		p.literalMode = false
		return "", false, nil
	}
	val := p.str
	if strings.HasPrefix(val, "##") {
		if val != "##" {
			if err := p.d.tolerable(p.errorf("junk after '##' at end of documentation comment")); err != nil {
				return "", false, err
			}
		}
		p.literalMode = false
		return "", false, nil
	}
	if val == "#" {
		return "", true, nil
	}
	if val[1] != ' ' {
		if err := p.d.tolerable(p.errorf("missing space after #")); err != nil {
			return "", false, err
		}
		line = trimRightPySpace(val[1:])
	} else {
		line = trimRightPySpace(val[2:])
	}

	if isLiteralStart(line) {
		p.literalMode = true
		p.literalIndent = 0
	} else if p.literalMode && line != "" {
		indent := leadingSpace(line)
		if p.literalIndent == 0 {
			p.literalIndent = indent
		} else if indent < p.literalIndent {
			p.literalMode = false
		}
	}
	if !p.literalMode && !p.legacyLiteral {
		if err := p.checkDocLineFormat(line); err != nil {
			return "", false, err
		}
	}
	return line, true, nil
}

// checkDocLineFormat holds a doc line to 70 columns (URLs excepted) and
// to two spaces between sentences.
func (p *fileParser) checkDocLineFormat(line string) error {
	if len(line)+2 > 70 && utf8.RuneCountInString(line)+2 > 70 && !isURLLine(line) {
		if err := p.d.tolerable(p.errorf("documentation line longer than 70 characters")); err != nil {
			return err
		}
	}
	if at, bad := singleSpaceAfterSentence(line); bad {
		// The column points at the space after the sentence's end,
		// counted as if the line started with "# " at its first column.
		at = utf8.RuneCountInString(line[:at])
		err := p.errorAt(p.runeOffset(p.linePos, 2+at+1),
			"Use two spaces between sentences\nIf this not the end of a sentence, please report a bug.")
		return p.d.tolerable(err)
	}
	return nil
}

// isURLLine reports whether line is a lone URL (which may be long).
func isURLLine(line string) bool {
	s := strings.TrimLeft(line, " ")
	var rest string
	var found bool
	for _, scheme := range []string{"https://", "http://", "ftp://"} {
		if rest, found = strings.CutPrefix(s, scheme); found {
			break
		}
	}
	return found && !strings.Contains(rest, " ")
}

// singleSpaceAfterSentence finds, as the reference's regular expression
// scan does, a sentence end ('.', '!' or '?') followed by a single space
// and an upper-case letter, a digit or '('. "e.g. X" and an enumeration
// "1. X" at the line's start do not count. It returns the byte offset of
// the sentence-ending character.
//
// The reference scans left to right, skipping over each "e.g. X" and a
// leading enumeration as a whole. Neither can overlap another, so
// skipping them amounts to this: the scan starts after a leading
// "e.g. X" or enumeration, and a sentence end that is the '.' of an
// "e.g." (not preceded by a word character) does not count. That lets
// the loop look at sentence-end candidates only, byte by byte: everything
// it looks for is ASCII.
func singleSpaceAfterSentence(line string) (int, bool) {
	startsNext := func(i int) bool {
		if i >= len(line) {
			return false
		}
		c := line[i]
		return c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '('
	}
	// isEg reports whether "e.g. " at i is skipped as a whole.
	isEg := func(i int) bool {
		if !strings.HasPrefix(line[i:], "e.g. ") || !startsNext(i+5) {
			return false
		}
		r, _ := utf8.DecodeLastRuneInString(line[:i])
		return i == 0 || !isWordChar(r)
	}

	start := 0
	if isEg(0) {
		start = 6
	} else {
		j := 0
		for j < len(line) && line[j] == ' ' {
			j++
		}
		if j < len(line) {
			d, size := utf8.DecodeRuneInString(line[j:])
			if unicode.IsDigit(d) && strings.HasPrefix(line[j+size:], ". ") && startsNext(j+size+2) {
				start = j + size + 3
			}
		}
	}
	// isEnd reports whether line[i], a '.', '!' or '?', ends a sentence
	// followed by a single space.
	isEnd := func(i int) bool {
		if i+2 >= len(line) || line[i+1] != ' ' || !startsNext(i+2) {
			return false
		}
		return line[i] != '.' || i-3 < start || !isEg(i-3)
	}
	rest := line[start:]
	if strings.IndexByte(rest, '!') < 0 && strings.IndexByte(rest, '?') < 0 {
		// The common case: only a '.' can end a sentence, and
		// IndexByte finds those fastest.
		for i := start; ; i++ {
			k := strings.IndexByte(line[i:], '.')
			if k < 0 {
				return 0, false
			}
			if i += k; isEnd(i) {
				return i, true
			}
		}
	}
	for i := start; i < len(line); i++ {
		if c := line[i]; (c == '.' || c == '!' || c == '?') && isEnd(i) {
			return i, true
		}
	}
	return 0, false
}

// isWordChar is what \w matches in a Python str pattern, near enough.
func isWordChar(r rune) bool {
	if r < utf8.RuneSelf {
		return r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
	}
	return unicode.IsLetter(r) || unicode.IsNumber(r)
}

// isLiteralStart reports whether line opens a literal block: "::" or
// ".. qmp-example::", possibly with spaces before the "::".
func isLiteralStart(line string) bool {
	if !strings.HasSuffix(line, "::") { // both forms end so: a quick no
		return false
	}
	if strings.TrimLeft(line, " ") == "::" {
		return true
	}
	rest, ok := strings.CutPrefix(line, "..")
	if !ok || !strings.HasPrefix(rest, " ") {
		return false
	}
	rest, ok = strings.CutPrefix(strings.TrimLeft(rest, " "), "qmp-example")
	return ok && strings.TrimLeft(rest, " ") == "::"
}

// trimRightPySpace is strings.TrimRightFunc(s, pyIsSpace), with ASCII
// decided without decoding.
func trimRightPySpace(s string) string {
	for len(s) > 0 {
		c := s[len(s)-1]
		if c < utf8.RuneSelf {
			if c != ' ' && (c < '\t' || c > '\r') && (c < 0x1c || c > 0x1f) {
				break
			}
			s = s[:len(s)-1]
			continue
		}
		r, size := utf8.DecodeLastRuneInString(s)
		if !pyIsSpace(r) {
			break
		}
		s = s[:len(s)-size]
	}
	return s
}

// leadingSpace counts the white space code points line starts with.
func leadingSpace(line string) int {
	n := 0
	for n < len(line) && line[n] == ' ' { // the common case, without decoding
		n++
	}
	if n == len(line) || line[n] < utf8.RuneSelf && !pyIsSpace(rune(line[n])) {
		return n
	}
	for _, r := range line[n:] {
		if !pyIsSpace(r) {
			break
		}
		n++
	}
	return n
}

// matchAtNameColon matches "@NAME:" and the spaces after it at the start
// of line; end is the byte offset of the text after them.
func matchAtNameColon(line string) (name string, end int, ok bool) {
	if !strings.HasPrefix(line, "@") {
		return "", 0, false
	}
	i := strings.IndexByte(line, ':')
	if i < 0 {
		return "", 0, false
	}
	end = i + 1
	for end < len(line) && line[end] == ' ' {
		end++
	}
	return line[1:i], end, true
}

// sectionTags are the tags that start a section, longest first where one
// is a prefix of another.
var sectionTags = []string{"Returns", "Errors", "Since", "Notes", "Note", "Examples", "Example", "TODO"}

// matchSectionTag matches "Tag:" (but not "Tag::", which is rST markup)
// and the spaces after it at the start of line. It returns the tag and
// the byte offset of the text after the spaces, or "" when line starts
// no tagged section.
func matchSectionTag(line string) (tag string, end int) {
	for _, t := range sectionTags {
		rest, ok := strings.CutPrefix(line, t)
		if !ok || strings.HasPrefix(rest, "::") || !strings.HasPrefix(rest, ":") {
			continue
		}
		end = len(t) + 1
		for end < len(line) && line[end] == ' ' {
			end++
		}
		return t, end
	}
	return "", 0
}

// isSectionStart reports whether line starts a new section of a
// definition doc.
func isSectionStart(line string) bool {
	if line == "Features:" {
		return true
	}
	if _, _, ok := matchAtNameColon(line); ok {
		return true
	}
	tag, _ := matchSectionTag(line)
	return tag != ""
}
