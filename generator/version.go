package generator

// Version is the generator's version, named in every generated file's
// header and printed by "qapi-gen version". It changes when the
// generated Go changes (the mapping, the connection layer, the
// helpers), so that a diff of generated files that names two versions
// says the generator moved, not just the schema. It is a constant, not
// the module's build version, so that regenerating at another commit
// of the same version gives the same bytes.
const Version = "v0.1.0"
