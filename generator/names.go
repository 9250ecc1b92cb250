package generator

import (
	"fmt"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/qapi-go/qapi/parser"
)

// This file is the single place where QAPI names become Go identifiers.
// The rules are described in the package documentation (doc.go).

// initialisms are the words written in upper case when they form a whole
// word of a member, command, event or enum value name. The list is Go's
// usual one (golint) plus the abbreviations QEMU's schema uses most.
var initialisms = map[string]bool{
	"acl": true, "acpi": true, "api": true, "ascii": true, "ccw": true,
	"cpu": true, "cxl": true, "dns": true, "eof": true, "fd": true,
	"guid": true, "hmp": true, "html": true, "http": true, "https": true, "id": true,
	"io": true, "iops": true, "ip": true, "json": true, "kvm": true,
	"mac": true, "nbd": true, "numa": true, "oob": true, "pci": true,
	"qmp": true, "qom": true, "ram": true, "rpc": true, "scsi": true,
	"sev": true, "smp": true, "ssh": true, "tcp": true, "tls": true,
	"tpm": true, "ttl": true, "udp": true, "ui": true, "uid": true,
	"uri": true, "url": true, "usb": true, "utf8": true, "uuid": true,
	"vcpu": true, "vfio": true, "vm": true, "vnc": true, "xml": true,
}

// splitWords splits a QAPI name on '-', '_' and '.', dropping empty
// words (so "__org.qemu_x-foo" gives org, qemu, x, foo).
func splitWords(name string) []string {
	return strings.FieldsFunc(name, func(r rune) bool { return r == '-' || r == '_' || r == '.' })
}

// camel turns a QAPI member, command, event or enum value name into an
// exported Go identifier: words split on - _ . are joined, each word
// capitalised, initialisms upper-cased, an all-upper-case word (event
// names) lower-cased first. Two words that would join digit to digit
// keep a '_' between them ("2_5" stays "2_5", not "25"). Characters
// that cannot appear in a Go identifier are dropped. A result that would
// not start with a letter gets the prefix "N" (for "number").
func camel(name string) string {
	s := words(name)
	if r, _ := utf8.DecodeRuneInString(s); !unicode.IsLetter(r) {
		s = "N" + s
	}
	return s
}

// enumConst is the constant for value of the enum whose Go type is
// typ: typ followed by the value's words, with no "N" prefix (the type
// name already starts the identifier) but a '_' when a digit would
// follow a digit (type X86, value "64" -> X86_64).
func enumConst(typ, value string) string {
	w := words(value)
	if w != "" && isDigit(w[0]) && isDigit(lastByte(typ)) {
		return typ + "_" + w
	}
	return typ + w
}

// words joins the words of name as camel describes, without the "N"
// prefix rule.
func words(name string) string {
	var b strings.Builder
	for _, w := range splitWords(name) {
		if isUpperWord(w) {
			w = strings.ToLower(w)
		}
		if initialisms[strings.ToLower(w)] {
			w = strings.ToUpper(w)
		} else {
			r, n := utf8.DecodeRuneInString(w)
			w = string(unicode.ToUpper(r)) + w[n:]
		}
		if b.Len() > 0 && isDigit(lastByte(b.String())) && isDigit(w[0]) {
			b.WriteByte('_')
		}
		for _, r := range w {
			if r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) {
				b.WriteRune(r)
			}
		}
	}
	return b.String()
}

func isUpperWord(w string) bool {
	if len(w) < 2 {
		return false
	}
	hasUpper := false
	for _, r := range w {
		if unicode.IsLower(r) {
			return false
		}
		if unicode.IsUpper(r) {
			hasUpper = true
		}
	}
	return hasUpper
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func lastByte(s string) byte { return s[len(s)-1] }

// isGoIdent reports whether s is an exported Go identifier as it stands.
func isExportedIdent(s string) bool {
	for i, r := range s {
		if i == 0 && !unicode.IsUpper(r) {
			return false
		}
		if r != '_' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			return false
		}
	}
	return s != ""
}

// typeIdent is the Go name of a named (non-implicit) QAPI type: the
// QAPI name unchanged when it is an exported Go identifier, otherwise
// (vendor names such as "__org.qemu_x-Struct") the camel form.
func typeIdent(name string) string {
	if isExportedIdent(name) {
		return name
	}
	return camel(name)
}

// Name of the field of every struct, union and event that holds the
// members the binding does not know (a codec.Members).
const unknownMembersField = "UnknownMembers"

// generatorNames are the package-level names the generator itself
// defines in CommonFile; the connection layer's are read from its
// templates (conn.go).
var generatorNames = []string{
	"CommandSpec", "EventSpec", "Commands", "Events", "DecodeEvent", "Ptr",
	// server.go
	"Server", "UnimplementedServer", "RegisterServer", "ServerEvent", "EmitEvent",
}

// eventNameMethod is the method of every event struct that returns the
// event's wire name.
const eventNameMethod = "EventName"

// names holds every Go identifier of one generated package and checks
// them for clashes.
type names struct {
	// pkg maps a package-level identifier to what claimed it.
	pkg     map[string]origin
	types   map[parser.Definition]string // Go type name of a type, args or event definition
	methods map[*parser.Command]string   // Conn method name of a command
	// noArgs names the empty arguments type of a command that takes
	// none (see Commands in the package documentation).
	noArgs map[*parser.Command]string
	// aliases lists, per type, the deprecated aliases of its old names.
	aliases map[parser.Definition][]Rename
	enumVal map[*parser.EnumMember]string
	errs    []string
}

type origin struct {
	what string
	info *parser.SourceInfo
}

func (o origin) String() string {
	if o.info == nil {
		return o.what
	}
	return o.info.Loc() + ": " + o.what
}

func (n *names) claim(scope map[string]origin, id string, o origin, in string) {
	if prev, ok := scope[id]; ok {
		n.errs = append(n.errs, fmt.Sprintf("%s: Go name %s%s clashes with %s", o, in, id, prev))
		return
	}
	scope[id] = o
}

// nameAll assigns the Go names of every definition of s and reports
// every clash.
func nameAll(s *parser.Schema, cfg Config, p Protocol) (*names, error) {
	n := &names{
		pkg:     map[string]origin{},
		types:   map[parser.Definition]string{},
		methods: map[*parser.Command]string{},
		noArgs:  map[*parser.Command]string{},
		aliases: map[parser.Definition][]Rename{},
		enumVal: map[*parser.EnumMember]string{},
	}
	for _, r := range generatorNames {
		n.pkg[r] = origin{what: "name " + r + " reserved by the generator"}
	}
	conn := map[string]origin{}
	n.claimConnLayer(p, conn)
	// What hand-written files declare: a clash among them is the Go
	// compiler's business; a clash with the generator's own names is
	// reported here, once.
	for _, d := range cfg.HandWritten {
		o := origin{what: "name " + d.Name + " declared by a hand-written file"}
		if d.Pos != "" {
			o.what = d.Pos + ": " + o.what
		}
		switch d.Recv {
		case "":
			if prev, ok := n.pkg[d.Name]; ok {
				n.errs = append(n.errs, fmt.Sprintf("%s clashes with %s", o, prev))
				continue
			}
			n.pkg[d.Name] = o
		case "Conn":
			if prev, ok := conn[d.Name]; ok {
				n.errs = append(n.errs, fmt.Sprintf("%s (a method or field of Conn) clashes with %s", o, prev))
				continue
			}
			conn[d.Name] = origin{what: o.what + " (a method or field of Conn)"}
		}
	}
	used := usedTypes(s)
	// Commands first: implicit argument types are named after them.
	for _, d := range s.Defs {
		if c, ok := d.(*parser.Command); ok {
			m := camel(c.Name)
			n.methods[c] = m
			n.claim(conn, m, origin{"method for command '" + c.Name + "'", c.Info}, "Conn.")
			if a := c.Arg; a != nil && a.IsImplicit() && c.Gen {
				n.types[a] = argsTypeName(c)
				n.claim(n.pkg, argsTypeName(c), origin{"arguments of command '" + c.Name + "'", c.Info}, "")
			} else if c.Arg == nil && c.Gen {
				n.noArgs[c] = argsTypeName(c)
				n.claim(n.pkg, argsTypeName(c), origin{"arguments type of command '" + c.Name + "' (which takes none)", c.Info}, "")
			}
		}
	}
	for _, d := range s.Defs {
		switch d := d.(type) {
		case *parser.Event:
			id := camel(d.Name) + "Event"
			n.types[d] = id
			if a := d.Arg; a != nil && a.IsImplicit() {
				n.types[a] = id
			}
			n.claim(n.pkg, id, origin{"event '" + d.Name + "'", d.Info}, "")
		case *parser.EnumType:
			if d.Module.IsBuiltin() && !used[d] {
				continue // QType, unless the schema uses it
			}
			id := typeIdent(d.Name)
			n.types[d] = id
			n.claim(n.pkg, id, origin{"enum '" + d.Name + "'", d.Info}, "")
			for _, m := range d.Members {
				c := enumConst(id, m.Name)
				n.enumVal[m] = c
				n.claim(n.pkg, c, origin{"value '" + m.Name + "' of enum '" + d.Name + "'", m.Info}, "")
			}
		case *parser.ObjectType:
			if d.IsImplicit() {
				continue // named by their owner (or inlined)
			}
			id := typeIdent(d.Name)
			n.types[d] = id
			n.claim(n.pkg, id, origin{d.Meta() + " '" + d.Name + "'", d.Info}, "")
		case *parser.AlternateType:
			id := typeIdent(d.Name)
			n.types[d] = id
			n.claim(n.pkg, id, origin{"alternate '" + d.Name + "'", d.Info}, "")
		}
	}
	n.nameAliases(s, cfg.Range)
	if len(n.errs) > 0 {
		sort.Strings(n.errs)
		return nil, fmt.Errorf("%s", strings.Join(n.errs, "\n"))
	}
	return n, nil
}

// nameAliases claims the old names of renamed types (and of their enum
// constants) that r records, for the types s keeps.
func (n *names) nameAliases(s *parser.Schema, r *Range) {
	if r == nil {
		return
	}
	for _, rn := range r.Renames {
		d := s.Lookup(rn.New)
		if d == nil || n.types[d] != rn.NewGo {
			continue // not generated (a subset), or not under that name
		}
		n.aliases[d] = append(n.aliases[d], rn)
		what := "deprecated alias " + rn.OldGo + " of renamed " + d.Meta() + " '" + rn.New + "'"
		n.claim(n.pkg, rn.OldGo, origin{what, d.Common().Info}, "")
		if e, ok := d.(*parser.EnumType); ok {
			for _, v := range rn.oldValues {
				if enumMember(e, v) != nil {
					n.claim(n.pkg, enumConst(rn.OldGo, v), origin{"value '" + v + "' of " + what, d.Common().Info}, "")
				}
			}
		}
	}
}

// fieldScope checks the field and method names of one Go struct type.
type fieldScope struct {
	fg    *fileGen
	owner string
	ids   map[string]origin
}

func (fg *fileGen) newFieldScope(owner string, methods ...string) *fieldScope {
	f := &fieldScope{fg: fg, owner: owner, ids: map[string]origin{}}
	for _, m := range methods {
		f.ids[m] = origin{what: "method " + owner + "." + m}
	}
	return f
}

// add claims field or method id of the scope's type and returns it.
func (f *fieldScope) add(id string, o origin) string {
	if prev, ok := f.ids[id]; ok {
		f.fg.errs = append(f.fg.errs, fmt.Sprintf("%s: Go name %s.%s clashes with %s", o, f.owner, id, prev))
		return id
	}
	f.ids[id] = o
	return id
}

// argsTypeName is the Go type of a command's inline arguments (or of
// the empty arguments of one that takes none): NameArgs.
func argsTypeName(c *parser.Command) string { return camel(c.Name) + "Args" }

// memberField is the Go field name of an object member.
func memberField(m *parser.ObjectMember) string { return camel(m.Name) }

// branchField is the Go field name of a union branch or alternative.
func branchField(v *parser.Variant) string { return camel(v.Name) }

// fileName is the Go file name for a schema module: the module path with
// "/" and "-" turned into "_", lower case, ".json" dropped; a result
// whose last words Go's build would read as a GOOS/GOARCH or _test
// suffix gets "_qapi" appended ("misc-arm.json" -> misc_arm_qapi.go).
func fileName(module string) string {
	m := strings.TrimSuffix(module, ".json")
	m = strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			return r
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return '_'
	}, m)
	m = strings.Trim(m, "_")
	if m == "" {
		m = "schema"
	}
	parts := strings.Split(m, "_")
	last := parts[len(parts)-1]
	if last == "test" || knownOS[last] || knownArch[last] {
		m += "_qapi"
	}
	return m + ".go"
}

var knownOS = map[string]bool{
	"aix": true, "android": true, "darwin": true, "dragonfly": true, "freebsd": true,
	"hurd": true, "illumos": true, "ios": true, "js": true, "linux": true, "nacl": true,
	"netbsd": true, "openbsd": true, "plan9": true, "solaris": true, "wasip1": true,
	"windows": true, "zos": true,
}

var knownArch = map[string]bool{
	"386": true, "amd64": true, "amd64p32": true, "arm": true, "armbe": true, "arm64": true,
	"arm64be": true, "loong64": true, "mips": true, "mipsle": true, "mips64": true,
	"mips64le": true, "mips64p32": true, "mips64p32le": true, "ppc": true, "ppc64": true,
	"ppc64le": true, "riscv": true, "riscv64": true, "s390": true, "s390x": true,
	"sparc": true, "sparc64": true, "wasm": true,
}

// usedTypes is the set of types the schema's definitions refer to (the
// implicit tag of alternates excepted).
func usedTypes(s *parser.Schema) map[parser.Type]bool {
	used := map[parser.Type]bool{}
	add := func(t parser.Type) {
		if a, ok := t.(*parser.ArrayType); ok {
			t = a.Element
		}
		if t != nil {
			used[t] = true
		}
	}
	for _, d := range s.Defs {
		switch d := d.(type) {
		case *parser.ObjectType:
			for _, m := range d.Members {
				add(m.Type)
			}
			if d.Branches != nil {
				for _, v := range d.Branches.Variants {
					add(v.Type)
				}
			}
		case *parser.AlternateType:
			for _, v := range d.Alternatives.Variants {
				add(v.Type)
			}
		case *parser.ArrayType:
			add(d.Element)
		case *parser.Command:
			if d.Arg != nil {
				add(d.Arg)
			}
			add(d.Ret)
		case *parser.Event:
			if d.Arg != nil {
				add(d.Arg)
			}
		}
	}
	return used
}
