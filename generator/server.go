package generator

import (
	"bytes"
	"fmt"
	"go/token"
	"sort"
	"strings"

	goparser "go/parser"

	"github.com/dave/jennifer/jen"

	"github.com/qapi-go/qapi/parser"
)

// The server side. QEMU's generator emits the marshalling QEMU uses to
// serve each command as well as to call it; so does this one, as a
// package of its own beside the bindings (GenerateServer), so that the
// many programs that only call QEMU never compile it. ServerFile holds,
// for the commands and events of the (possibly subset) schema:
//
//   - Server, an interface with one method per command: a context first,
//     the typed arguments in (always a pointer, as the client's methods
//     take them: see serverArgType), the typed result (or only an error)
//     out;
//   - UnimplementedServer, whose methods answer CommandNotFound, to embed
//     so that a command added by a later release does not break an
//     implementation (Server requires the embedding, as gRPC's generated
//     servers do);
//   - Register, the dispatcher: it adds every command to a server.Mux,
//     which checks the top-level members as QEMU's input visitor does;
//     each command's handler decodes the request into the typed
//     arguments and returns the typed result for the session to encode;
//   - Event and EmitEvent, the typed event sender (QMP).
//
// The wire (greeting, negotiation, framing, errors) is the runtime's
// server package; this file only types it.

// ServerFile is the name of the file GenerateServer writes.
const ServerFile = "qapi_server.go"

// DefaultServerImport is the import path of the runtime's server package.
const DefaultServerImport = DefaultRuntimeImport + "/server"

// ServerConfig configures GenerateServer.
type ServerConfig struct {
	// Package is the Go package name of the server package (required),
	// such as "qmpserver".
	Package string
	// BindingsImport is the import path of the package that Generate
	// writes for the same schema and Config (required): the server
	// package imports it for the argument, result and event types.
	BindingsImport string
	// HandWritten lists what the hand-written Go files in the server
	// package's directory declare (see [DeclarationsAt]); a generated
	// name that takes one of them is an error naming both places.
	HandWritten []Declared
}

// GenerateServer writes the server side of the bindings that
// Generate(s, cfg) writes, as package srv.Package importing them from
// srv.BindingsImport: one file, ServerFile. s and cfg must be what the
// bindings were generated with (a subset gives a subset server), so that
// both agree on every name.
func GenerateServer(s *parser.Schema, cfg Config, srv ServerConfig) ([]File, error) {
	if !isPackageName(srv.Package) {
		return nil, fmt.Errorf("generator: invalid server package name %q", srv.Package)
	}
	if srv.BindingsImport == "" {
		return nil, fmt.Errorf("generator: the server package needs the import path of the bindings (ServerConfig.BindingsImport)")
	}
	g, err := newGen(s, cfg)
	if err != nil {
		return nil, err
	}
	g.typesPkg = srv.BindingsImport
	fg := &fileGen{gen: g, f: g.newFileIn(srv.Package)}
	fg.server(srv)
	var buf bytes.Buffer
	if err := fg.f.Render(&buf); err != nil {
		return nil, fmt.Errorf("generator: %s: %v", ServerFile, err)
	}
	if err := serverClashes(buf.Bytes(), srv.HandWritten); err != nil {
		return nil, err
	}
	return []File{{Name: ServerFile, Content: buf.Bytes()}}, nil
}

// serverClashes reports, as NameClashes, every name that the generated
// server file src and a hand-written file of its package both declare.
// The names are read from src itself, so that none can be missed.
func serverClashes(src []byte, hand []Declared) error {
	if len(hand) == 0 {
		return nil
	}
	f, err := goparser.ParseFile(token.NewFileSet(), ServerFile, src, goparser.SkipObjectResolution)
	if err != nil {
		return fmt.Errorf("generator: %s: %v", ServerFile, err) // rendered by jen: cannot happen
	}
	ours := map[Declared]bool{}
	for _, d := range Declarations(f) {
		d.Pos = ""
		ours[d] = true
	}
	var clashes NameClashes
	for _, d := range hand {
		if !ours[Declared{Name: d.Name, Recv: d.Recv}] {
			continue
		}
		name, what := d.Name, "a declaration in a hand-written file"
		if d.Recv != "" {
			name, what = d.Recv+"."+d.Name, "a method or field of "+d.Recv+" in a hand-written file"
		}
		clashes = append(clashes, &NameClash{Name: name, Pos: d.Pos, What: what, PrevWhat: "the server package the generator writes in " + ServerFile})
	}
	if len(clashes) > 0 {
		return clashes
	}
	return nil
}

func (g *gen) serverImport() string {
	if g.cfg.RuntimeImport == DefaultRuntimeImport || g.cfg.RuntimeImport == "" {
		return DefaultServerImport
	}
	return g.cfg.RuntimeImport + "/server"
}

// serverArgType is the Go type a Server method takes its arguments as,
// by the rule the client's methods follow: a pointer to the arguments
// type (an empty NameArgs for a command without arguments), so that
// arguments a newer QEMU adds never change a method's signature; the
// dispatcher never passes nil. Free-form arguments are json.RawMessage.
func (g *gen) serverArgType(c *parser.Command) jen.Code {
	if !c.Gen {
		return jen.Qual(jsonPkg, "RawMessage")
	}
	return jen.Op("*").Add(g.serverArgElem(c))
}

// serverArgElem is the type serverArgType points to.
func (g *gen) serverArgElem(c *parser.Command) jen.Code {
	if c.Arg == nil {
		return g.typeRef(g.n.noArgs[c])
	}
	if c.Arg.IsImplicit() {
		return g.typeRef(g.n.types[c.Arg])
	}
	return g.goType(c.Arg)
}

// serverResult is the Go result type of a Server method, nil for an
// error alone.
func (g *gen) serverResult(c *parser.Command) jen.Code {
	if c.Ret == nil || !c.SuccessResponse {
		return nil
	}
	if resultIsPointer(c.Ret) {
		return jen.Op("*").Add(g.goType(c.Ret))
	}
	return g.goType(c.Ret)
}

// checkedParams reports whether the session checks c's top-level
// argument members, and which they are: for commands without arguments
// (none may be sent) and with struct arguments; not for unions (whose
// members depend on the branch) or free-form ones.
func checkedParams(c *parser.Command) (bool, []*parser.ObjectMember) {
	if !c.Gen {
		return false, nil
	}
	if c.Arg == nil {
		return true, nil
	}
	if c.Arg.IsUnion() {
		return false, nil
	}
	return true, c.Arg.Members
}

func (fg *fileGen) server(cfg ServerConfig) {
	srv := fg.serverImport()
	bindings := fg.cfg.Package
	f := fg.f
	var cmds []*parser.Command
	var evs []*parser.Event
	for _, d := range fg.s.Defs {
		switch d := d.(type) {
		case *parser.Command:
			cmds = append(cmds, d)
		case *parser.Event:
			evs = append(evs, d)
		}
	}
	sort.Slice(cmds, func(i, j int) bool { return fg.n.methods[cmds[i]] < fg.n.methods[cmds[j]] })
	sort.Slice(evs, func(i, j int) bool { return evs[i].Name < evs[j].Name })

	pkgDoc := "Package " + cfg.Package + " is the server side of package " + bindings + " (" + fg.typesPkg + "):\n" +
		"a Server interface with one method per command, UnimplementedServer to\n" +
		"embed in implementations, and Register, which serves a Server on a\n" +
		"server.Mux of package " + srv + "."
	if len(evs) > 0 {
		pkgDoc += "\nEmitEvent sends the package's events to clients."
	}
	pkgDoc += "\n\nIt is generated beside the bindings as a package of its own, so that\n" +
		"programs that only call QEMU never compile it."
	for _, l := range strings.Split(pkgDoc, "\n") {
		f.PackageComment(l)
	}

	// Server.
	var methods []jen.Code
	for _, c := range cmds {
		params := []jen.Code{jen.Id("ctx").Qual(ctxPkg, "Context")}
		params = append(params, jen.Id("args").Add(fg.serverArgType(c)))
		results := []jen.Code{jen.Error()}
		if r := fg.serverResult(c); r != nil {
			results = []jen.Code{r, jen.Error()}
		}
		doc := fg.n.methods[c] + " serves \"" + c.Name + "\" (see [" + bindings + ".Conn." + fg.n.methods[c] + "])."
		if !c.SuccessResponse {
			doc += " Nothing is sent when it succeeds ('success-response': false)."
		}
		if c.AllowOOB {
			doc += " It may run out of band, on the connection's reader: it must not block."
		}
		if len(methods) > 0 {
			methods = append(methods, jen.Line())
		}
		methods = append(methods, comment(doc), jen.Id(fg.n.methods[c]).Params(params...).Params(results...))
	}
	if len(methods) > 0 {
		methods = append(methods, jen.Line())
	}
	methods = append(methods, jen.Id("mustEmbedUnimplementedServer").Params())
	f.Add(comment(`Server is the server side of package ` + bindings + `'s commands: one method
per command, the typed arguments in, the typed result or an error out.
Serve it with Register and a server.Server of package
` + srv + `.

A method's context is the request (server.RequestFrom returns it, with
the file descriptors that came with it and the connection to send events
to); it ends when the connection does. An error carrying a QMP class
(server.Error, a *runtime.CommandError) is answered with that class, any
other error as a GenericError with its text; a panic is answered as a
GenericError and logged.

Implementations embed UnimplementedServer, which answers every command
they do not implement as a QEMU without it would, so that commands a
later schema adds do not break them.`))
	f.Type().Id("Server").Interface(methods...)
	f.Line()

	// UnimplementedServer.
	f.Add(comment(`UnimplementedServer answers every command with server.ErrUnimplemented,
which the session sends as CommandNotFound ("The command X has not been
found"). Embed it in Server implementations.`))
	f.Type().Id("UnimplementedServer").Struct()
	f.Line()
	for _, c := range cmds {
		params := []jen.Code{jen.Qual(ctxPkg, "Context")}
		params = append(params, fg.serverArgType(c))
		var results []jen.Code
		var ret jen.Code
		if r := fg.serverResult(c); r != nil {
			results = []jen.Code{jen.Id("r").Add(r), jen.Id("err").Error()}
			ret = jen.List(jen.Id("r"), jen.Qual(srv, "ErrUnimplemented"))
		} else {
			results = []jen.Code{jen.Error()}
			ret = jen.Qual(srv, "ErrUnimplemented")
		}
		f.Func().Params(jen.Id("UnimplementedServer")).Id(fg.n.methods[c]).Params(params...).Params(results...).Block(jen.Return(ret))
	}
	f.Func().Params(jen.Id("UnimplementedServer")).Id("mustEmbedUnimplementedServer").Params().Block()
	f.Line()

	fg.register(cmds, srv)

	if len(evs) > 0 {
		fg.emitEvent(evs, srv, bindings)
	}
}

// register emits Register and what it reads: the commands' flags and
// parameters as a static table, which costs the compiler next to
// nothing, and one function, serve, whose switch on the command's index
// in the table decodes the arguments and calls the Server's method.
// (A closure per command compiled much slower, and so did a generic
// adapter, instantiated per command: see BenchmarkCompileQMP.)
func (fg *fileGen) register(cmds []*parser.Command, srv string) {
	f := fg.f
	var entries, cases []jen.Code
	for i, c := range cmds {
		d := jen.Dict{jen.Id("Name"): jen.Lit(c.Name)}
		if c.AllowOOB {
			d[jen.Id("AllowOOB")] = jen.True()
		}
		if !c.SuccessResponse {
			d[jen.Id("NoReply")] = jen.True()
		}
		if check, members := checkedParams(c); check {
			d[jen.Id("CheckParams")] = jen.True()
			var ps []jen.Code
			for _, m := range members {
				pd := jen.Dict{jen.Id("Name"): jen.Lit(m.Name)}
				if m.Optional {
					pd[jen.Id("Optional")] = jen.True()
				}
				ps = append(ps, jen.Values(pd))
			}
			if len(ps) > 0 {
				d[jen.Id("Params")] = jen.Index().Qual(srv, "Param").Values(ps...)
			}
		}
		entries = append(entries, jen.Values(d))

		var body []jen.Code
		call := []jen.Code{jen.Id("ctx")}
		switch {
		case !c.Gen:
			call = append(call, jen.Id("req").Dot("Args"))
		case c.Arg == nil:
			// CheckParams has refused any argument.
			call = append(call, jen.Op("&").Add(fg.serverArgElem(c)).Values())
		default:
			body = append(body,
				jen.Id("args").Op(":=").New(fg.serverArgElem(c)),
				jen.If(jen.Err().Op(":=").Id("req").Dot("Decode").Call(jen.Id("args")), jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Err())))
			call = append(call, jen.Id("args"))
		}
		invoke := jen.Id("s").Dot(fg.n.methods[c]).Call(call...)
		if fg.serverResult(c) != nil {
			body = append(body,
				jen.List(jen.Id("r"), jen.Err()).Op(":=").Add(invoke),
				jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Err())),
				jen.Return(jen.Id("r"), jen.Nil()))
		} else {
			body = append(body, jen.Return(jen.Nil(), invoke))
		}
		cases = append(cases, jen.Case(jen.Lit(i)).Block(append([]jen.Code{jen.Comment(c.Name)}, body...)...))
	}
	runType := []jen.Code{jen.Id("ctx").Qual(ctxPkg, "Context"), jen.Id("req").Op("*").Qual(srv, "Request")}
	f.Add(comment(`Register adds every command of the package to m, answered by s: each
request's arguments are checked and decoded into the typed arguments (a
missing or unknown member, or one of the wrong type, is answered with
the error QEMU sends), and the typed result is encoded as the reply.`))
	f.Func().Id("Register").Params(jen.Id("m").Op("*").Qual(srv, "Mux"), jen.Id("s").Id("Server")).Block(
		jen.For(jen.List(jen.Id("i"), jen.Id("c")).Op(":=").Range().Id("commands")).Block(
			jen.Id("c").Dot("Run").Op("=").Func().Params(runType...).Params(jen.Any(), jen.Error()).Block(
				jen.Return(jen.Id("serve").Call(jen.Id("s"), jen.Id("i"), jen.Id("ctx"), jen.Id("req")))),
			jen.Id("m").Dot("Handle").Call(jen.Id("c")),
		))
	f.Line()
	f.Add(comment(`commands are the package's commands, without their Run functions,
which serve is (by index).`))
	f.Var().Id("commands").Op("=").Index(jen.Op("...")).Qual(srv, "Command").Values(entries...)
	f.Line()
	f.Add(comment(`serve runs commands[i] on s: it decodes the request's arguments into
the typed arguments and calls the command's method.`))
	cases = append(cases, jen.Default().Block(jen.Panic(jen.Lit("unreachable: serve called with an index outside commands"))))
	f.Func().Id("serve").Params(append([]jen.Code{jen.Id("s").Id("Server"), jen.Id("i").Int()}, runType...)...).Params(jen.Any(), jen.Error()).Block(
		jen.Switch(jen.Id("i")).Block(cases...))
	f.Line()
}

// emitEvent emits Event and EmitEvent.
func (fg *fileGen) emitEvent(evs []*parser.Event, srv, bindings string) {
	f := fg.f
	var bare []jen.Code
	for _, e := range evs {
		if e.Arg == nil || e.Arg.IsEmpty() {
			bare = append(bare, jen.Lit(e.Name))
		}
	}
	f.Add(comment(`Event is what EmitEvent sends: the event types of package ` + bindings + `
(such as *` + bindings + `.` + fg.n.types[evs[0]] + `) have its method, and so may a type of
one's own for an event the package does not know.`))
	f.Type().Id("Event").Interface(jen.Id("EventName").Params().String())
	f.Line()
	f.Add(comment(`EmitEvent sends ev to one client (a *server.Conn, such as a request's
Conn) or to every client (a *server.Server), with the current time. An
event the schema declares without data is sent without a "data" member,
as QEMU sends it.`))
	body := []jen.Code{jen.Id("name").Op(":=").Id("ev").Dot("EventName").Call()}
	if len(bare) > 0 {
		body = append(body, jen.Switch(jen.Id("name")).Block(
			jen.Case(bare...).Block(jen.Return(jen.Id("to").Dot("Emit").Call(jen.Id("name"), jen.Nil())))))
	}
	body = append(body, jen.Return(jen.Id("to").Dot("Emit").Call(jen.Id("name"), jen.Id("ev"))))
	f.Func().Id("EmitEvent").Params(jen.Id("to").Qual(srv, "Emitter"), jen.Id("ev").Id("Event")).Error().Block(body...)
}
