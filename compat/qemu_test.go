package compat

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/qapi-go/qapi/internal/qemutest"
	"github.com/qapi-go/qapi/runtime"
)

// TestCheckRealQEMU compares the vendored 10.2.2 schema with the
// installed QEMU (Debian 12: 7.2) and checks facts that hold for any QEMU
// from 7.2 on, plus, for 7.2 itself, what it is known to lack.
func TestCheckRealQEMU(t *testing.T) {
	if testing.Short() {
		t.Skip("starts QEMU; skipped in -short mode")
	}
	qemu := qemutest.Start(t)
	bindings, err := EmbeddedQMP()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	q, err := runtime.DialQMP(ctx, "unix", qemu.Socket)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	r, err := Check(ctx, q, bindings)
	if err != nil {
		t.Fatal(err)
	}
	v := q.Greeting().Version
	r.QEMU = v.String()
	var text bytes.Buffer
	r.WriteText(&text)
	t.Logf("compat report against QEMU %s:\n%s", r.QEMU, text.String())

	missing := map[string]bool{}
	for _, d := range r.MissingCommands {
		missing[d.Name] = true
	}
	for _, c := range []string{"query-status", "query-version", "qmp_capabilities", "query-qmp-schema", "blockdev-add", "device_add", "quit"} {
		if missing[c] {
			t.Errorf("report says QEMU %s lacks %s", r.QEMU, c)
		}
	}
	for _, d := range r.Differences {
		if d.Where == "command query-version" || d.Where == "command qmp_capabilities" {
			t.Errorf("unexpected difference in a stable command: %s: %s", d.Where, d)
		}
	}

	if v.Major != 7 || v.Minor != 2 {
		t.Logf("QEMU %s is not 7.2: skipping the 7.2-specific checks", r.QEMU)
		return
	}
	// Commands added after 7.2.
	for _, c := range []string{"blockdev-set-active", "query-accelerators", "block-job-change", "query-cryptodev"} {
		if !missing[c] {
			t.Errorf("report does not say 7.2 lacks %s", c)
		}
	}
	// Removed after 7.2 (RDMA migration's query, 9.1).
	extra := map[string]bool{}
	for _, c := range r.ExtraCommands {
		extra[c] = true
	}
	if !extra["x-query-rdma"] {
		t.Errorf("report does not list x-query-rdma as a command only 7.2 has: %v", r.ExtraCommands)
	}
	// Members and enum values added after 7.2.
	want := []Difference{
		{Kind: MemberMissing, Where: "command block-commit", Path: "arguments", Name: "backing-mask-protocol"},
		{Kind: EnumValueMissing, Where: "command chardev-add", Path: "arguments.backend.type", Type: "ChardevBackendKind", Name: "hub"},
		{Kind: BranchMissing, Where: "command chardev-add", Path: "arguments.backend", Type: "ChardevBackend", Name: "hub"},
		// ChardevSocket's reconnect became reconnect-ms in 9.2.
		{Kind: MemberExtra, Where: "command chardev-add", Path: "arguments.backend{type=socket}.data", Type: "ChardevSocket", Name: "reconnect"},
	}
	for _, w := range want {
		found := false
		for _, d := range r.Differences {
			if d.Kind == w.Kind && d.Where == w.Where && d.Path == w.Path && d.Type == w.Type && d.Name == w.Name {
				found = true
			}
		}
		if !found {
			t.Errorf("report lacks %s %s: %s", w.Kind, w.Where, w)
		}
	}
}
