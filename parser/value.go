package parser

// The values of QAPI's JSON dialect, as produced by the lexer/parser
// (stage 1) and examined by the shape checks (stage 2):
//
//	string  -> string
//	true/false -> bool
//	[...]   -> []any
//	{...}   -> *Object (keys in source order)
//
// There are no numbers and no null in the dialect.

// Object is a JSON object with its keys in source order. Duplicate keys
// are rejected by the parser, so each key occurs once.
type Object struct {
	Keys   []string
	Values map[string]any
}

// NewObject returns an empty object.
func NewObject() *Object { return &Object{Values: map[string]any{}} }

// Set appends key (or replaces its value if present).
func (o *Object) Set(key string, v any) {
	if _, ok := o.Values[key]; !ok {
		o.Keys = append(o.Keys, key)
	}
	o.Values[key] = v
}

// Get returns the value of key and whether it is present.
func (o *Object) Get(key string) (any, bool) {
	v, ok := o.Values[key]
	return v, ok
}

// Has reports whether key is present.
func (o *Object) Has(key string) bool {
	_, ok := o.Values[key]
	return ok
}

// Len is the number of keys.
func (o *Object) Len() int { return len(o.Keys) }

// Expr is one top-level expression of a schema file with its location and
// the definition doc comment that precedes it (if any).
type Expr struct {
	Data *Object
	Info *SourceInfo
	Doc  *Doc
}
