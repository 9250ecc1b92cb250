package generator

import (
	"sort"

	"github.com/dave/jennifer/jen"

	"github.com/qapi-go/qapi/parser"
)

// The server side. QEMU's generator emits the marshalling QEMU uses to
// serve each command as well as to call it; so does this one. ServerFile
// holds, for the commands and events of the (possibly subset) schema:
//
//   - Server, an interface with one method per command: a context first,
//     the typed arguments in (always a pointer, as the client's methods
//     take them: see serverArgType), the typed result (or only an error)
//     out;
//   - UnimplementedServer, whose methods answer CommandNotFound, to embed
//     so that a command added by a later release does not break an
//     implementation (Server requires the embedding, as gRPC's generated
//     servers do);
//   - RegisterServer, the dispatcher: it adds every command to a
//     server.Mux, decoding the request into the typed arguments, checking
//     the top-level members as QEMU's input visitor does, and encoding the
//     typed result;
//   - ServerEvent and EmitEvent, typed event senders.
//
// The wire (greeting, negotiation, framing, errors) is the runtime's
// server package; this file only types it.

// ServerFile is the name of the generated file holding the server side.
const ServerFile = "qapi_server.go"

// DefaultServerImport is the import path of the runtime's server package.
const DefaultServerImport = DefaultRuntimeImport + "/server"

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
		return jen.Id(g.n.noArgs[c])
	}
	if c.Arg.IsImplicit() {
		return jen.Id(g.n.types[c.Arg])
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

func (fg *fileGen) server() {
	srv := fg.serverImport()
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

	// Server.
	var methods []jen.Code
	for _, c := range cmds {
		params := []jen.Code{jen.Id("ctx").Qual(ctxPkg, "Context")}
		params = append(params, jen.Id("args").Add(fg.serverArgType(c)))
		results := []jen.Code{jen.Error()}
		if r := fg.serverResult(c); r != nil {
			results = []jen.Code{r, jen.Error()}
		}
		doc := fg.n.methods[c] + " serves \"" + c.Name + "\"."
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
	methods = append(methods, jen.Line(), jen.Id("mustEmbedUnimplementedServer").Params())
	f.Add(comment(`Server is the server side of this package's commands: one method per
command, the typed arguments in, the typed result or an error out. Serve
it with RegisterServer and a server.Server of package
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
			results = []jen.Code{r, jen.Error()}
			ret = jen.List(jen.Id("r"), jen.Qual(srv, "ErrUnimplemented"))
			results[0] = jen.Id("r").Add(r)
			results[1] = jen.Id("err").Error()
		} else {
			results = []jen.Code{jen.Error()}
			ret = jen.Qual(srv, "ErrUnimplemented")
		}
		f.Func().Params(jen.Id("UnimplementedServer")).Id(fg.n.methods[c]).Params(params...).Params(results...).Block(jen.Return(ret))
	}
	f.Func().Params(jen.Id("UnimplementedServer")).Id("mustEmbedUnimplementedServer").Params().Block()
	f.Line()

	// RegisterServer.
	var regs []jen.Code
	for _, c := range cmds {
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
		d[jen.Id("Run")] = jen.Func().Params(jen.Id("ctx").Qual(ctxPkg, "Context"), jen.Id("req").Op("*").Qual(srv, "Request")).Params(jen.Any(), jen.Error()).Block(body...)
		regs = append(regs, jen.Id("m").Dot("Handle").Call(jen.Qual(srv, "Command").Values(d)))
	}
	f.Add(comment(`RegisterServer adds every command of this package to m, answered by s:
each request's arguments are checked and decoded into the typed arguments
(a missing or unknown member, or one of the wrong type, is answered with
the error QEMU sends), and the typed result is encoded as the reply.`))
	f.Func().Id("RegisterServer").Params(jen.Id("m").Op("*").Qual(srv, "Mux"), jen.Id("s").Id("Server")).Block(regs...)
	f.Line()

	// Events.
	f.Add(comment(`ServerEvent is implemented by the pointer types of this package's events
(such as *` + firstEventType(fg, evs) + `), for EmitEvent.`))
	f.Type().Id("ServerEvent").Interface(jen.Id("qapiEvent").Params().Params(jen.Id("name").String(), jen.Id("hasData").Bool()))
	f.Line()
	f.Add(comment(`EmitEvent sends ev to one client (a *server.Conn, such as a request's
Conn) or to every client (a *server.Server), with the current time.`))
	f.Func().Id("EmitEvent").Params(jen.Id("to").Qual(srv, "Emitter"), jen.Id("ev").Id("ServerEvent")).Error().Block(
		jen.List(jen.Id("name"), jen.Id("hasData")).Op(":=").Id("ev").Dot("qapiEvent").Call(),
		jen.If(jen.Op("!").Id("hasData")).Block(jen.Return(jen.Id("to").Dot("Emit").Call(jen.Id("name"), jen.Nil()))),
		jen.Return(jen.Id("to").Dot("Emit").Call(jen.Id("name"), jen.Id("ev"))),
	)
	f.Line()
	for _, e := range evs {
		hasData := e.Arg != nil && !e.Arg.IsEmpty()
		f.Func().Params(jen.Op("*").Id(fg.n.types[e])).Id("qapiEvent").Params().Params(jen.String(), jen.Bool()).Block(
			jen.Return(jen.Lit(e.Name), jen.Lit(hasData)))
	}
}

func firstEventType(fg *fileGen, evs []*parser.Event) string {
	if len(evs) == 0 {
		return "XEvent"
	}
	return fg.n.types[evs[0]]
}
