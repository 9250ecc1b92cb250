package qemutest

import (
	"bufio"
	"os"
	"slices"
	"strings"
	"testing"
)

// KnownBad is a reviewed list of test cases that fail for a reason
// outside this module (a mistake in QEMU's documentation), each with
// its category and reason. A test consults it for every case it checks
// (Check); Finish then fails the test for every listed case that was not
// checked or that passed, so that the list stays honest: a case is
// never skipped silently, and one that QEMU fixed (or that a change of
// ours made pass) must leave the list.
//
// The file has one case a line, "KEY CATEGORY REASON...", where KEY and
// CATEGORY hold no white space; '#' starts a comment line. Categories
// are the test's to define (Categories).
type KnownBad struct {
	cases map[string]*knownBadCase
	order []string
}

type knownBadCase struct {
	path             string
	line             int
	category, reason string
	seen, failed     bool
}

// ReadKnownBad reads the list at path; a malformed line, a category not
// in categories or a key listed twice fails tb.
func ReadKnownBad(tb testing.TB, path string, categories ...string) *KnownBad {
	tb.Helper()
	kb := &KnownBad{cases: map[string]*knownBadCase{}}
	kb.Add(tb, path, categories...)
	return kb
}

// Add reads one more list into kb (a list of another kind of cases,
// with categories of its own); a key may not be in both.
func (kb *KnownBad) Add(tb testing.TB, path string, categories ...string) {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 3 {
			tb.Fatalf("%s:%d: want KEY CATEGORY REASON, have %q", path, n, line)
		}
		key, cat := f[0], f[1]
		if !slices.Contains(categories, cat) {
			tb.Fatalf("%s:%d: category %q is none of %s", path, n, cat, strings.Join(categories, ", "))
		}
		if c, dup := kb.cases[key]; dup {
			tb.Fatalf("%s:%d: %s is listed already at %s:%d", path, n, key, c.path, c.line)
		}
		reason := strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(line, key), " "))
		reason = strings.TrimSpace(strings.TrimPrefix(reason, cat))
		kb.cases[key] = &knownBadCase{path: path, line: n, category: cat, reason: reason}
		kb.order = append(kb.order, key)
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
}

// Check records the outcome of case key (problem "" when it passed) and
// reports it: an unlisted case that failed is an error of tb, a listed
// one is logged with its reason.
func (kb *KnownBad) Check(tb testing.TB, key, problem string) {
	tb.Helper()
	c := kb.cases[key]
	if c != nil {
		if c.seen {
			tb.Errorf("%s: checked twice", key)
		}
		c.seen, c.failed = true, problem != ""
	}
	switch {
	case problem == "":
	case c == nil:
		tb.Errorf("%s: %s", key, problem)
	default:
		tb.Logf("%s: listed as %s (%s:%d: %s): %s", key, c.category, c.path, c.line, c.reason, problem)
	}
}

// Category returns the category key is listed with, "" when it is not
// listed.
func (kb *KnownBad) Category(key string) string {
	if c := kb.cases[key]; c != nil {
		return c.category
	}
	return ""
}

// Finish fails tb for every listed case whose key has the prefix and
// that was not checked, or passed. Call it once every case with the
// prefix was checked.
func (kb *KnownBad) Finish(tb testing.TB, prefix string) {
	tb.Helper()
	for _, key := range kb.order {
		c := kb.cases[key]
		if !strings.HasPrefix(key, prefix) {
			continue
		}
		switch {
		case !c.seen:
			tb.Errorf("%s:%d: %s is listed, but there is no such case: delete the line", c.path, c.line, key)
		case !c.failed:
			tb.Errorf("%s:%d: %s is listed as %s, but it passes now: delete the line", c.path, c.line, key, c.category)
		}
	}
}

// Counts returns how many listed cases with the prefix each category
// has.
func (kb *KnownBad) Counts(prefix string) map[string]int {
	n := map[string]int{}
	for key, c := range kb.cases {
		if strings.HasPrefix(key, prefix) {
			n[c.category]++
		}
	}
	return n
}
