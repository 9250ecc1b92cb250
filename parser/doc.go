package parser

import (
	"slices"
	"strings"
	"sync"
)

// Doc comments: the reference's QAPIDoc.
//
// Stage 1 (doc_parse.go) builds a Doc from a "##" block. Stage 3 binds it
// to the definition it documents, in the reference's order:
//
//	doc.ConnectMember(m)    for every member, enum value, branch or
//	                        alternative (m is *ObjectMember, *EnumMember or
//	                        *Variant: the role printed in "lacks
//	                        documentation" errors follows from the type:
//	                        "member", "value", "branch")
//	doc.ConnectFeature(f)   for every feature of the definition or of a
//	                        member
//	doc.EnsureReturns(info) for a command with a return type (info: the
//	                        command's)
//	doc.CheckExpr(expr)     in the expression checks (stage 2)
//	doc.Check()             once everything is connected
//
// Each returns the reference's error where it raises one; in lenient mode
// (the mode the Doc was read in) the problem becomes a warning instead,
// nil is returned, and the Doc is patched up as described at each method.

// Section kinds, as the reference prints them.
const (
	SectionPlain   = "Plain"
	SectionMember  = "Member"
	SectionFeature = "Feature"
	SectionReturns = "Returns"
	SectionErrors  = "Errors"
	SectionSince   = "Since"
	SectionTodo    = "Todo"
)

// Doc is a parsed doc comment ("##" block), as the reference's QAPIDoc:
// a free-form block (Symbol == "") or a definition's documentation.
type Doc struct {
	Info   *SourceInfo
	Symbol string // "" for a free-form block

	// Body is the untagged text before the first tagged section/argument
	// in the reference's sense (printed as "body=").
	Body *DocSection
	// Args and Features keep the reference's insertion order (stub
	// sections for undocumented members are appended by ConnectMember).
	Args     []*DocSection
	Features []*DocSection
	// Sections are the remaining sections in order (plain text, Since,
	// Returns, Errors, TODO).
	Sections []*DocSection
	// AllSections is every section (body included) in textual order: what
	// a renderer wants. Stubs inserted by ConnectMember and EnsureReturns
	// appear here too.
	AllSections []*DocSection

	// Returns, Errors and Since are the command's 'Returns:' and
	// 'Errors:' sections and the 'Since:' section, nil when absent. (A
	// stub made by EnsureReturns is not recorded here, as in the
	// reference.)
	Returns *DocSection
	Errors  *DocSection
	Since   *DocSection

	d *diag // mode and warnings of the read that made the Doc

	// arena is where the block's text and sections come from while it
	// is being read (nil afterwards).
	arena *docArena

	// Indexes of Args and Features by name (built lazily).
	argIndex, featureIndex sectionIndex
}

// sectionIndex indexes the first n sections of a list by name. It is
// built lazily by readers, and a Doc is read concurrently (the generator
// renders files in parallel), so the mutex guards it.
type sectionIndex struct {
	mu     sync.Mutex
	byName map[string]*DocSection
	n      int
}

// DocSection is one section of a doc comment.
type DocSection struct {
	Info *SourceInfo
	// Kind is the reference's section kind as printed in the dump:
	// "Plain", "Member", "Feature", "Returns", "Errors", "Since", "Todo".
	Kind string
	Name string // member or feature name for Member/Feature sections
	Text string
	// Member is set by binding: the IR member this section describes
	// (*ObjectMember, *EnumMember, *Variant or *Feature), nil if none.
	Member any
	// Tag is set only in lenient mode, for a section tagged the way QEMU
	// before 9.2 allowed and 10.2 rejects ("Note", "Notes", "Example",
	// "Examples"): the tag as written. Such a section has Kind "Plain"
	// and Text is what followed the tag.
	Tag string

	start int // offset of the section's text in docArena.buf while reading
}

// docArena is memory the reading of doc comments reuses, one block after
// the other, or hands out in batches.
type docArena struct {
	// buf holds the text of all sections of the block being read: text
	// is only ever appended to the last section, so each section's text
	// is buf from its start to the next section's start. Doc.end() makes
	// one string of it, of which every section's Text is a substring.
	buf []byte
	// Batches to hand out Docs, DocSections and the first room of
	// section lists from: one allocation serves many.
	docs     []Doc
	sections []DocSection
	lists    []*DocSection
}

// sectionList returns an empty section list with room for n sections,
// carved from a batch (an append beyond n reallocates as usual).
func (a *docArena) sectionList(n int) []*DocSection {
	if len(a.lists) < n {
		a.lists = make([]*DocSection, 256)
	}
	l := a.lists[:0:n]
	a.lists = a.lists[n:]
	return l
}

// newDoc starts a doc comment at info; symbol "" makes a free-form one.
func newDoc(info *SourceInfo, symbol string, d *diag, arena *docArena) *Doc {
	arena.buf = arena.buf[:0]
	if len(arena.docs) == 0 {
		arena.docs = make([]Doc, 16)
	}
	doc := &arena.docs[0]
	arena.docs = arena.docs[1:]
	doc.Info, doc.Symbol, doc.d, doc.arena = info, symbol, d, arena
	// Room for the sections of most docs.
	doc.AllSections = arena.sectionList(8)
	doc.Body = doc.addSection(info, SectionPlain, "", "")
	return doc
}

// appendSection appends s to list, one of the section lists of the doc
// being read, whose first room comes from the arena.
func (doc *Doc) appendSection(list []*DocSection, s *DocSection) []*DocSection {
	if cap(list) == 0 {
		list = doc.arena.sectionList(4)
	}
	return append(list, s)
}

// addSection appends a section that starts at the current end of the
// text, and returns it. (Its fields are set one by one: copying a whole
// DocSection into the batch would cost a bulk write barrier.)
func (doc *Doc) addSection(info *SourceInfo, kind, name, tag string) *DocSection {
	a := doc.arena
	if len(a.sections) == 0 {
		a.sections = make([]DocSection, 32)
	}
	s := &a.sections[0]
	a.sections = a.sections[1:]
	s.Info, s.Kind, s.Name, s.Tag = info, kind, name, tag
	s.start = len(a.buf)
	doc.AllSections = append(doc.AllSections, s)
	return s
}

// problem passes a doc problem through the mode's tolerance.
func (doc *Doc) problem(err *Error) error {
	if doc.d == nil {
		return err
	}
	return doc.d.tolerable(err)
}

// Arg returns the section describing member name, or nil.
func (doc *Doc) Arg(name string) *DocSection { return findSection(&doc.argIndex, doc.Args, name) }

// WithArg returns a copy of doc whose Args end with s: for a tool that
// assembles docs (generator.Merge documents a member only older releases
// have with what they wrote). doc is not changed; a nil doc gives a Doc
// with only s.
func (doc *Doc) WithArg(s *DocSection) *Doc {
	var c Doc
	if doc != nil {
		c = Doc{Info: doc.Info, Symbol: doc.Symbol, Body: doc.Body, Args: doc.Args, Features: doc.Features,
			Sections: doc.Sections, AllSections: doc.AllSections, Returns: doc.Returns, Errors: doc.Errors, Since: doc.Since, d: doc.d}
	}
	c.Args = append(c.Args[:len(c.Args):len(c.Args)], s)
	return &c
}

// Feature returns the section describing feature name, or nil.
func (doc *Doc) Feature(name string) *DocSection {
	return findSection(&doc.featureIndex, doc.Features, name)
}

// findSection looks name up in list through index, which it brings up to
// date first (lists only grow at their end; the first section of a name
// wins). Short lists, most of them, are searched without an index: up to
// a few dozen names, comparing is cheaper than building and hashing.
func findSection(index *sectionIndex, list []*DocSection, name string) *DocSection {
	if len(list) <= 32 {
		for _, s := range list {
			if s.Name == name {
				return s
			}
		}
		return nil
	}
	index.mu.Lock()
	defer index.mu.Unlock()
	if index.byName == nil || index.n > len(list) {
		index.byName, index.n = map[string]*DocSection{}, 0
	}
	for ; index.n < len(list); index.n++ {
		s := list[index.n]
		if _, dup := index.byName[s.Name]; !dup {
			index.byName[s.Name] = s
		}
	}
	return index.byName[name]
}

// end finishes a doc comment: section texts lose their leading and
// trailing newlines, and a tagged section must have text.
func (doc *Doc) end() error {
	text := string(doc.arena.buf)
	doc.arena = nil
	for i, s := range doc.AllSections {
		end := len(text)
		if i+1 < len(doc.AllSections) {
			end = doc.AllSections[i+1].start
		}
		s.Text = strings.Trim(text[s.start:end], "\n")
		if s.Kind != SectionPlain && s.Text == "" {
			if err := doc.problem(semErrorf(s.Info, "text required after '%s:'", s.Kind)); err != nil {
				return err
			}
		}
	}
	return nil
}

// ensureUntaggedSection makes the last section a plain one, extending the
// current plain section by a paragraph break or starting a new one. The
// location of the new text is asked of info only if needed: making one
// costs an allocation, and mostly it is not.
func (doc *Doc) ensureUntaggedSection(info func() *SourceInfo) {
	if last := doc.AllSections[len(doc.AllSections)-1]; last.Kind == SectionPlain && last.Tag == "" {
		if len(doc.arena.buf) == last.start {
			last.Info = info()
		}
		doc.arena.buf = append(doc.arena.buf, '\n')
		return
	}
	s := doc.addSection(info(), SectionPlain, "", "")
	doc.Sections = doc.appendSection(doc.Sections, s)
}

// newTaggedSection starts a Returns, Errors, Since or Todo section (or,
// in lenient mode, a legacy tagged section of kind Plain with tag).
func (doc *Doc) newTaggedSection(info *SourceInfo, kind, tag string) error {
	s := doc.addSection(info, kind, "", tag)
	var slot **DocSection
	switch kind {
	case SectionReturns:
		slot = &doc.Returns
	case SectionErrors:
		slot = &doc.Errors
	case SectionSince:
		slot = &doc.Since
	}
	if slot != nil {
		if *slot != nil {
			if err := doc.problem(semErrorf(info, "duplicated '%s' section", kind)); err != nil {
				return err
			}
		} else {
			*slot = s
		}
	}
	doc.Sections = doc.appendSection(doc.Sections, s)
	return nil
}

// newDescription starts the description of a member (kind Member) or a
// feature (kind Feature). In lenient mode an empty or repeated name still
// gets its section (so that its text lands somewhere) but is not
// registered.
func (doc *Doc) newDescription(info *SourceInfo, name, kind string) error {
	list, index := &doc.Args, &doc.argIndex
	if kind == SectionFeature {
		list, index = &doc.Features, &doc.featureIndex
	}
	s := doc.addSection(info, kind, name, "")
	register := true
	if name == "" {
		if err := doc.problem(semErrorf(info, "invalid parameter name")); err != nil {
			return err
		}
		register = false
	} else if findSection(index, *list, name) != nil {
		if err := doc.problem(semErrorf(info, "'%s' parameter name duplicated", name)); err != nil {
			return err
		}
		register = false
	}
	if register {
		*list = doc.appendSection(*list, s)
	}
	return nil
}

// mergeContinuations is lenient mode's reading of a description that
// follows another section. Before QEMU 8.1 a description ran up to the
// next "@name:" line, indented or not, so when only plain paragraphs
// separate the last member or feature description from the new one, they
// are taken back into that description.
func (doc *Doc) mergeContinuations() {
	k := len(doc.AllSections) - 1
	for k > 0 && doc.AllSections[k].Kind == SectionPlain && doc.AllSections[k].Tag == "" {
		k--
	}
	if k == 0 || k == len(doc.AllSections)-1 {
		return
	}
	last := doc.AllSections[k]
	if last.Kind != SectionMember && last.Kind != SectionFeature {
		return
	}
	// The merged sections' text follows last's in the arena's buf: dropping them
	// extends last's text over theirs.
	merged := doc.AllSections[k+1:]
	doc.Sections = doc.Sections[:len(doc.Sections)-len(merged)]
	doc.AllSections = doc.AllSections[:k+1]
}

// appendLine appends a line to the last section's text.
func (doc *Doc) appendLine(line string) {
	doc.arena.buf = append(doc.arena.buf, line...)
	doc.arena.buf = append(doc.arena.buf, '\n')
}

// DocMember is a member a doc comment can describe: *ObjectMember,
// *EnumMember, *Variant (or *Feature, though features go through
// ConnectFeature).
type DocMember interface {
	docMember() *Member
}

func (m *Member) docMember() *Member { return m }

// memberRole is the reference's QAPISchemaMember.role of m.
func memberRole(m DocMember) string {
	switch m.(type) {
	case *EnumMember:
		return "value"
	case *Variant:
		return "branch"
	case *Feature:
		return "feature"
	}
	return "member"
}

// ConnectMember binds the description of m to m (DocSection.Member).
// An undocumented member is an error ("member 'x' lacks documentation",
// with the role following m's type) unless the doc's symbol is in the
// 'documentation-exceptions' pragma; either way (the error tolerated in
// lenient mode) a stub section is added to Args and inserted into
// AllSections after the leading run of member sections.
func (doc *Doc) ConnectMember(m DocMember) error {
	mem := m.docMember()
	s := doc.Arg(mem.Name)
	if s == nil {
		pragma := doc.Info.Pragma
		info := mem.Info
		if info != nil && info.Pragma != nil {
			pragma = info.Pragma
		}
		if info == nil {
			info = doc.Info
		}
		if pragma == nil || !slices.Contains(pragma.DocumentationExceptions, doc.Symbol) {
			if err := doc.problem(semErrorf(info, "%s '%s' lacks documentation", memberRole(m), mem.Name)); err != nil {
				return err
			}
		}
		s = &DocSection{Info: doc.Info, Kind: SectionMember, Name: mem.Name}
		doc.Args = append(doc.Args, s)
		// After the body and the members documented right after it. (The
		// reference runs off the end of its list, and crashes, when only
		// member sections follow the body; we append.)
		i := 1
		for i < len(doc.AllSections) && doc.AllSections[i].Kind == SectionMember {
			i++
		}
		doc.AllSections = slices.Insert(doc.AllSections, i, s)
	}
	s.Member = m
	return nil
}

// ConnectFeature binds the description of feature f to f. An
// undocumented feature is an error (a warning in lenient mode, where the
// feature then simply has no section).
func (doc *Doc) ConnectFeature(f *Feature) error {
	s := doc.Feature(f.Name)
	if s == nil {
		info := f.Info
		if info == nil {
			info = doc.Info
		}
		return doc.problem(semErrorf(info, "feature '%s' lacks documentation", f.Name))
	}
	s.Member = f
	return nil
}

// EnsureReturns inserts a stub Returns section (text "", at info) into
// AllSections of a command doc that has none: after the last member
// section, else before the last Errors section, else before the last
// feature section, else right after the body.
func (doc *Doc) EnsureReturns(info *SourceInfo) {
	for _, s := range doc.AllSections {
		if s.Kind == SectionReturns {
			return
		}
	}
	stub := &DocSection{Info: info, Kind: SectionReturns}
	near := func(kind string, after bool) bool {
		for i := len(doc.AllSections) - 1; i >= 0; i-- {
			if doc.AllSections[i].Kind == kind {
				if after {
					i++
				}
				doc.AllSections = slices.Insert(doc.AllSections, i, stub)
				return true
			}
		}
		return false
	}
	if near(SectionMember, true) || near(SectionErrors, false) || near(SectionFeature, false) {
		return
	}
	doc.AllSections = slices.Insert(doc.AllSections, 1, stub)
}

// CheckExpr checks the doc's Returns and Errors sections against the
// definition e: only commands may have them, and Returns only when the
// command returns something.
func (doc *Doc) CheckExpr(e *Expr) error {
	if e.Data.Has("command") {
		if doc.Returns != nil && !e.Data.Has("returns") {
			return doc.problem(semErrorf(doc.Returns.Info,
				"'Returns' section, but command doesn't return anything"))
		}
		return nil
	}
	if doc.Returns != nil {
		if err := doc.problem(semErrorf(doc.Returns.Info,
			"'Returns' section is only valid for commands")); err != nil {
			return err
		}
	}
	if doc.Errors != nil {
		return doc.problem(semErrorf(doc.Errors.Info,
			"'Errors' section is only valid for commands"))
	}
	return nil
}

// Check reports documented members and features that do not exist, i.e.
// whose section no Connect call bound.
func (doc *Doc) Check() error {
	check := func(list []*DocSection, what string) error {
		var bogus []string
		var first *DocSection
		for _, s := range list {
			if s.Member == nil {
				if first == nil {
					first = s
				}
				bogus = append(bogus, s.Name)
			}
		}
		if len(bogus) == 0 {
			return nil
		}
		plural, verb := "", "does"
		if len(bogus) > 1 {
			plural, verb = "s", "do"
		}
		return doc.problem(semErrorf(first.Info, "documented %s%s '%s' %s not exist",
			what, plural, strings.Join(bogus, "', '"), verb))
	}
	if err := check(doc.Args, "member"); err != nil {
		return err
	}
	return check(doc.Features, "feature")
}
