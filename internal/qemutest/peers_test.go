package qemutest

import "testing"

func TestPeerInRange(t *testing.T) {
	releases := []string{"7.2", "10.0", "10.2"}
	tests := []struct {
		peer string
		want bool
	}{
		{"qemu-7.2", true},
		{"qemu-7.2-aarch64", true},
		{"qemu-7.2-s390x", true},
		{"qga-10.0", true},
		{"qemu-11.1", false},
		{"qemu-11.1-aarch64", false},
		{"qemu-7.1-s390x", false},
		{"qemu", false},
		{"7.2", false},
	}
	for _, tt := range tests {
		if got := PeerInRange(tt.peer, releases); got != tt.want {
			t.Errorf("PeerInRange(%q) = %v, want %v", tt.peer, got, tt.want)
		}
	}
}

func TestTargetEnv(t *testing.T) {
	for bin, want := range map[string]string{
		Aarch64Binary: "QEMUTEST_QEMU_AARCH64",
		S390xBinary:   "QEMUTEST_QEMU_S390X",
	} {
		if got := targetEnv(bin); got != want {
			t.Errorf("targetEnv(%q) = %q, want %q", bin, got, want)
		}
	}
}
