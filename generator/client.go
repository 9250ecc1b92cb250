package generator

import (
	"sort"
	"strconv"
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/qapi-go/qapi/parser"
)

const ctxPkg = "context"

// resultIsPointer reports whether a command returning t returns *T
// (objects and alternates) rather than T.
func resultIsPointer(t parser.Type) bool {
	switch t.(type) {
	case *parser.ObjectType, *parser.AlternateType:
		return true
	}
	return false
}

func (fg *fileGen) command(c *parser.Command) {
	method := fg.n.methods[c]
	// The arguments: a pointer to the inline arguments struct, to the
	// boxed type, or to an empty NameArgs for a command without
	// arguments; free-form ones are any.
	var argType jen.Code
	noArgs := false
	switch a := c.Arg; {
	case !c.Gen:
		argType = jen.Any()
	case a == nil:
		noArgs = true
		id := fg.n.noArgs[c]
		fg.f.Add(fg.plainComment(id + " holds the arguments of [Conn." + method + "] (command \"" + c.Name +
			"\"), which takes none: pass nil. The type is there so that arguments a newer QEMU adds to the command do not change the method's signature."))
		fg.f.Type().Id(id).Struct()
		fg.f.Line()
		argType = jen.Op("*").Id(id)
	case a.IsImplicit():
		fg.object(a)
		argType = jen.Op("*").Id(fg.n.types[a])
	default:
		argType = jen.Op("*").Add(fg.goType(a))
	}
	pointer := c.Gen

	var notes []string
	kind := "command"
	notes = append(notes, method+" sends the \""+c.Name+"\" "+kind+".")
	if !c.Gen {
		notes = append(notes, "The arguments are free-form: pass any value that encodes to a JSON object, such as a map[string]any.")
	}
	if !c.SuccessResponse {
		notes = append(notes, "The command sends no reply on success: the call returns once the request is written.")
	}
	switch {
	case noArgs:
	case optionalArgs(c):
		notes = append(notes, "Every argument is optional: args may be nil, which sends none.")
	case pointer:
		notes = append(notes, "A nil args sends no arguments, which QEMU refuses: the command has required ones.")
	}
	if c.AllowOOB {
		oob := "[runtime.OutOfBand]"
		if fg.protocol == QMP {
			oob = "[OutOfBand]"
		}
		notes = append(notes, "The command may run out of band: pass "+oob+" to send it with exec-oob.")
	}
	intro := paragraphs(notes[0], strings.Join(notes[1:], " "))

	params := []jen.Code{jen.Id("ctx").Qual(ctxPkg, "Context")}
	argExpr := jen.Nil()
	params = append(params, jen.Id("args").Add(argType))
	switch {
	case noArgs:
	case pointer:
		// Typed arguments go through the codec (unknown members,
		// unions, [] for nil lists); a nil pointer sends none.
		argExpr = jen.Qual(fg.codecImport(), "Args").Call(jen.Id("args"))
	default:
		argExpr = jen.Id("args")
	}
	// CallOption is the connection layer's alias of runtime.CallOption,
	// so that the method reads without the runtime package.
	params = append(params, jen.Id("opts").Op("...").Id("CallOption"))
	optsExpr := jen.Id("opts").Op("...")
	if !c.SuccessResponse {
		optsExpr = jen.Id("noReply").Call(jen.Id("opts")).Op("...")
	}

	var results []jen.Code
	var body []jen.Code
	call := func(res jen.Code) *jen.Statement {
		return jen.Id("c").Dot("caller").Dot("Call").Call(jen.Id("ctx"), jen.Lit(c.Name), argExpr, res, optsExpr)
	}
	if c.Ret != nil && c.SuccessResponse && !isAny(c.Ret) {
		// Typed results are decoded by the codec (see Conn.call).
		call = func(res jen.Code) *jen.Statement {
			return jen.Id("c").Dot("call").Call(jen.Id("ctx"), jen.Lit(c.Name), argExpr, res, optsExpr)
		}
	}
	switch {
	case c.Ret == nil || !c.SuccessResponse:
		results = []jen.Code{jen.Error()}
		body = []jen.Code{jen.Return(call(jen.Nil()))}
	case resultIsPointer(c.Ret):
		results = []jen.Code{jen.Op("*").Add(fg.goType(c.Ret)), jen.Error()}
		body = []jen.Code{
			jen.Id("r").Op(":=").New(fg.goType(c.Ret)),
			jen.If(jen.Err().Op(":=").Add(call(jen.Id("r"))), jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Err())),
			jen.Return(jen.Id("r"), jen.Nil()),
		}
	default:
		results = []jen.Code{fg.goType(c.Ret), jen.Error()}
		body = []jen.Code{
			jen.Var().Id("r").Add(fg.goType(c.Ret)),
			jen.Err().Op(":=").Add(call(jen.Op("&").Id("r"))),
			jen.Return(jen.Id("r"), jen.Err()),
		}
	}
	fg.f.Add(fg.docComment(method, c, intro))
	fg.f.Func().Params(jen.Id("c").Op("*").Id("Conn")).Id(method).Params(params...).Params(results...).Block(body...)
	fg.f.Line()
}

// isAny reports whether t is the built-in any.
func isAny(t parser.Type) bool {
	b, ok := t.(*parser.BuiltinType)
	return ok && b.Name == "any"
}

// optionalArgs reports whether command c's typed arguments may be nil:
// when they are a struct (inline or boxed) with members, none of them
// required.
func optionalArgs(c *parser.Command) bool {
	o := c.Arg
	if o == nil || !c.Gen || o.IsUnion() || len(o.Members) == 0 {
		return false
	}
	return !hasRequired(o)
}

func (fg *fileGen) event(e *parser.Event) {
	id := fg.n.types[e]
	intro := id + " is the \"" + e.Name + "\" event."
	var fields []jen.Code
	switch a := e.Arg; {
	case a == nil:
		fields = fg.unknownMembers("")
	case a.IsImplicit():
		fields = fg.memberFields(a, e, id)
		fields = append(fields, fg.unknownMembers("")...)
	default:
		// The embedded type's UnknownMembers (and, for a union, its
		// methods) are promoted.
		fields = []jen.Code{jen.Id(fg.n.types[a])}
	}
	fg.f.Add(fg.docComment(id, e, intro))
	fg.f.Type().Id(id).Struct(fields...)
	fg.f.Line()
	fg.f.Add(comment(eventNameMethod + " returns the event's wire name, " + strconv.Quote(e.Name) + "."))
	fg.f.Func().Params(jen.Id(id)).Id(eventNameMethod).Params().String().Block(jen.Return(jen.Lit(e.Name)))
	fg.f.Line()
}

// featureNames lists feature names for the tables.
func featureNames(fs []*parser.Feature) jen.Code {
	if len(fs) == 0 {
		return nil
	}
	var v []jen.Code
	for _, f := range fs {
		v = append(v, jen.Lit(f.Name))
	}
	return jen.Index().String().Values(v...)
}

func newFunc(t jen.Code) jen.Code {
	return jen.Func().Params().Any().Block(jen.Return(jen.New(t)))
}

// common emits the client, the tables and the shared helpers.
func (fg *fileGen) common() {
	rt := fg.cfg.RuntimeImport
	f := fg.f
	f.Add(comment("Ptr returns a pointer to v, for optional members: Ptr(true), Ptr(\"name\")."))
	f.Func().Id("Ptr").Types(jen.Id("T").Any()).Params(jen.Id("v").Id("T")).Op("*").Id("T").Block(jen.Return(jen.Op("&").Id("v")))
	f.Line()

	f.Add(comment(`CommandSpec describes a command of the schema.`))
	f.Type().Id("CommandSpec").Struct(
		jen.Comment("Name is the command's wire name."), jen.Id("Name").String(),
		jen.Comment("Method is the name of the Conn method that sends it."), jen.Id("Method").String(),
		jen.Comment("Since is the schema's Since: text, \"\" when not documented."), jen.Id("Since").String(),
		jen.Comment("If is the build condition (\"CONFIG_X\", \"CONFIG_A && !CONFIG_B\"), \"\" when unconditional."), jen.Id("If").String(),
		jen.Comment("Features lists the command's features, deprecated and unstable included."), jen.Id("Features").Index().String(),
		jen.Comment("Deprecated and Unstable report the special features."), jen.List(jen.Id("Deprecated"), jen.Id("Unstable")).Bool(),
		jen.Comment("NoReply is set for 'success-response': false commands."), jen.Id("NoReply").Bool(),
		jen.Comment("AllowOOB, AllowPreconfig and Coroutine are the schema's flags."), jen.List(jen.Id("AllowOOB"), jen.Id("AllowPreconfig"), jen.Id("Coroutine")).Bool(),
		jen.Comment("Boxed is set when the arguments are a named type rather than inline members."), jen.Id("Boxed").Bool(),
		jen.Comment("FreeForm is set for 'gen': false commands, whose arguments are not typed."), jen.Id("FreeForm").Bool(),
		comment("NewArgs returns a pointer to a new zero arguments value; nil when the\ncommand takes no arguments or free-form ones."), jen.Id("NewArgs").Func().Params().Any(),
		comment("NewResult returns a pointer to a new zero result value; nil when the\ncommand returns nothing."), jen.Id("NewResult").Func().Params().Any(),
		comment(releaseFieldsDoc), jen.List(jen.Id("First"), jen.Id("Last")).String(), jen.Id("Missing").Index().String(),
	)
	f.Line()
	f.Add(comment("In reports whether QEMU release has the command; see [Releases]."))
	f.Func().Params(jen.Id("s").Op("*").Id("CommandSpec")).Id("In").Params(jen.Id("release").String()).Bool().Block(
		jen.Return(jen.Id("inReleases").Call(jen.Id("release"), jen.Id("s").Dot("First"), jen.Id("s").Dot("Last"), jen.Id("s").Dot("Missing"))))
	f.Line()
	f.Add(comment(`EventSpec describes an event of the schema.`))
	f.Type().Id("EventSpec").Struct(
		jen.Comment("Name is the event's wire name."), jen.Id("Name").String(),
		jen.Comment("Type is the name of the Go type of the event."), jen.Id("Type").String(),
		jen.Comment("Since, If, Features, Deprecated and Unstable are as in [CommandSpec]."),
		jen.Id("Since").String(), jen.Id("If").String(), jen.Id("Features").Index().String(), jen.List(jen.Id("Deprecated"), jen.Id("Unstable")).Bool(),
		jen.Comment("New returns a pointer to a new zero event value."), jen.Id("New").Func().Params().Any(),
		jen.Comment("First, Last and Missing are as in [CommandSpec]."), jen.List(jen.Id("First"), jen.Id("Last")).String(), jen.Id("Missing").Index().String(),
	)
	f.Line()
	f.Add(comment("In reports whether QEMU release sends the event; see [Releases]."))
	f.Func().Params(jen.Id("s").Op("*").Id("EventSpec")).Id("In").Params(jen.Id("release").String()).Bool().Block(
		jen.Return(jen.Id("inReleases").Call(jen.Id("release"), jen.Id("s").Dot("First"), jen.Id("s").Dot("Last"), jen.Id("s").Dot("Missing"))))
	f.Line()
	fg.releases()

	var cmds, evs []jen.Code
	var cmdList, evList []parser.Definition
	for _, d := range fg.s.Defs {
		switch d.(type) {
		case *parser.Command:
			cmdList = append(cmdList, d)
		case *parser.Event:
			evList = append(evList, d)
		}
	}
	sort.Slice(cmdList, func(i, j int) bool { return cmdList[i].Common().Name < cmdList[j].Common().Name })
	sort.Slice(evList, func(i, j int) bool { return evList[i].Common().Name < evList[j].Common().Name })
	flag := func(d jen.Dict, name string, v bool) {
		if v {
			d[jen.Id(name)] = jen.True()
		}
	}
	common := func(d jen.Dict, c *parser.Defn, def parser.Definition) {
		d[jen.Id("Name")] = jen.Lit(c.Name)
		if s := since(def); s != "" {
			d[jen.Id("Since")] = jen.Lit(s)
		}
		if c.If != nil {
			d[jen.Id("If")] = jen.Lit(c.If.Expr())
		}
		if fs := featureNames(c.Features); fs != nil {
			d[jen.Id("Features")] = fs
		}
		flag(d, "Deprecated", c.Deprecated())
		flag(d, "Unstable", c.Unstable())
		if r := fg.cfg.Range; r != nil {
			first, last, missing := r.rangeOf(defKey(c.Name))
			d[jen.Id("First")] = jen.Lit(first)
			d[jen.Id("Last")] = jen.Lit(last)
			if len(missing) > 0 {
				var v []jen.Code
				for _, m := range missing {
					v = append(v, jen.Lit(m))
				}
				d[jen.Id("Missing")] = jen.Index().String().Values(v...)
			}
		}
	}
	for _, d := range cmdList {
		c := d.(*parser.Command)
		dict := jen.Dict{}
		common(dict, &c.Defn, c)
		dict[jen.Id("Method")] = jen.Lit(fg.n.methods[c])
		flag(dict, "NoReply", !c.SuccessResponse)
		flag(dict, "AllowOOB", c.AllowOOB)
		flag(dict, "AllowPreconfig", c.AllowPreconfig)
		flag(dict, "Coroutine", c.Coroutine)
		flag(dict, "Boxed", c.Boxed)
		flag(dict, "FreeForm", !c.Gen)
		if c.Arg != nil && c.Gen && (!c.Arg.IsEmpty() || !c.Arg.IsImplicit()) {
			dict[jen.Id("NewArgs")] = newFunc(fg.goType(c.Arg))
		}
		if c.Ret != nil {
			dict[jen.Id("NewResult")] = newFunc(fg.goType(c.Ret))
		}
		cmds = append(cmds, jen.Lit(c.Name).Op(":").Values(dict))
	}
	for _, d := range evList {
		e := d.(*parser.Event)
		dict := jen.Dict{}
		common(dict, &e.Defn, e)
		dict[jen.Id("Type")] = jen.Lit(fg.n.types[e])
		dict[jen.Id("New")] = newFunc(jen.Id(fg.n.types[e]))
		evs = append(evs, jen.Lit(e.Name).Op(":").Values(dict))
	}
	f.Add(comment("Commands describes every command of the schema, keyed by wire name."))
	f.Var().Id("Commands").Op("=").Map(jen.String()).Op("*").Id("CommandSpec").Values(lines(cmds)...)
	f.Line()
	f.Add(comment("Events describes every event of the schema, keyed by wire name."))
	f.Var().Id("Events").Op("=").Map(jen.String()).Op("*").Id("EventSpec").Values(lines(evs)...)
	f.Line()
	f.Add(comment("DecodeEvent decodes a raw event into a pointer to its generated type (such as\n*ShutdownEvent). An event this package does not know is returned unchanged,\nas the runtime.Event it is, with a nil error."))
	f.Func().Id("DecodeEvent").Params(jen.Id("ev").Qual(rt, "Event")).Params(jen.Any(), jen.Error()).Block(
		jen.List(jen.Id("info"), jen.Id("ok")).Op(":=").Id("Events").Index(jen.Id("ev").Dot("Name")),
		jen.If(jen.Op("!").Id("ok")).Block(jen.Return(jen.Id("ev"), jen.Nil())),
		jen.Id("v").Op(":=").Id("info").Dot("New").Call(),
		jen.If(jen.Len(jen.Id("ev").Dot("Data")).Op(">").Lit(0).Op("&&").String().Call(jen.Id("ev").Dot("Data")).Op("!=").Lit("null")).Block(
			jen.If(jen.Err().Op(":=").Qual(fg.codecImport(), "Unmarshal").Call(jen.Id("ev").Dot("Data"), jen.Id("v")), jen.Err().Op("!=").Nil()).Block(
				jen.Return(jen.Nil(), jen.Qual("fmt", "Errorf").Call(jen.Lit("event %s: %w"), jen.Id("ev").Dot("Name"), jen.Err())))),
		jen.Return(jen.Id("v"), jen.Nil()),
	)
	f.Line()
	f.Add(comment("call sends command through c's Caller and decodes the reply's return value\ninto result, a pointer, with package codec. It asks the Caller for the raw\nvalue (which a session hands over without decoding it) so that the bytes\nare parsed once, by the codec, which keeps the members these bindings do\nnot know."))
	f.Func().Params(jen.Id("c").Op("*").Id("Conn")).Id("call").Params(
		jen.Id("ctx").Qual(ctxPkg, "Context"), jen.Id("command").String(), jen.List(jen.Id("args"), jen.Id("result")).Any(), jen.Id("opts").Op("...").Qual(rt, "CallOption"),
	).Error().Block(
		jen.Var().Id("raw").Qual(jsonPkg, "RawMessage"),
		jen.If(jen.Err().Op(":=").Id("c").Dot("caller").Dot("Call").Call(jen.Id("ctx"), jen.Id("command"), jen.Id("args"), jen.Op("&").Id("raw"), jen.Id("opts").Op("...")), jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Err())),
		jen.If(jen.Id("raw").Op("==").Nil()).Block(jen.Return(jen.Nil())), // a Caller that filled in nothing: the result stays zero, as with encoding/json
		jen.Return(jen.Qual(fg.codecImport(), "Unmarshal").Call(jen.Id("raw"), jen.Id("result"))),
	)
	f.Line()
	f.Comment("noReply adds runtime.NoReply to opts.")
	f.Func().Id("noReply").Params(jen.Id("opts").Index().Qual(rt, "CallOption")).Index().Qual(rt, "CallOption").Block(
		jen.Return(jen.Append(jen.Index().Qual(rt, "CallOption").Values(jen.Qual(rt, "NoReply").Call()), jen.Id("opts").Op("..."))))
}

func lines(cs []jen.Code) []jen.Code {
	var out []jen.Code
	for _, c := range cs {
		out = append(out, jen.Line().Add(c))
	}
	if len(out) > 0 {
		out = append(out, jen.Line())
	}
	return out
}
