package qgaserver_test

import (
	"os"
	"testing"

	"github.com/qapi-go/qapi/internal/leakcheck"
)

// TestMain runs the tests, then fails if a goroutine they started (a
// session, a server connection) outlived them.
func TestMain(m *testing.M) { os.Exit(leakcheck.Main(m)) }
