package codec

import "encoding/json"

// Members holds the members of a JSON object that its Go type has no
// field for, by name, each value as it came (for a union whose
// discriminator selects no branch field: all of the branch's members).
// Users may read, set and delete entries; an entry whose name is also a
// field's is an encoding error. Entries are encoded after the known
// members, sorted by name.
type Members map[string]json.RawMessage
