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
// are rejected by the parser, so each key occurs once. Vals[i] is the
// value of Keys[i].
//
// There is no map: schema objects have a handful of keys, and the big
// ones ('data' of a large struct) are walked in key order anyway, so a
// scan costs less than building a map for every object of every file.
type Object struct {
	Keys []string
	Vals []any
}

// NewObject returns an empty object.
func NewObject() *Object { return &Object{} }

// index returns the position of key, or -1.
func (o *Object) index(key string) int {
	for i, k := range o.Keys {
		if k == key {
			return i
		}
	}
	return -1
}

// Set appends key (or replaces its value if present).
func (o *Object) Set(key string, v any) {
	if i := o.index(key); i >= 0 {
		o.Vals[i] = v
		return
	}
	o.Keys = append(o.Keys, key)
	o.Vals = append(o.Vals, v)
}

// Get returns the value of key and whether it is present.
func (o *Object) Get(key string) (any, bool) {
	if i := o.index(key); i >= 0 {
		return o.Vals[i], true
	}
	return nil, false
}

// Value returns the value of key, nil when absent.
func (o *Object) Value(key string) any {
	v, _ := o.Get(key)
	return v
}

// Has reports whether key is present.
func (o *Object) Has(key string) bool { return o.index(key) >= 0 }

// Len is the number of keys.
func (o *Object) Len() int { return len(o.Keys) }

// Expr is one top-level expression of a schema file with its location and
// the definition doc comment that precedes it (if any).
type Expr struct {
	Data *Object
	Info *SourceInfo
	Col  int // column of the opening brace (as Error.Col counts)
	Doc  *Doc
}
