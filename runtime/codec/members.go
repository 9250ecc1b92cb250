package codec

import "encoding/json"

// Members holds the members of a JSON object that its Go type has no
// field for (a newer QEMU's, a vendor build's), by name, each value as it
// came; for a union whose discriminator selects no branch field, all of
// the branch's members. Every generated struct, union and event has one,
// the UnknownMembers field, so that decoding and re-encoding with
// [Unmarshal] and [Marshal] (as the generated commands and DecodeEvent
// do) is lossless. Users may read, set and delete entries; an entry
// whose name is also a field's is an encoding error. Entries are encoded
// after the known members, sorted by name. encoding/json skips the field
// of a plain struct (its tag is `json:"-"`); unions keep it there too,
// as their methods call this package.
type Members map[string]json.RawMessage
