package qemutest

import (
	"reflect"
	"slices"
	"strings"
)

// UnknownMembers lists the members of v (a decoded typed value) that its
// Go types do not know, as JSON paths ("inserted.image.backing_file",
// "[].section"): the keys of every non-empty field named UnknownMembers
// (the codec's Members map, where generated types keep what they lack),
// sorted. A peer newer than the bindings sends such members; QEMU's docs
// of a release the bindings span should not.
func UnknownMembers(v any) []string {
	var out []string
	unknownMembers(reflect.ValueOf(v), "", &out)
	slices.Sort(out)
	return out
}

func unknownMembers(v reflect.Value, path string, out *[]string) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			unknownMembers(v.Elem(), path, out)
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			unknownMembers(v.Index(i), path+"[]", out)
		}
	case reflect.Map:
		if v.Type().Key().Kind() != reflect.String {
			return
		}
		for _, k := range v.MapKeys() {
			unknownMembers(v.MapIndex(k), join(path, k.String()), out)
		}
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			fv := v.Field(i)
			if f.Name == "UnknownMembers" && fv.Kind() == reflect.Map {
				for _, k := range fv.MapKeys() {
					*out = append(*out, join(path, k.String()))
				}
				continue
			}
			if !f.IsExported() && !f.Anonymous {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			switch {
			case f.Anonymous && name == "":
				unknownMembers(fv, path, out) // an embedded base: its members are flat
			case name == "-" || name == "":
				unknownMembers(fv, path, out) // a union's branch: flat too
			default:
				unknownMembers(fv, join(path, name), out)
			}
		}
	}
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}
