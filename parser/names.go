package parser

import "strings"

// Naming rules of the QAPI language (stage 2) and the C-name mapping the
// clash checks of stage 3 are defined in terms of.
//
// Schema strings are printable ASCII (the lexer rejects everything
// else), so all of this works on bytes.

func isLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isUpper(c byte) bool  { return c >= 'A' && c <= 'Z' }
func isLower(c byte) bool  { return c >= 'a' && c <= 'z' }
func isAlnum(c byte) bool  { return isLetter(c) || isDigit(c) }

// isCReserved reports whether s is one of the words CName protects by
// prefixing "q_": C, C++ and GCC keywords and identifiers commonly
// #defined by system headers.
func isCReserved(s string) bool {
	switch s {
	case "auto", "break", "case", "char", "const", "continue", "default",
		"do", "double", "else", "enum", "extern", "float", "for", "goto",
		"if", "int", "long", "register", "return", "short", "signed",
		"sizeof", "static", "struct", "switch", "typedef", "union",
		"unsigned", "void", "volatile", "while",
		"inline", "restrict", "_Bool", "_Complex", "_Imaginary",
		"_Alignas", "_Alignof", "_Atomic", "_Generic", "_Noreturn",
		"_Static_assert", "_Thread_local",
		"asm", "typeof",
		"bool", "catch", "class", "const_cast", "delete", "dynamic_cast",
		"explicit", "false", "friend", "mutable", "namespace", "new",
		"operator", "private", "protected", "public", "reinterpret_cast",
		"static_cast", "template", "this", "throw", "true", "try", "typeid",
		"typename", "using", "virtual", "wchar_t",
		"and", "and_eq", "bitand", "bitor", "compl", "not", "not_eq", "or",
		"or_eq", "xor", "xor_eq",
		"unix", "errno", "mips", "sparc", "i386", "linux":
		return true
	}
	return false
}

// CName maps a QAPI name to the C identifier QEMU derives from it: every
// character other than an ASCII letter, digit or '_' becomes '_'. With
// protect, C/C++ keywords, a few polluted identifiers and names starting
// with a digit get a "q_" prefix. Member clashes are detected on CName.
func CName(name string, protect bool) string {
	var out string
	clean := true
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !isAlnum(c) && c != '_' {
			clean = false
			break
		}
	}
	if clean {
		out = name
	} else {
		b := []byte(name)
		for i, c := range b {
			if !isAlnum(c) && c != '_' {
				b[i] = '_'
			}
		}
		out = string(b)
	}
	if protect && (isCReserved(out) || out != "" && isDigit(out[0])) {
		return "q_" + out
	}
	return out
}

// nameStem matches name against the QAPI name grammar
//
//	[ '__' RFQDN '_' ] [ 'x-' ] letter { letter | digit | '-' | '_' }
//
// (letters of either case, RFQDN made of letters, digits, '.' and '-')
// and returns the part after the prefixes. ok is false when name does
// not match.
func nameStem(name string) (stem string, ok bool) {
	rest := name
	if strings.HasPrefix(rest, "__") {
		i := 2
		for i < len(rest) && (isAlnum(rest[i]) || rest[i] == '.' || rest[i] == '-') {
			i++
		}
		if i == 2 || i >= len(rest) || rest[i] != '_' {
			return "", false
		}
		rest = rest[i+1:]
	}
	if len(rest) > 2 && (rest[0] == 'x' || rest[0] == 'X') && rest[1] == '-' && validStem(rest[2:]) {
		return rest[2:], true
	}
	if validStem(rest) {
		return rest, true
	}
	return "", false
}

func validStem(s string) bool {
	if s == "" || !isLetter(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !isAlnum(c) && c != '-' && c != '_' {
			return false
		}
	}
	return true
}

// checkNameStr checks that name is a valid QAPI name outside the reserved
// q_ namespace and returns its stem.
func checkNameStr(name string, info *SourceInfo, source srcDesc) (string, error) {
	stem, ok := nameStem(name)
	if !ok || cNameHasPrefixQ(name) {
		return "", semErrorf(info, "%s has an invalid name", source)
	}
	return stem, nil
}

// checkNameUpper: event names (no lowercase, no '-').
func checkNameUpper(name string, info *SourceInfo, source srcDesc) error {
	stem, err := checkNameStr(name, info, source)
	if err != nil {
		return err
	}
	for i := 0; i < len(stem); i++ {
		if isLower(stem[i]) || stem[i] == '-' {
			return semErrorf(info, "name of %s must not use lowercase or '-'", source)
		}
	}
	return nil
}

// checkNameLowerKind checks command and member names (no uppercase, no
// '_', unless permitted). style reports that the name is valid but
// breaks the lower-case style, which lenient mode tolerates for members.
func checkNameLowerKind(name string, info *SourceInfo, source srcDesc, permitUpper, permitUnderscore bool) (err error, style bool) {
	stem, err := checkNameStr(name, info, source)
	if err != nil {
		return err, false
	}
	for i := 0; i < len(stem); i++ {
		if !permitUpper && isUpper(stem[i]) || !permitUnderscore && stem[i] == '_' {
			return semErrorf(info, "name of %s must not use uppercase or '_'", source), true
		}
	}
	return nil, false
}

func checkNameLower(name string, info *SourceInfo, source srcDesc, permitUpper, permitUnderscore bool) error {
	err, _ := checkNameLowerKind(name, info, source, permitUpper, permitUnderscore)
	return err
}

// checkMemberNameLower is checkNameLower for member names: in lenient
// mode a style violation is a warning.
func checkMemberNameLower(d *diag, name string, info *SourceInfo, source srcDesc, permissive bool) error {
	err, style := checkNameLowerKind(name, info, source, permissive, permissive)
	if style {
		return d.tolerable(err.(*Error))
	}
	return err
}

// checkNameCamel: type names must be CamelCase.
func checkNameCamel(name string, info *SourceInfo, source srcDesc) error {
	stem, err := checkNameStr(name, info, source)
	if err != nil {
		return err
	}
	if !isCamel(stem) {
		return semErrorf(info, "name of %s must use CamelCase", source)
	}
	return nil
}

// isCamel: an upper-case letter, then letters and digits including at
// least one lower-case letter.
func isCamel(s string) bool {
	if s == "" || !isUpper(s[0]) {
		return false
	}
	lower := false
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !isAlnum(c) {
			return false
		}
		if isLower(c) {
			lower = true
		}
	}
	return lower
}

func checkDefnNameStr(name string, info *SourceInfo, meta string) error {
	switch meta {
	case "event":
		return checkNameUpper(name, info, plain(meta))
	case "command":
		return checkNameLower(name, info, plain(meta), false, contains(info.Pragma.CommandNameExceptions, name))
	}
	if err := checkNameCamel(name, info, plain(meta)); err != nil {
		return err
	}
	if strings.HasSuffix(name, "List") {
		return semErrorf(info, "%s name should not end in 'List'", meta)
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// srcDesc describes what a message is about ("'data' member 'foo'",
// "'if' condition of struct"). It is formatted only when a message is
// built, so that checking allocates nothing for it.
type srcDesc struct {
	pre   string // e.g. "'if' condition of "
	what  string // e.g. "'data'", "struct", "'features' member"
	name  string // member name, with named
	named bool
}

func plain(what string) srcDesc { return srcDesc{what: what} }

func memberSrc(what, name string) srcDesc { return srcDesc{what: what, name: name, named: true} }

func (s srcDesc) String() string {
	if s.named {
		return s.pre + s.what + " member '" + s.name + "'"
	}
	return s.pre + s.what
}

// cNameHasPrefixQ reports whether CName(name, false) starts with "q_".
func cNameHasPrefixQ(name string) bool {
	return len(name) >= 2 && name[0] == 'q' && !isAlnum(name[1])
}

// cNameReserved reports whether CName(name, false) is "u" or starts with
// "has_": names C code generated for a struct would clash with.
func cNameReserved(name string) bool {
	return name == "u" || len(name) >= 4 && name[:3] == "has" && !isAlnum(name[3])
}
