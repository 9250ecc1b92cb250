package parser

import "io/fs"

// Mode selects how strictly the front end reads a schema.
type Mode int

const (
	// Strict is QEMU 10.2.2's front end to the byte: every problem is an
	// error. qapi-gen dump uses it.
	Strict Mode = iota
	// Lenient turns doc-comment style and documentation-completeness
	// problems into warnings, accepts member names that break the naming
	// rules, and accepts the legacy pragma names of QEMU 5.x, so that the
	// schema of every QEMU release parses. Every other rule stays strict.
	Lenient
)

// Options configure Parse.
type Options struct {
	Mode Mode
	// FS, when non-nil, is where the root file and its includes are read
	// from (e.g. the embedded vendored schema); nil means the OS file
	// system.
	FS fs.FS
}

// diag is the per-parse state every stage shares: the mode and the
// warnings lenient mode collected.
type diag struct {
	mode     Mode
	warnings []*Warning
}

// tolerable reports a problem that lenient mode downgrades: in strict
// mode it returns err; in lenient mode it records err as a warning and
// returns nil, and the caller carries on as well as it can.
func (d *diag) tolerable(err *Error) error {
	if d.mode == Lenient {
		d.warnings = append(d.warnings, err)
		return nil
	}
	return err
}
