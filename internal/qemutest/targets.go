package qemutest

import (
	"strings"
	"testing"
)

// QEMU system emulators of targets other than x86_64, run by the tests
// that check target-specific commands and members (arm's GIC, s390x's
// CPU models, CpuInfoFast's per-target branches, other boards'
// machines). Debian 12 packages them for QEMU 7.2 as qemu-system-arm
// (aarch64) and qemu-system-misc (s390x, riscv64, ...).
const (
	Aarch64Binary = "qemu-system-aarch64"
	S390xBinary   = "qemu-system-s390x"
)

// RequireAarch64 returns the path of qemu-system-aarch64
// (QEMUTEST_QEMU_AARCH64 overrides the lookup), or skips tb (fails it
// under CI=true).
func RequireAarch64(tb testing.TB) string {
	tb.Helper()
	return Find(tb, Aarch64Binary, targetEnv(Aarch64Binary))
}

// RequireS390x returns the path of qemu-system-s390x
// (QEMUTEST_QEMU_S390X overrides the lookup), or skips tb (fails it
// under CI=true).
func RequireS390x(tb testing.TB) string {
	tb.Helper()
	return Find(tb, S390xBinary, targetEnv(S390xBinary))
}

// targetEnv names the variable that overrides the lookup of a target's
// emulator: QEMUTEST_QEMU_AARCH64 for qemu-system-aarch64.
func targetEnv(bin string) string {
	return "QEMUTEST_QEMU_" + strings.ToUpper(strings.TrimPrefix(bin, "qemu-system-"))
}
