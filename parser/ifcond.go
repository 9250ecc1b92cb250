package parser

import "strings"

// String prints the condition as the reference's dump does (Python's
// str of the schema value): CONFIG_A, {'not': 'CONFIG_A'},
// {'all': ['CONFIG_A', {'any': ['CONFIG_B', 'CONFIG_C']}]}.
func (c *IfCond) String() string {
	if c.Not == nil && c.All == nil && c.Any == nil {
		return c.Name
	}
	var b strings.Builder
	c.writeRepr(&b)
	return b.String()
}

func (c *IfCond) writeRepr(b *strings.Builder) {
	switch {
	case c.Not != nil:
		b.WriteString("{'not': ")
		c.Not.writeRepr(b)
		b.WriteByte('}')
	case c.All != nil || c.Any != nil:
		ops, op := c.All, "all"
		if c.All == nil {
			ops, op = c.Any, "any"
		}
		b.WriteString("{'" + op + "': [")
		for i, o := range ops {
			if i > 0 {
				b.WriteString(", ")
			}
			o.writeRepr(b)
		}
		b.WriteString("]}")
	default:
		b.WriteString("'" + c.Name + "'")
	}
}

// C renders the condition as a C preprocessor expression, as QEMU's C
// generator does: defined(CONFIG_A) && !defined(CONFIG_B).
func (c *IfCond) C() string {
	return c.render("defined(%)", "!", " && ", " || ", false)
}

// Text renders the condition for documentation, as QEMU's doc generator
// does: CONFIG_A and not CONFIG_B.
func (c *IfCond) Text() string {
	return c.render("%", "not ", " and ", " or ", false)
}

// Expr renders the condition as a C-like expression over the config
// names, the way Go code and tables state it: CONFIG_A && !CONFIG_B.
// No condition (nil) renders as "".
func (c *IfCond) Expr() string {
	if c == nil {
		return ""
	}
	return c.render("%", "!", " && ", " || ", false)
}

func (c *IfCond) render(name, not, and, or string, parens bool) string {
	switch {
	case c.Not != nil:
		return not + c.Not.render(name, not, and, or, true)
	case c.All != nil || c.Any != nil:
		ops, op := c.All, and
		if c.All == nil {
			ops, op = c.Any, or
		}
		parts := make([]string, len(ops))
		for i, o := range ops {
			parts[i] = o.render(name, not, and, or, true)
		}
		s := strings.Join(parts, op)
		if parens {
			s = "(" + s + ")"
		}
		return s
	}
	return strings.Replace(name, "%", c.Name, 1)
}
