// Package leakcheck finds goroutines a test leaves behind. It compares
// the goroutines running when the test starts with those running when it
// ends, retrying for a while so that goroutines on their way out are not
// reported.
//
//	func TestX(t *testing.T) {
//		leakcheck.Check(t) // first, so that its cleanup runs last
//		...
//	}
package leakcheck

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// Timeout is how long Check waits for new goroutines to exit.
var Timeout = 5 * time.Second

// Check snapshots the running goroutines and registers a cleanup that
// fails tb if goroutines started since are still running when the test
// and its later-registered cleanups have finished. Call it before
// anything registers a cleanup that stops goroutines (cleanups run last
// registered, first run).
func Check(tb testing.TB) {
	tb.Helper()
	before := ids(stacks())
	tb.Cleanup(func() {
		deadline := time.Now().Add(Timeout)
		delay := time.Millisecond
		for {
			leaked := Leaked(before)
			if len(leaked) == 0 {
				return
			}
			if time.Now().After(deadline) {
				tb.Errorf("leakcheck: %d goroutine(s) leaked:\n\n%s", len(leaked), strings.Join(leaked, "\n\n"))
				return
			}
			time.Sleep(delay)
			delay = min(2*delay, 100*time.Millisecond)
		}
	})
}

// Snapshot returns the ids of the goroutines running now, for Leaked.
func Snapshot() map[string]bool { return ids(stacks()) }

// Leaked returns the stacks of the goroutines running now that are not
// in before and are not the runtime's or the testing package's own.
func Leaked(before map[string]bool) []string {
	var out []string
	for _, g := range stacks() {
		if before[id(g)] || ignored(g) {
			continue
		}
		out = append(out, g)
	}
	return out
}

func stacks() []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var out []string
	for _, g := range bytes.Split(buf, []byte("\n\n")) {
		if s := strings.TrimSpace(string(g)); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// id is the "goroutine N" prefix of a stack.
func id(g string) string {
	if i := strings.Index(g, " ["); i > 0 {
		return g[:i]
	}
	return g
}

func ids(gs []string) map[string]bool {
	m := make(map[string]bool, len(gs))
	for _, g := range gs {
		m[id(g)] = true
	}
	return m
}

// ignoredFuncs are goroutines that belong to the runtime or the test
// harness, or are the caller itself.
var ignoredFuncs = []string{
	"testing.tRunner(",
	"testing.(*T).Run(",
	"testing.(*M).",
	"testing.runTests",
	"testing.runFuzzing",
	"runtime.goexit",
	"os/signal.signal_recv",
	"os/signal.loop",
	"runtime.ensureSigM",
	"created by runtime.gc",
	"runtime/trace.",
	"internal/leakcheck.stacks",
}

func ignored(g string) bool {
	lines := strings.Split(g, "\n")
	if len(lines) < 2 {
		return true
	}
	// The top function of the stack, and the creator.
	top := lines[1]
	if slices.ContainsFunc(ignoredFuncs, func(f string) bool { return strings.HasPrefix(top, f) }) {
		return true
	}
	// A goroutine running the test function itself (or a subtest's).
	for _, l := range lines {
		if strings.HasPrefix(l, "created by testing.(*T).Run") ||
			strings.HasPrefix(l, "created by testing.runTests") ||
			strings.HasPrefix(l, "created by testing.(*M).") {
			return true
		}
		if strings.Contains(l, "internal/leakcheck.stacks") {
			return true
		}
	}
	return false
}

// Main runs a package's tests and then fails the run if goroutines
// started during them are still running after Timeout: for TestMain in
// packages whose tests share sessions or peers across tests.
//
//	func TestMain(m *testing.M) { os.Exit(leakcheck.Main(m)) }
func Main(m *testing.M) int {
	before := Snapshot()
	code := m.Run()
	if code != 0 {
		return code
	}
	deadline := time.Now().Add(Timeout)
	for {
		leaked := Leaked(before)
		if len(leaked) == 0 {
			return 0
		}
		if time.Now().After(deadline) {
			fmt.Fprintf(os.Stderr, "leakcheck: %d goroutine(s) left running after the tests:\n\n%s\n", len(leaked), strings.Join(leaked, "\n\n"))
			return 1
		}
		time.Sleep(20 * time.Millisecond)
	}
}
