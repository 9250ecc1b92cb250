package main

import (
	"context"

	"github.com/qapi-go/qapi/gen/qmp"
	qruntime "github.com/qapi-go/qapi/runtime"
	"github.com/qapi-go/qapi/runtime/server"
)

// monitorChardev is the monitor's character device, named as QEMU names
// the one -qmp creates.
const monitorChardev = "compat_monitor0"

// QueryYank lists what can be yanked: the monitor's character device,
// as in a QEMU started with -qmp. It may run out of band (the schema
// allows it), which makes it the stand-in's out-of-band command.
func (m *machine) QueryYank(context.Context, *qmp.QueryYankArgs) ([]qmp.YankInstance, error) {
	return []qmp.YankInstance{{
		Type:    qmp.YankInstanceTypeChardev,
		Chardev: &qmp.YankInstanceChardev{ID: monitorChardev},
	}}, nil
}

// DeviceDel: the stand-in has no devices.
func (m *machine) DeviceDel(_ context.Context, args *qmp.DeviceDelArgs) error {
	return server.Error(qruntime.DeviceNotFound, "Device '"+args.ID+"' not found")
}

// QueryKVM: the stand-in runs no guest, so no accelerator.
func (m *machine) QueryKVM(context.Context, *qmp.QueryKVMArgs) (*qmp.KvmInfo, error) {
	return &qmp.KvmInfo{}, nil
}

// QueryTarget names the target of the QEMU binary it stands in for,
// qemu-system-x86_64.
func (m *machine) QueryTarget(context.Context, *qmp.QueryTargetArgs) (*qmp.QemuTargetInfo, error) {
	return &qmp.QemuTargetInfo{Arch: qmp.SysEmuTargetX86_64}, nil
}

// QueryUUID answers as QEMU without -uuid does.
func (m *machine) QueryUUID(context.Context, *qmp.QueryUUIDArgs) (*qmp.UuidInfo, error) {
	return &qmp.UuidInfo{UUID: "00000000-0000-0000-0000-000000000000"}, nil
}
