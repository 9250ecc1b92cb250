package parser

// Parse reads the schema rooted at file (and everything it includes),
// checks it as QEMU's front end does, and returns the checked schema.
//
// With opts.FS nil, file is an OS path and errors print it as given;
// otherwise file is a slash path inside opts.FS. The error, if any, is an
// *Error that prints exactly as the reference prints it. In Lenient mode
// the problems tolerated are in Schema.Warnings, in the order found.
func Parse(file string, opts Options) (*Schema, error) {
	d := &diag{mode: opts.Mode}
	exprs, docs, err := readSchemaFiles(opts.FS, file, d)
	if err != nil {
		return nil, err
	}
	defs, err := checkExprs(exprs, d)
	if err != nil {
		return nil, err
	}
	s, err := buildSchema(file, defs, docs, d, opts.FS != nil)
	if err != nil {
		return nil, err
	}
	s.Warnings = d.warnings
	return s, nil
}
