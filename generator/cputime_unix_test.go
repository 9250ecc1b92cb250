//go:build unix

package generator_test

import (
	"syscall"
	"time"
)

// cpuTime is the process's user+system CPU time so far, so that
// benchmarks can report CPU per operation, which a loaded machine
// distorts far less than wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
