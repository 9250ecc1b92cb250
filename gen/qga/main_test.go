package qga_test

import (
	"fmt"
	"os"
	goruntime "runtime"
	"strings"
	"testing"
	"time"
)

// TestMain runs the tests, then fails if a goroutine of this module (a
// session's reader, a fake peer) outlived them.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if leaked := moduleGoroutines(5 * time.Second); leaked != "" {
			fmt.Fprintf(os.Stderr, "goroutines left running after the tests:\n%s\n", leaked)
			code = 1
		}
	}
	os.Exit(code)
}

// moduleGoroutines waits up to timeout for the goroutines running code of
// this module (other than this function's own) to exit, and returns the
// stacks of those still running.
func moduleGoroutines(timeout time.Duration) string {
	deadline := time.Now().Add(timeout)
	for {
		buf := make([]byte, 1<<20)
		buf = buf[:goruntime.Stack(buf, true)]
		var leaked []string
		for _, g := range strings.Split(string(buf), "\n\n") {
			if strings.Contains(g, "github.com/qapi-go/qapi/") && !strings.Contains(g, "moduleGoroutines") {
				leaked = append(leaked, g)
			}
		}
		if len(leaked) == 0 || time.Now().After(deadline) {
			return strings.Join(leaked, "\n\n")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
