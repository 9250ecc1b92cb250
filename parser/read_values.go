package parser

import "slices"

// The grammar of QAPI's JSON dialect on top of the lexer: values are
// strings, booleans, arrays and objects (see value.go).

// maxNesting bounds how deeply arrays and objects may nest. The reference
// dies of Python's recursion limit at about 500 levels; we report an
// error instead of exhausting the stack.
const maxNesting = 1000

// valueParser reads JSON values from a lexer.
type valueParser struct {
	*lexer
	depth int

	// Stacks of the keys and values of the objects and the elements of
	// the arrays being read, innermost last: an object's Keys and Vals and
	// an array are made at their end, at their final size, instead of
	// growing by appends.
	keys  []string
	vals  []any
	elems []any
}

func (p *valueParser) next() error { return p.accept(true) }

// getValue reads one value starting at the current token.
func (p *valueParser) getValue() (any, error) {
	switch p.tok {
	case '{', '[':
		if p.depth >= maxNesting {
			return nil, p.errorf("nesting too deep")
		}
		p.depth++
		defer func() { p.depth-- }()
		open := p.tok
		if err := p.next(); err != nil {
			return nil, err
		}
		if open == '{' {
			return p.getMembers()
		}
		return p.getElements()
	case tokString:
		s := p.str
		return s, p.next()
	case tokTrue, tokFalse:
		return p.tok == tokTrue, p.next()
	}
	return nil, p.errorf("expected '{', '[', string, or boolean")
}

// getMembers reads an object's members after its '{'.
func (p *valueParser) getMembers() (any, error) {
	if p.tok == '}' {
		return NewObject(), p.next()
	}
	if p.tok != tokString {
		return nil, p.errorf("expected string or '}'")
	}
	base := len(p.keys)
	defer func() { p.keys, p.vals = p.keys[:base], p.vals[:base] }()
	var seen map[string]bool // only for objects too big to scan
	for {
		key := p.str
		if err := p.next(); err != nil {
			return nil, err
		}
		if p.tok != ':' {
			return nil, p.errorf("expected ':'")
		}
		if err := p.next(); err != nil {
			return nil, err
		}
		if p.hasKey(base, &seen, key) {
			return nil, p.errorf("duplicate key '%s'", key)
		}
		v, err := p.getValue()
		if err != nil {
			return nil, err
		}
		p.keys = append(p.keys, key)
		p.vals = append(p.vals, v)
		if p.tok == '}' {
			return newObjectOf(p.keys[base:], p.vals[base:]), p.next()
		}
		if p.tok != ',' {
			return nil, p.errorf("expected ',' or '}'")
		}
		if err := p.next(); err != nil {
			return nil, err
		}
		if p.tok != tokString {
			return nil, p.errorf("expected string")
		}
	}
}

// hasKey reports whether the object being read, whose keys so far are
// p.keys[base:], has key. A few keys are compared; past that a map is
// built once, so that a hostile object with many keys stays linear.
func (p *valueParser) hasKey(base int, seen *map[string]bool, key string) bool {
	keys := p.keys[base:]
	if len(keys) <= 16 {
		return slices.Contains(keys, key)
	}
	if *seen == nil {
		*seen = make(map[string]bool, 2*len(keys))
		for _, k := range keys {
			(*seen)[k] = true
		}
	}
	if (*seen)[key] {
		return true
	}
	(*seen)[key] = true
	return false
}

// smallObject is an Object allocated together with room for its keys and
// values: most objects have a few.
type smallObject struct {
	obj  Object
	keys [4]string
	vals [4]any
}

// newObjectOf returns an object holding copies of keys and vals.
func newObjectOf(keys []string, vals []any) *Object {
	if len(keys) <= 4 {
		so := &smallObject{}
		n := copy(so.keys[:], keys)
		copy(so.vals[:], vals)
		so.obj.Keys, so.obj.Vals = so.keys[:n:n], so.vals[:n:n]
		return &so.obj
	}
	return &Object{Keys: slices.Clone(keys), Vals: slices.Clone(vals)}
}

// getElements reads an array's elements after its '['.
func (p *valueParser) getElements() (any, error) {
	if p.tok == ']' {
		return []any{}, p.next()
	}
	switch p.tok {
	case '{', '[', tokString, tokTrue, tokFalse:
	default:
		return nil, p.errorf("expected '{', '[', ']', string, or boolean")
	}
	base := len(p.elems)
	defer func() {
		clear(p.elems[base:]) // let the values go
		p.elems = p.elems[:base]
	}()
	for {
		v, err := p.getValue()
		if err != nil {
			return nil, err
		}
		p.elems = append(p.elems, v)
		if p.tok == ']' {
			return slices.Clone(p.elems[base:]), p.next()
		}
		if p.tok != ',' {
			return nil, p.errorf("expected ',' or ']'")
		}
		if err := p.next(); err != nil {
			return nil, err
		}
	}
}
