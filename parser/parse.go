// Package parser reads QEMU's QAPI schema language and returns a checked
// IR (Schema) that a generator can walk without re-deriving anything.
//
// It follows the three stages of QEMU's own front end (scripts/qapi/),
// which is its oracle: stage 1 reads the JSON dialect, doc comments,
// includes and pragmas (read*.go, lexer.go, doc*.go, pragma.go); stage 2
// checks each expression's shape and naming (expr.go, names.go); stage 3
// builds the schema: built-in, array and implicit types, name resolution,
// bases and branches, clash and alternate checks, doc binding, modules
// (schema.go). In Strict mode the result, errors included, is QEMU
// 10.2.2's to the byte (Dump prints what QEMU's test-qapi.py prints); in
// Lenient mode documentation and member-naming problems are warnings, so
// that the schemas of older QEMU releases parse too.
//
// Typical use:
//
//	s, err := parser.Parse("qapi/qapi-schema.json", parser.Options{})
//	if err != nil {
//		log.Fatal(err) // prints as QEMU would: "file:line: message"
//	}
//	for _, def := range s.Defs {
//		switch d := def.(type) {
//		case *parser.ObjectType: ...
//		case *parser.Command: ...
//		}
//	}
//
// The IR links what a consumer would otherwise look up: a command's or
// event's Arg is its *ObjectType, an implicit type's Owner is what it was
// made for, a union branch's Value is its discriminator enum member. A
// tool that needs part of a schema, or builds one from others, copies it
// with Schema.Filter rather than copying IR structs itself.
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
