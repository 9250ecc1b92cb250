package parser

// Doc is a parsed doc comment ("##" block), as the reference's QAPIDoc:
// a free-form block (Symbol == "") or a definition's documentation.
//
// Stage 1 builds it; stage 3 binds it to the definition and its members
// (ConnectMember, ConnectFeature, CheckExpr, Check).
type Doc struct {
	Info   *SourceInfo
	Symbol string // "" for a free-form block

	// Body is the untagged text before the first tagged section/argument
	// in the reference's sense (printed as "body=").
	Body *DocSection
	// Args and Features keep the reference's insertion order.
	Args     []*DocSection
	Features []*DocSection
	// Sections are the remaining sections in order (plain text, Since,
	// Returns, Errors, TODO).
	Sections []*DocSection
	// AllSections is every section (body included) in textual order: what
	// a renderer wants.
	AllSections []*DocSection
}

// DocSection is one section of a doc comment.
type DocSection struct {
	Info *SourceInfo
	// Kind is the reference's section kind as printed in the dump:
	// "Plain", "Member", "Feature", "Returns", "Errors", "Since", "Todo".
	Kind string
	Name string // member or feature name for Member/Feature sections
	Text string
	// Member is set by binding: the IR member this section describes
	// (*ObjectMember, *EnumMember, *Variant or *Feature), nil if none.
	Member any
}
