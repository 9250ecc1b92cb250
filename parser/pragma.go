package parser

// pragma applies one member of a 'pragma' directive to the Pragma shared
// by the include tree. Lenient mode also takes the names QEMU used before
// 6.0 ('returns-whitelist', 'name-case-whitelist'), with a warning.
func (d *diag) pragma(name string, value any, info *SourceInfo) error {
	strList := func(name string) ([]string, error) {
		list, ok := value.([]any)
		if !ok {
			return nil, semErrorf(info, "pragma %s must be a list of strings", name)
		}
		out := make([]string, 0, len(list))
		for _, elt := range list {
			s, ok := elt.(string)
			if !ok {
				return nil, semErrorf(info, "pragma %s must be a list of strings", name)
			}
			out = append(out, s)
		}
		return out, nil
	}

	pragma := info.Pragma
	var err error
	switch name {
	case "doc-required":
		b, ok := value.(bool)
		if !ok {
			return semErrorf(info, "pragma 'doc-required' must be boolean")
		}
		pragma.DocRequired = b
	case "command-name-exceptions":
		pragma.CommandNameExceptions, err = strList(name)
	case "command-returns-exceptions":
		pragma.CommandReturnsExceptions, err = strList(name)
	case "documentation-exceptions":
		pragma.DocumentationExceptions, err = strList(name)
	case "member-name-exceptions":
		pragma.MemberNameExceptions, err = strList(name)
	default:
		legacy, ok := legacyPragmas[name]
		if !ok || d.mode != Lenient {
			return semErrorf(info, "unknown pragma '%s'", name)
		}
		d.warnings = append(d.warnings,
			semErrorf(info, "legacy pragma '%s' taken as '%s'", name, legacy))
		return d.pragma(legacy, value, info)
	}
	return err
}

// legacyPragmas maps pragma names of QEMU before 6.0 to today's.
var legacyPragmas = map[string]string{
	"returns-whitelist":   "command-returns-exceptions",
	"name-case-whitelist": "member-name-exceptions",
}
