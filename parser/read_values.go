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

	// Stacks of the keys of the objects and the elements of the arrays
	// being read, innermost last: an object's Keys and an array are made
	// at their end, at their final size, instead of growing by appends.
	keys  []string
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
	so := &smallObject{obj: Object{Values: map[string]any{}}}
	obj := &so.obj
	base := len(p.keys)
	defer func() { p.keys = p.keys[:base] }()
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
		if p.hasKey(base, obj, key) {
			return nil, p.errorf("duplicate key '%s'", key)
		}
		v, err := p.getValue()
		if err != nil {
			return nil, err
		}
		obj.Values[key] = v
		p.keys = append(p.keys, key)
		if p.tok == '}' {
			so.setKeys(p.keys[base:])
			return obj, p.next()
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

// hasKey reports whether obj, whose keys so far are p.keys[base:], has
// key. A few keys are compared rather than hashed.
func (p *valueParser) hasKey(base int, obj *Object, key string) bool {
	if keys := p.keys[base:]; len(keys) <= 8 {
		return slices.Contains(keys, key)
	}
	return obj.Has(key)
}

// smallObject is an Object allocated together with room for its keys:
// most objects have a few.
type smallObject struct {
	obj  Object
	keys [4]string
}

// setKeys sets the object's keys to a copy of keys, kept in the room it
// was allocated with when they fit.
func (so *smallObject) setKeys(keys []string) {
	if len(keys) <= len(so.keys) {
		n := copy(so.keys[:], keys)
		so.obj.Keys = so.keys[:n:n]
		return
	}
	so.obj.Keys = slices.Clone(keys)
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
