package parser

import "testing"

// TestIfCondRenderings: the three renderings of one condition tree.
func TestIfCondRenderings(t *testing.T) {
	a, b, c := &IfCond{Name: "CONFIG_A"}, &IfCond{Name: "CONFIG_B"}, &IfCond{Name: "CONFIG_C"}
	for _, tc := range []struct {
		cond          *IfCond
		c, text, expr string
	}{
		{a, "defined(CONFIG_A)", "CONFIG_A", "CONFIG_A"},
		{&IfCond{Not: a}, "!defined(CONFIG_A)", "not CONFIG_A", "!CONFIG_A"},
		{&IfCond{All: []*IfCond{a, {Any: []*IfCond{b, c}}}},
			"defined(CONFIG_A) && (defined(CONFIG_B) || defined(CONFIG_C))",
			"CONFIG_A and (CONFIG_B or CONFIG_C)",
			"CONFIG_A && (CONFIG_B || CONFIG_C)"},
		{&IfCond{Not: &IfCond{All: []*IfCond{a, b}}},
			"!(defined(CONFIG_A) && defined(CONFIG_B))",
			"not (CONFIG_A and CONFIG_B)",
			"!(CONFIG_A && CONFIG_B)"},
		{&IfCond{Any: []*IfCond{{Not: a}, b}},
			"!defined(CONFIG_A) || defined(CONFIG_B)",
			"not CONFIG_A or CONFIG_B",
			"!CONFIG_A || CONFIG_B"},
	} {
		if got := tc.cond.C(); got != tc.c {
			t.Errorf("C() = %q, want %q", got, tc.c)
		}
		if got := tc.cond.Text(); got != tc.text {
			t.Errorf("Text() = %q, want %q", got, tc.text)
		}
		if got := tc.cond.Expr(); got != tc.expr {
			t.Errorf("Expr() = %q, want %q", got, tc.expr)
		}
	}
	if got := (*IfCond)(nil).Expr(); got != "" {
		t.Errorf("no condition: Expr() = %q, want \"\"", got)
	}
}
