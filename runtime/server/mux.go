package server

import (
	"context"
	"errors"
	"sort"
	"sync"
)

// Handler finds the command a request names. *Mux is the usual Handler;
// the generated server packages' Register functions fill one from a
// typed Server.
type Handler interface {
	// Lookup returns the command called name, or nil when there is none
	// (the request is answered with CommandNotFound, as QEMU answers a
	// command it does not have).
	Lookup(name string) *Command
}

// Command is one command a server answers.
type Command struct {
	// Name is the command's wire name.
	Name string
	// AllowOOB lets clients send the command with "exec-oob" (QMP). An
	// out-of-band command runs on the connection's reader as soon as it
	// arrives, overtaking queued in-band ones, so it must not block.
	AllowOOB bool
	// NoReply marks a command declared with 'success-response': false:
	// nothing is sent when it succeeds (an error is still answered).
	NoReply bool
	// Params lists the top-level members of the arguments when the
	// session is to check them as QEMU's input visitor does: a required
	// one missing is "Parameter 'x' is missing", an unknown one
	// "Parameter 'x' is unexpected". Set CheckParams to check (an empty
	// Params then means the command takes no arguments).
	Params      []Param
	CheckParams bool
	// Run executes the command. Its result is encoded with encoding/json
	// (a json.RawMessage or []byte is sent as is); nil sends {} (what
	// QEMU returns for commands without a return value). See Request for
	// what ctx carries and ErrorReply for how errors are answered.
	Run func(ctx context.Context, req *Request) (any, error)
}

// Param is a top-level member of a command's arguments.
type Param struct {
	Name     string
	Optional bool
}

// ErrUnimplemented is what the methods of a generated UnimplementedServer
// return: the session answers it with CommandNotFound, "The command X has
// not been found", exactly as a QEMU without the command does; for
// guest-sync and guest-sync-delimited a QGA session answers with its
// built-in implementation instead.
var ErrUnimplemented = errors.New("command not implemented")

// Mux is a Handler holding commands by name. It is safe for concurrent
// use; commands may be added while it serves.
type Mux struct {
	mu   sync.RWMutex
	cmds map[string]*Command
}

// NewMux returns an empty Mux.
func NewMux() *Mux { return &Mux{cmds: map[string]*Command{}} }

// Handle adds c, replacing a command of the same name.
func (m *Mux) Handle(c Command) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cmds[c.Name] = &c
}

// HandleFunc adds a command without arguments checks: f decodes
// req.Args itself (Request.Decode).
func (m *Mux) HandleFunc(name string, f func(ctx context.Context, req *Request) (any, error)) {
	m.Handle(Command{Name: name, Run: f})
}

// Remove removes the command called name.
func (m *Mux) Remove(name string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.cmds, name)
}

// Lookup implements Handler.
func (m *Mux) Lookup(name string) *Command {
	m.mu.RLock()
	c := m.cmds[name]
	m.mu.RUnlock()
	return c
}

// Names returns the names of the commands, sorted.
func (m *Mux) Names() []string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	names := make([]string, 0, len(m.cmds))
	for n := range m.cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
