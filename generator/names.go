package generator

import (
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

// memberField is the Go field name of an object member.
func memberField(m *parser.ObjectMember) string { return camel(m.Name) }

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
