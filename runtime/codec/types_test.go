package codec_test

import (
	"encoding/json"

	"github.com/qapi-go/qapi/runtime/codec"
)

// The test types are written as the generator writes them.

type Base struct {
	Name           string        `json:"name"`
	Tag            *string       `json:"tag,omitempty"`
	UnknownMembers codec.Members `json:"-"`
}

type Circle struct {
	Radius         float64       `json:"radius"`
	UnknownMembers codec.Members `json:"-"`
}

type Square struct {
	Side           int64         `json:"side"`
	Rounded        *bool         `json:"rounded,omitempty"`
	UnknownMembers codec.Members `json:"-"`
}

type Sized struct {
	I8             int8          `json:"i8"`
	U16            uint16        `json:"u16"`
	F32            *float32      `json:"f32,omitempty"`
	UnknownMembers codec.Members `json:"-"`
}

type Kind string

type ShapeBase struct {
	Base
	Kind           Kind          `json:"kind"`
	UnknownMembers codec.Members `json:"-"`
}

// Shape is a union with a named base and a branch that is a union.
type Shape struct {
	ShapeBase
	Circle         *Circle       `json:"-" codec:"branch,circle"`
	Square         *Square       `json:"-" codec:"branch,square"`
	Group          *Group        `json:"-" codec:"branch,group"`
	UnknownMembers codec.Members `json:"-" codec:"union,kind"`
}

func (v Shape) MarshalJSON() ([]byte, error)  { return codec.Marshal(v) }
func (v *Shape) UnmarshalJSON(b []byte) error { return codec.Unmarshal(b, v) }

// Group is a union with an inline base.
type Group struct {
	Mode           string        `json:"mode"`
	List           *GroupList    `json:"-" codec:"branch,list"`
	Single         *GroupSingle  `json:"-" codec:"branch,single"`
	UnknownMembers codec.Members `json:"-" codec:"union,mode"`
}

type GroupList struct {
	Members        []Shape       `json:"members"`
	UnknownMembers codec.Members `json:"-"`
}

type GroupSingle struct {
	Only           Shape         `json:"only"`
	UnknownMembers codec.Members `json:"-"`
}

// Value is an alternate of every kind.
type Value struct {
	Null bool     `codec:"alternative"`
	S    *string  `codec:"alternative"`
	N    *float64 `codec:"alternative"`
	B    *bool    `codec:"alternative"`
	O    *Shape   `codec:"alternative"`
	L    []Value  `codec:"alternative"`
}

func (v Value) MarshalJSON() ([]byte, error)  { return codec.Marshal(v) }
func (v *Value) UnmarshalJSON(b []byte) error { return codec.Unmarshal(b, v) }

// IntOrKind is an alternate without null.
type IntOrKind struct {
	I *int64 `codec:"alternative"`
	K *Kind  `codec:"alternative"`
}

type Optionals struct {
	S              *string         `json:"s,omitempty"`
	L              []int64         `json:"l,omitzero"`
	Req            []int64         `json:"req"`
	A              json.RawMessage `json:"a,omitzero"`
	Any            json.RawMessage `json:"any"`
	Alt            Value           `json:"alt,omitzero"`
	Empty          *struct{}       `json:"empty,omitempty"`
	UnknownMembers codec.Members   `json:"-"`
}

// ShapeEvent is an event whose data is a union.
type ShapeEvent struct {
	Shape
}

// StopEvent is an event without data.
type StopEvent struct {
	UnknownMembers codec.Members `json:"-"`
}

// plain has no Members field: it is encoding/json's.
type plain struct {
	A int            `json:"a"`
	M map[string]int `json:"m,omitempty"`
}

// Account is a union that an older release had as a struct without the
// discriminator: its base and the members of branch "user".
type Account struct {
	ID             string        `json:"id"`
	Kind           Kind          `json:"kind"`
	User           *User         `json:"-" codec:"branch,user,untagged"`
	Service        *Service      `json:"-" codec:"branch,service"`
	UnknownMembers codec.Members `json:"-" codec:"union,kind"`
}

func (v Account) MarshalJSON() ([]byte, error)  { return codec.Marshal(v) }
func (v *Account) UnmarshalJSON(b []byte) error { return codec.Unmarshal(b, v) }

type User struct {
	Login          string        `json:"login"`
	Home           *string       `json:"home,omitempty"`
	UnknownMembers codec.Members `json:"-"`
}

type Service struct {
	Unit           string        `json:"unit"`
	UnknownMembers codec.Members `json:"-"`
}
