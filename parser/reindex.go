package parser

// Reindex rebuilds the name index that Lookup and LookupType use from
// s.Defs. Parse builds it; a tool that assembles a Schema itself (such
// as generator.Subset, which returns a pruned copy) calls Reindex once
// Defs is final.
func (s *Schema) Reindex() {
	s.byName = make(map[string]Definition, len(s.Defs))
	for _, d := range s.Defs {
		s.byName[d.Common().Name] = d
	}
}
