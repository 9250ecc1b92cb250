// Package codec encodes and decodes the Go values of generated QAPI
// bindings (packages such as gen/qmp and gen/qga) as QEMU's JSON wire form.
//
// Generated code calls it; users need it only to encode or decode
// generated values themselves, or to read and set the members a binding
// does not know.
//
// # What it adds to encoding/json
//
//   - Unknown members are kept. Every generated struct, event and union
//     has an UnknownMembers field of type [Members]: on decoding, every
//     member of the JSON object that the Go type has no field for (one a
//     newer QEMU or a vendor build sends) is kept there, verbatim; on
//     encoding, they are written after the known members. A value
//     decoded and re-encoded says what the peer said.
//   - Unions are flat. A union's base members and the members of the
//     branch its discriminator selects are one JSON object; the codec
//     decodes it in one pass, whatever the order of its members, and
//     refuses to encode an inconsistent value (a branch set that the
//     discriminator does not select, a selected branch with required
//     members left nil). A discriminator value without a branch field (a
//     newer QEMU's) keeps its branch's members in UnknownMembers. A
//     missing discriminator (an older QEMU's reply, from before the type
//     became a union) decodes the base and keeps the other members in
//     UnknownMembers, which is then non-nil even if empty; such a value
//     re-encodes without the discriminator. When the older release's
//     struct was the base and one branch (the generator marks that
//     branch field "untagged"), a value without the discriminator that
//     has any of that branch's members decodes into the branch field
//     instead, the discriminator staying empty; a value with an empty
//     discriminator and that branch field set encodes as the base and
//     the branch, without the discriminator.
//   - Alternates select their alternative by the kind of the JSON value
//     (null, string, number, boolean, object, array), never by trial.
//   - A required array member left nil is sent as [], not null (QEMU
//     rejects null).
//   - Struct keys match exactly (encoding/json also accepts other cases).
//   - Decoding a struct starts from its zero value: nothing of an earlier
//     value survives.
//
// Errors name the Go type and the JSON path, and give the byte offset.
// No input makes the codec panic; nesting deeper than 10000 levels is an
// error.
//
// # encoding/json on generated values
//
// Unions and alternates (and structs with required array members) have
// MarshalJSON and UnmarshalJSON methods that call this package, so
// json.Marshal and json.Unmarshal produce and accept correct wire JSON for
// every generated value. Plain structs have no methods of their own (one
// shared codec instead of a method per type keeps the bindings small and
// quick to compile): encoding/json encodes and decodes their known members
// correctly but skips UnknownMembers (its tag is `json:"-"`). Use
// [Marshal] and [Unmarshal], as the generated Client, DecodeEvent and
// server dispatchers do, to keep them.
//
// # Why a package
//
// The codec is one compiled package of the module rather than source
// text copied into every generated package: it is built, vetted, unit
// tested and fuzzed like any other code, generated packages stay small,
// and a fix reaches every generated package without regenerating it.
// Generated code may import only the module's own packages and the
// standard library, and this package imports only the standard library.
//
// # Struct tags
//
// The codec reads the `json` tags encoding/json reads (name, omitempty,
// omitzero, "-"; a member without omitempty or omitzero is required) and
// the `codec` tags the generator writes:
//
//	UnknownMembers codec.Members `json:"-" codec:"union,DISCRIMINATOR"`   on a union
//	Branch         *T            `json:"-" codec:"branch,VALUE"`          a union's branch field
//	Branch         *T            `json:"-" codec:"branch,VALUE,untagged"` also without the discriminator (at most one)
//	Alternative    *T            `codec:"alternative"`                    each field of an alternate
//
// A struct is handled by the codec when it has a [Members] field (its
// own or an embedded struct's) or alternative fields; other types are
// handed to encoding/json, so Marshal and Unmarshal accept any value
// encoding/json accepts.
package codec
