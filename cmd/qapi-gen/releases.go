package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/qapi-go/qapi/generator"
	"github.com/qapi-go/qapi/parser"
)

// olderRelease is one -also flag: an older release's schema.
type olderRelease struct {
	name string // "" until known: from NAME=, else from a VERSION file
	file string
}

// alsoFlag collects -also [NAME=]SCHEMA flags.
type alsoFlag []olderRelease

func (f *alsoFlag) String() string { return "" }

func (f *alsoFlag) Set(v string) error {
	name, file, ok := strings.Cut(v, "=")
	if !ok {
		name, file = "", v
	} else if !validRelease(name) {
		return fmt.Errorf("-also %s: release name %q is not a version such as 7.2", v, name)
	}
	if file == "" {
		return fmt.Errorf("-also %s: no schema file", v)
	}
	*f = append(*f, olderRelease{name: name, file: file})
	return nil
}

func validRelease(name string) bool {
	parts := strings.Split(name, ".")
	if len(parts) < 2 || len(parts) > 3 {
		return false
	}
	for _, p := range parts {
		if p == "" || len(p) > 3 || strings.Trim(p, "0123456789") != "" {
			return false
		}
	}
	return true
}

// releaseOf names the release of schema file: the VERSION file of its
// QEMU tree (beside the schema, or one directory up, as in qapi/ and qga/
// of a source tree), as major.minor.
func releaseOf(file string) (string, error) {
	dir := filepath.Dir(file)
	for i := 0; i < 2; i++ {
		b, err := os.ReadFile(filepath.Join(dir, "VERSION"))
		if err == nil {
			v := strings.TrimSpace(string(b))
			if !validRelease(v) {
				return "", fmt.Errorf("%s: %q is not a QEMU version", filepath.Join(dir, "VERSION"), v)
			}
			return generator.ShortRelease(v), nil
		}
		dir = filepath.Dir(dir)
	}
	return "", fmt.Errorf("%s: no VERSION file beside it or one directory up: name the release, -also 7.2=%s", file, file)
}

// sameFile reports whether a and b are one file.
func sameFile(a, b string) bool {
	sa, err1 := os.Stat(a)
	sb, err2 := os.Stat(b)
	if err1 == nil && err2 == nil {
		return os.SameFile(sa, sb)
	}
	return filepath.Clean(a) == filepath.Clean(b)
}

// mergeReleases parses the older releases (leniently: QEMU's doc rules
// changed in nearly every release) and merges them with the newest
// schema s, named newest. Doc-comment warnings of older releases are
// counted, not listed. Every error names the release.
func mergeReleases(s *parser.Schema, newest, newestFile string, older alsoFlag, stderr io.Writer) (*generator.Range, error) {
	names := make([]string, len(older))
	for i, o := range older {
		if st, err := os.Stat(o.file); err != nil {
			return nil, fmt.Errorf("-also %s: %v", o.file, err)
		} else if st.IsDir() {
			return nil, fmt.Errorf("-also %s is a directory, want a .json file", o.file)
		}
		name := o.name
		if name == "" {
			var err error
			if name, err = releaseOf(o.file); err != nil {
				return nil, err
			}
		}
		names[i] = generator.ShortRelease(name)
		// The same file twice, under whatever names: an error that
		// names the release and both places it was given.
		if newestFile != "" && sameFile(o.file, newestFile) {
			return nil, fmt.Errorf("QEMU %s: schema %s given twice: as the newest release (QEMU %s, the argument) and with -also #%d (QEMU %s)",
				names[i], o.file, newest, i+1, names[i])
		}
		for j, p := range older[:i] {
			if sameFile(p.file, o.file) {
				return nil, fmt.Errorf("QEMU %s: schema %s given twice: with -also #%d (%s, QEMU %s) and -also #%d (%s, QEMU %s)",
					names[i], o.file, j+1, p.file, names[j], i+1, o.file, names[i])
			}
		}
	}
	rels := make([]generator.Release, 0, len(older)+1)
	for i, o := range older {
		name := names[i]
		old, err := parser.Parse(o.file, parser.Options{Mode: parser.Lenient})
		if err != nil {
			return nil, fmt.Errorf("QEMU %s (%s) does not parse:\n%v", name, o.file, err)
		}
		if n := len(old.Warnings); n > 0 {
			fmt.Fprintf(stderr, "qapi-gen generate: QEMU %s (%s): %d doc-comment or naming warnings (lenient mode; generate with it alone to see them)\n", name, o.file, n)
		}
		rels = append(rels, generator.Release{Name: name, Schema: old})
	}
	sortReleases(rels) // the -also flags in any order; the newest comes last
	rels = append(rels, generator.Release{Name: newest, Schema: s})
	return generator.Merge(rels)
}

// sortReleases orders releases oldest first (Merge refuses duplicates
// and a newest release that is not).
func sortReleases(rels []generator.Release) {
	less := func(a, b string) bool {
		pa, pb := strings.Split(a, "."), strings.Split(b, ".")
		for i := 0; i < len(pa) && i < len(pb); i++ {
			if len(pa[i]) != len(pb[i]) {
				return len(pa[i]) < len(pb[i])
			}
			if pa[i] != pb[i] {
				return pa[i] < pb[i]
			}
		}
		return len(pa) < len(pb)
	}
	for i := 1; i < len(rels); i++ {
		for j := i; j > 0 && less(rels[j].Name, rels[j-1].Name); j-- {
			rels[j], rels[j-1] = rels[j-1], rels[j]
		}
	}
}
