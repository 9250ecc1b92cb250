package parser

import (
	"sort"
	"strings"
)

// Stage 2: the shape of each top-level expression. checkExprs validates
// every expression on its own (no name resolution) and turns it into a
// defExpr, the normalised form stage 3 builds the schema from: sugar such
// as 'member': 'type' or a feature given as a bare string is expanded,
// and 'if' conditions are parsed into IfCond trees.

// defExpr is a checked, normalised definition (or include directive).
type defExpr struct {
	meta     string // enum struct union alternate command event include
	name     string // definition name; for include: the included path
	info     *SourceInfo
	col      int
	doc      *Doc
	ifc      *IfCond
	features []featureDef

	// enum
	values []enumValueDef
	prefix *string

	// struct: base (may be ""), members; union: base name or baseMembers
	base        string
	baseIsDict  bool
	members     []memberDef // struct data, union dict base, command/event dict data
	membersDict bool        // command/event: 'data' was a dict
	argName     string      // command/event: 'data' named a type

	// union
	discriminator string
	// union, alternate
	variants []variantDef

	// command
	rets, retsElem     string // 'returns': a type name, or an array of retsElem
	retsArray          bool
	boxed              bool
	gen, successResp   bool
	allowOOB, allowPre bool
	coroutine          bool
}

type featureDef struct {
	name string
	ifc  *IfCond
}

type enumValueDef struct {
	name     string
	ifc      *IfCond
	features []featureDef
}

// memberDef is one member of an object ('*name' already split off).
type memberDef struct {
	name     string
	optional bool
	typ      string // type name, or the element type when array
	array    bool
	ifc      *IfCond
	features []featureDef
}

type variantDef struct {
	name  string
	typ   string
	array bool
	ifc   *IfCond
}

// truthy is Python's truth value of a schema value.
func truthy(v any) bool {
	switch v := v.(type) {
	case bool:
		return v
	case string:
		return v != ""
	case []any:
		return len(v) > 0
	case *Object:
		return v != nil && v.Len() > 0
	}
	return false
}

func quotedSorted(keys []string) string {
	s := append([]string(nil), keys...)
	sort.Strings(s)
	var b strings.Builder
	for i, k := range s {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('\'')
		b.WriteString(k)
		b.WriteByte('\'')
	}
	return b.String()
}

// checkKeys checks that obj has every required key and no key outside
// required+optional.
func checkKeys(obj *Object, info *SourceInfo, source srcDesc, required, optional []string) error {
	var missing []string
	for _, k := range required {
		if !obj.Has(k) {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		s := ""
		if len(missing) > 1 {
			s = "s"
		}
		return semErrorf(info, "%s misses key%s %s", source, s, quotedSorted(missing))
	}
	var unknown []string
	for _, k := range obj.Keys {
		if !contains(required, k) && !contains(optional, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		s := ""
		if len(unknown) > 1 {
			s = "s"
		}
		allowed := append(append([]string(nil), required...), optional...)
		return semErrorf(info, "%s has unknown key%s %s\nValid keys are %s.",
			source, s, quotedSorted(unknown), quotedSorted(allowed))
	}
	return nil
}

func checkFlags(obj *Object, info *SourceInfo) error {
	for _, k := range [...]string{"gen", "success-response"} {
		if v, ok := obj.Get(k); ok && v != false {
			return semErrorf(info, "flag '%s' may only use false value", k)
		}
	}
	for _, k := range [...]string{"boxed", "allow-oob", "allow-preconfig", "coroutine"} {
		if v, ok := obj.Get(k); ok && v != true {
			return semErrorf(info, "flag '%s' may only use true value", k)
		}
	}
	if obj.Has("allow-oob") && obj.Has("coroutine") {
		return semErrorf(info, "flags 'allow-oob' and 'coroutine' are incompatible")
	}
	return nil
}

func validCondName(s string) bool {
	if s == "" || !isUpper(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !isUpper(c) && !isDigit(c) && c != '_' {
			return false
		}
	}
	return true
}

// checkIf checks the 'if' key of obj (if any) and returns the condition.
func checkIf(obj *Object, info *SourceInfo, source srcDesc) (*IfCond, error) {
	v, ok := obj.Get("if")
	if !ok {
		return nil, nil
	}
	return checkIfCond(v, info, source)
}

func checkIfCond(v any, info *SourceInfo, source srcDesc) (*IfCond, error) {
	switch v := v.(type) {
	case string:
		if !validCondName(v) {
			return nil, semErrorf(info, "'if' condition '%s' of %s is not a valid identifier", v, source)
		}
		return &IfCond{Name: v}, nil
	case *Object:
		keysSrc := source
		keysSrc.pre = "'if' condition of "
		if err := checkKeys(v, info, keysSrc, nil, []string{"all", "any", "not"}); err != nil {
			return nil, err
		}
		if v.Len() != 1 {
			return nil, semErrorf(info, "'if' condition of %s has conflicting keys", source)
		}
		if n, ok := v.Get("not"); ok {
			c, err := checkIfCond(n, info, source)
			if err != nil {
				return nil, err
			}
			return &IfCond{Not: c}, nil
		}
		op := "all"
		if !v.Has("all") {
			op = "any"
		}
		operands, ok := v.Value(op).([]any)
		if !ok {
			return nil, semErrorf(info, "'%s' condition of %s must be an array", op, source)
		}
		if len(operands) == 0 {
			return nil, semErrorf(info, "'if' condition [] of %s is useless", source)
		}
		conds := make([]*IfCond, len(operands))
		for i, o := range operands {
			c, err := checkIfCond(o, info, source)
			if err != nil {
				return nil, err
			}
			conds[i] = c
		}
		if op == "all" {
			return &IfCond{All: conds}, nil
		}
		return &IfCond{Any: conds}, nil
	}
	return nil, semErrorf(info, "'if' condition of %s must be a string or an object", source)
}

// The sugar 'name': 'type' stands for 'name': {'type': 'type'}, and a
// bare string in a list of enum values or features for {'name': ...}.
// sugarType and sugarName stand in for the expanded object in the key
// checks, which only look at the keys; the value is taken from the sugar
// itself. They are shared and never modified.
var (
	sugarType = &Object{Keys: []string{"type"}, Vals: []any{nil}}
	sugarName = &Object{Keys: []string{"name"}, Vals: []any{nil}}
)

// expandSugar returns the object v stands for (with sugar, the shared
// stand-in) and the value of its key (key is "type" or "name").
func expandSugar(v any, key string) (*Object, any) {
	if o, ok := v.(*Object); ok {
		return o, o.Value(key)
	}
	if key == "type" {
		return sugarType, v
	}
	return sugarName, v
}

// checkTypeName: an optional type name.
func checkTypeName(v any, present bool, info *SourceInfo, source srcDesc) (string, error) {
	if !present {
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", semErrorf(info, "%s should be a type name", source)
	}
	return s, nil
}

// checkTypeNameOrArray: a type name or a one-element array of one.
func checkTypeNameOrArray(v any, info *SourceInfo, source srcDesc) (name string, array bool, err error) {
	switch v := v.(type) {
	case string:
		return v, false, nil
	case []any:
		if len(v) == 1 {
			if s, ok := v[0].(string); ok {
				return s, true, nil
			}
		}
		return "", false, semErrorf(info, "%s: array type must contain single type name", source)
	}
	return "", false, semErrorf(info, "%s should be a type name or array", source)
}

// checkTypeImplicit checks an inline object type (the members of a
// struct, of a union's base, of a command's or event's data).
func checkTypeImplicit(d *diag, v any, info *SourceInfo, source srcDesc, parentName string, hasParent bool) ([]memberDef, error) {
	obj, ok := v.(*Object)
	if !ok {
		return nil, semErrorf(info, "%s should be an object or type name", source)
	}
	permissive := hasParent && contains(info.Pragma.MemberNameExceptions, parentName)
	members := make([]memberDef, 0, obj.Len())
	for i, key := range obj.Keys {
		arg, typeValue := expandSugar(obj.Vals[i], "type")
		keySource := memberSrc(source.what, key)
		name, optional := key, false
		if strings.HasPrefix(name, "*") {
			name, optional = name[1:], true
		}
		if err := checkMemberNameLower(d, name, info, keySource, permissive); err != nil {
			return nil, err
		}
		if cNameReserved(name) {
			return nil, semErrorf(info, "%s uses reserved name", keySource)
		}
		if err := checkKeys(arg, info, keySource, []string{"type"}, []string{"if", "features"}); err != nil {
			return nil, err
		}
		ifc, err := checkIf(arg, info, keySource)
		if err != nil {
			return nil, err
		}
		feats, err := checkFeatures(arg, info)
		if err != nil {
			return nil, err
		}
		typ, array, err := checkTypeNameOrArray(typeValue, info, keySource)
		if err != nil {
			return nil, err
		}
		members = append(members, memberDef{
			name: name, optional: optional, typ: typ, array: array,
			ifc: ifc, features: feats,
		})
	}
	return members, nil
}

// checkFeatures checks the 'features' key of obj (if any).
func checkFeatures(obj *Object, info *SourceInfo) ([]featureDef, error) {
	v, ok := obj.Get("features")
	if !ok {
		return nil, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, semErrorf(info, "'features' must be an array")
	}
	feats := make([]featureDef, 0, len(list))
	for _, f := range list {
		fo, nameValue := expandSugar(f, "name")
		source := plain("'features' member")
		if err := checkKeys(fo, info, source, []string{"name"}, []string{"if"}); err != nil {
			return nil, err
		}
		name, ok := nameValue.(string)
		if !ok {
			return nil, semErrorf(info, "%s requires a string name", source)
		}
		source = memberSrc("'features'", name)
		if err := checkNameLower(name, info, source, false, false); err != nil {
			return nil, err
		}
		ifc, err := checkIf(fo, info, source)
		if err != nil {
			return nil, err
		}
		feats = append(feats, featureDef{name: name, ifc: ifc})
	}
	return feats, nil
}

func checkEnum(d *diag, e *defExpr, obj *Object) error {
	info := e.info
	list, ok := obj.Value("data").([]any)
	if !ok {
		return semErrorf(info, "'data' must be an array")
	}
	if p, ok := obj.Get("prefix"); ok {
		s, ok := p.(string)
		if !ok {
			return semErrorf(info, "'prefix' must be a string")
		}
		e.prefix = &s
	}
	permissive := contains(info.Pragma.MemberNameExceptions, e.name)
	e.values = make([]enumValueDef, 0, len(list))
	for _, m := range list {
		mo, nameValue := expandSugar(m, "name")
		source := plain("'data' member")
		if err := checkKeys(mo, info, source, []string{"name"}, []string{"if", "features"}); err != nil {
			return err
		}
		name, ok := nameValue.(string)
		if !ok {
			return semErrorf(info, "%s requires a string name", source)
		}
		source = memberSrc("'data'", name)
		if name == "" {
			// The reference crashes here.
			return semErrorf(info, "%s has an invalid name", source)
		}
		checked := name
		if isDigit(name[0]) {
			checked = "d" + name // values may start with a digit
		}
		if err := checkMemberNameLower(d, checked, info, source, permissive); err != nil {
			return err
		}
		ifc, err := checkIf(mo, info, source)
		if err != nil {
			return err
		}
		feats, err := checkFeatures(mo, info)
		if err != nil {
			return err
		}
		e.values = append(e.values, enumValueDef{name: name, ifc: ifc, features: feats})
	}
	return nil
}

func checkStruct(d *diag, e *defExpr, obj *Object) error {
	members, err := checkTypeImplicit(d, obj.Value("data"), e.info, plain("'data'"), e.name, true)
	if err != nil {
		return err
	}
	e.members = members
	base, present := obj.Get("base")
	e.base, err = checkTypeName(base, present, e.info, plain("'base'"))
	return err
}

func checkUnion(d *diag, e *defExpr, obj *Object) error {
	info := e.info
	switch base := obj.Value("base").(type) {
	case string:
		e.base = base
	default:
		members, err := checkTypeImplicit(d, base, info, plain("'base'"), e.name, true)
		if err != nil {
			return err
		}
		e.members, e.baseIsDict = members, true
	}
	disc, ok := obj.Value("discriminator").(string)
	if !ok {
		return semErrorf(info, "'discriminator' requires a string name")
	}
	e.discriminator = disc
	data, ok := obj.Value("data").(*Object)
	if !ok {
		return semErrorf(info, "'data' must be an object")
	}
	e.variants = make([]variantDef, 0, data.Len())
	for i, key := range data.Keys {
		value, typeValue := expandSugar(data.Vals[i], "type")
		source := memberSrc("'data'", key)
		if err := checkKeys(value, info, source, []string{"type"}, []string{"if"}); err != nil {
			return err
		}
		ifc, err := checkIf(value, info, source)
		if err != nil {
			return err
		}
		typ, err := checkTypeName(typeValue, true, info, source)
		if err != nil {
			return err
		}
		e.variants = append(e.variants, variantDef{name: key, typ: typ, ifc: ifc})
	}
	return nil
}

func checkAlternate(d *diag, e *defExpr, obj *Object) error {
	info := e.info
	v := obj.Value("data")
	if !truthy(v) {
		return semErrorf(info, "'data' must not be empty")
	}
	data, ok := v.(*Object)
	if !ok {
		return semErrorf(info, "'data' must be an object")
	}
	e.variants = make([]variantDef, 0, data.Len())
	for i, key := range data.Keys {
		value, typeValue := expandSugar(data.Vals[i], "type")
		source := memberSrc("'data'", key)
		if err := checkMemberNameLower(d, key, info, source, false); err != nil {
			return err
		}
		if err := checkKeys(value, info, source, []string{"type"}, []string{"if"}); err != nil {
			return err
		}
		ifc, err := checkIf(value, info, source)
		if err != nil {
			return err
		}
		typ, array, err := checkTypeNameOrArray(typeValue, info, source)
		if err != nil {
			return err
		}
		e.variants = append(e.variants, variantDef{name: key, typ: typ, array: array, ifc: ifc})
	}
	return nil
}

// checkArgs checks the 'data' of a command or event.
func checkArgs(d *diag, e *defExpr, obj *Object) error {
	args, present := obj.Get("data")
	if truthy(obj.Value("boxed")) {
		if !present {
			return semErrorf(e.info, "'boxed': true requires 'data'")
		}
		name, err := checkTypeName(args, true, e.info, plain("'data'"))
		e.argName = name
		return err
	}
	if !present {
		return nil
	}
	if s, ok := args.(string); ok {
		e.argName = s
		return nil
	}
	members, err := checkTypeImplicit(d, args, e.info, plain("'data'"), "", false)
	e.members, e.membersDict = members, true
	return err
}

func checkCommand(d *diag, e *defExpr, obj *Object) error {
	if err := checkArgs(d, e, obj); err != nil {
		return err
	}
	if rets, ok := obj.Get("returns"); ok {
		name, array, err := checkTypeNameOrArray(rets, e.info, plain("'returns'"))
		if err != nil {
			return err
		}
		if array {
			e.retsElem, e.retsArray = name, true
		} else {
			e.rets = name
		}
	}
	return nil
}

var metaKeys = [...]string{"enum", "struct", "union", "alternate", "command", "event"}

// checkExprs runs the stage 2 checks over every expression in order and
// returns the normalised definitions (include directives included).
func checkExprs(exprs []*Expr, d *diag) ([]*defExpr, error) {
	out := make([]*defExpr, len(exprs))
	slab := make([]defExpr, len(exprs))
	for i, x := range exprs {
		if err := checkExpr(x, d, &slab[i]); err != nil {
			return nil, err
		}
		out[i] = &slab[i]
	}
	return out, nil
}

// checkExpr checks expression x and fills in e.
func checkExpr(x *Expr, d *diag, e *defExpr) error {
	obj, info := x.Data, x.Info
	if v, ok := obj.Get("include"); ok {
		s, _ := v.(string)
		*e = defExpr{meta: "include", name: s, info: info}
		return nil
	}
	meta, n := "", 0
	for _, k := range metaKeys {
		if obj.Has(k) {
			meta = k
			n++
		}
	}
	if n != 1 {
		return semErrorf(info, "expression must have exactly one key"+
			" 'enum', 'struct', 'union', 'alternate', 'command', 'event'")
	}
	name, ok := obj.Value(meta).(string)
	if !ok {
		return semErrorf(info, "'%s' requires a string name", meta)
	}
	info.SetDefn(meta, name)
	if err := checkDefnNameStr(name, info, meta); err != nil {
		return err
	}
	*e = defExpr{meta: meta, name: name, info: info, col: x.Col, doc: x.Doc}
	if doc := x.Doc; doc != nil {
		if doc.Symbol != name {
			if err := d.tolerable(semErrorf(info, "documentation comment is for '%s'", doc.Symbol)); err != nil {
				return err
			}
			e.doc = nil
		} else {
			if err := doc.CheckExpr(x); err != nil {
				return err
			}
		}
	} else if info.Pragma.DocRequired {
		if err := d.tolerable(semErrorf(info, "documentation comment required")); err != nil {
			return err
		}
	}

	var err error
	switch meta {
	case "enum":
		if err = checkKeys(obj, info, plain(meta), []string{"enum", "data"}, []string{"if", "features", "prefix"}); err == nil {
			err = checkEnum(d, e, obj)
		}
	case "union":
		if err = checkKeys(obj, info, plain(meta), []string{"union", "base", "discriminator", "data"}, []string{"if", "features"}); err == nil {
			err = checkUnion(d, e, obj)
		}
	case "alternate":
		if err = checkKeys(obj, info, plain(meta), []string{"alternate", "data"}, []string{"if", "features"}); err == nil {
			err = checkAlternate(d, e, obj)
		}
	case "struct":
		if err = checkKeys(obj, info, plain(meta), []string{"struct", "data"}, []string{"base", "if", "features"}); err == nil {
			err = checkStruct(d, e, obj)
		}
	case "command":
		if err = checkKeys(obj, info, plain(meta), []string{"command"}, []string{"data", "returns", "boxed", "if", "features",
			"gen", "success-response", "allow-oob", "allow-preconfig", "coroutine"}); err == nil {
			err = checkCommand(d, e, obj)
		}
	case "event":
		if err = checkKeys(obj, info, plain(meta), []string{"event"}, []string{"data", "boxed", "if", "features"}); err == nil {
			err = checkArgs(d, e, obj)
		}
	}
	if err != nil {
		return err
	}
	if e.ifc, err = checkIf(obj, info, plain(meta)); err != nil {
		return err
	}
	if e.features, err = checkFeatures(obj, info); err != nil {
		return err
	}
	if err = checkFlags(obj, info); err != nil {
		return err
	}
	e.boxed = obj.Value("boxed") == true
	e.gen = obj.Value("gen") != false
	e.successResp = obj.Value("success-response") != false
	e.allowOOB = obj.Value("allow-oob") == true
	e.allowPre = obj.Value("allow-preconfig") == true
	e.coroutine = obj.Value("coroutine") == true
	return nil
}
