package qga_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/qapi-go/qapi/gen/qga"
	"github.com/qapi-go/qapi/runtime/fakepeer"
)

// TestDecodeNewerAndOlderAgents feeds the typed API replies from agents
// other than 10.2.2: members the bindings lack, optional members missing,
// enum values and union branches they do not know. All must decode, and
// an unknown union branch must re-encode unchanged.
func TestDecodeNewerAndOlderAgents(t *testing.T) {
	fsinfo := `[{"name": "vda1", "mountpoint": "/", "type": "ext4",
		"disk": [{"pci-controller": {"domain": 0, "bus": 0, "slot": 4, "function": 0},
		          "bus-type": "cxl-future", "bus": 0, "target": 0, "unit": 0, "dev": "/dev/vda",
		          "new-member": {"x": 1}}]}]`
	ifaces := `[{"name": "eth0", "ip-addresses": [{"ip-address": "fe80::1", "ip-address-type": "ipv6", "prefix": 64},
		{"ip-address": "x", "ip-address-type": "ipx", "prefix": 1}]},
		{"name": "lo"}]`
	cpustats := `[{"type": "linux", "cpu": 0, "user": 1, "nice": 2, "system": 3, "idle": 4},
		{"type": "freebsd", "cpu": 1, "ticks": [1, 2]}]`
	conn, _ := fakepeer.NewQGA(t,
		fakepeer.Expect("guest-get-fsinfo"), fakepeer.Reply(json.RawMessage(fsinfo)),
		fakepeer.Expect("guest-network-get-interfaces"), fakepeer.Reply(json.RawMessage(ifaces)),
		fakepeer.Expect("guest-get-cpustats"), fakepeer.Reply(json.RawMessage(cpustats)),
		fakepeer.Expect("guest-fsfreeze-status"), fakepeer.Reply("melting"),
	)
	ctx := context.Background()
	ga, err := qga.New(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	defer ga.Close()

	fs, err := ga.GuestGetFsinfo(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := fs[0].Disk[0]; d.BusType != "cxl-future" || d.PCIController.Slot != 4 || *d.Dev != "/dev/vda" || fs[0].UsedBytes != nil {
		t.Errorf("fsinfo decoded as %+v", fs[0])
	}

	ifs, err := ga.GuestNetworkGetInterfaces(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(ifs) != 2 || ifs[0].IPAddresses[1].IPAddressType != "ipx" || ifs[1].IPAddresses != nil || ifs[1].HardwareAddress != nil {
		t.Errorf("interfaces decoded as %+v", ifs)
	}

	stats, err := ga.GuestGetCpustats(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if stats[0].Type != qga.GuestCpuStatsTypeLinux || stats[0].Linux == nil || stats[0].Linux.Idle != 4 || stats[0].Linux.Iowait != nil {
		t.Errorf("linux branch decoded as %+v / %+v", stats[0], stats[0].Linux)
	}
	if stats[1].Type != "freebsd" || stats[1].Linux != nil || len(stats[1].UnknownMembers) != 2 {
		t.Errorf("unknown branch decoded as %+v", stats[1])
	}
	b, err := json.Marshal(stats[1])
	if err != nil {
		t.Fatal(err)
	}
	var got, want any
	json.Unmarshal(b, &got)
	json.Unmarshal([]byte(`{"type": "freebsd", "cpu": 1, "ticks": [1, 2]}`), &want)
	if gb, _ := json.Marshal(got); string(gb) != mustJSON(want) {
		t.Errorf("unknown branch re-encoded as %s", b)
	}

	st, err := ga.GuestFsfreezeStatus(ctx, nil)
	if err != nil || st != "melting" {
		t.Errorf("fsfreeze-status = %q, %v", st, err)
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}
