package main

import (
	"strings"
	"testing"
)

func TestCommandHelp(t *testing.T) {
	cat, err := loadQMPCatalog()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		want []string
	}{
		{name: "balloon", want: []string{"balloon value=…\n", "value: an integer (int)", "Since: 0.14"}},
		{name: "block-job-complete", want: []string{"DEPRECATED", "Since: 1.3"}},
		{name: "blockdev-add", want: []string{"Arguments (BlockdevOptions):", "driver: BlockdevDriver (one of", "…and the members of the branch 'driver' selects"}},
		{name: "no-such-command", want: []string{"no-such-command: the bindings (QEMU 10.2.2) know no such command"}},
	}
	for _, tt := range tests {
		var b strings.Builder
		writeCommandHelp(&b, cat, tt.name, nil)
		for _, w := range tt.want {
			if !strings.Contains(b.String(), w) {
				t.Errorf("help %s lacks %q:\n%s", tt.name, w, b.String())
			}
		}
	}
}

func TestSocketAddress(t *testing.T) {
	tests := []struct{ in, network, address string }{
		{"/run/vm/qmp.sock", "unix", "/run/vm/qmp.sock"},
		{"qmp.sock", "unix", "qmp.sock"},
		{"localhost:4444", "tcp", "localhost:4444"},
		{"[::1]:4444", "tcp", "[::1]:4444"},
		{"./host:4444", "unix", "./host:4444"},
	}
	for _, tt := range tests {
		n, a := socketAddress(tt.in)
		if n != tt.network || a != tt.address {
			t.Errorf("socketAddress(%q) = %s %s, want %s %s", tt.in, n, a, tt.network, tt.address)
		}
	}
}
