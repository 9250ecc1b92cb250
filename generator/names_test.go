package generator

import "testing"

func TestCamel(t *testing.T) {
	for in, want := range map[string]string{
		"node-name":           "NodeName",
		"cpu-index":           "CPUIndex",
		"qom-path":            "QOMPath",
		"x-debug":             "XDebug",
		"iops_rd":             "IOPSRd",
		"backing_file_depth":  "BackingFileDepth",
		"BLOCK_JOB_COMPLETED": "BlockJobCompleted",
		"VNC_CONNECTED":       "VNCConnected",
		"__com.redhat_foo":    "ComRedhatFoo",
		"query-cpus-fast":     "QueryCpusFast",
		"2_5":                 "N2_5",
		"5":                   "N5",
		"qmp_capabilities":    "QMPCapabilities",
		"guest-fsfreeze-thaw": "GuestFsfreezeThaw",
		"singleStep":          "SingleStep",
		"id":                  "ID",
		"a.b-c_d":             "ABCD",
		"ccw-address":         "CCWAddress",
	} {
		if got := camel(in); got != want {
			t.Errorf("camel(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEnumConst(t *testing.T) {
	for _, tc := range [][3]string{
		{"PCIELinkSpeed", "2_5", "PCIELinkSpeed2_5"},
		{"X86", "64", "X86_64"},
		{"Color", "x-red", "ColorXRed"},
	} {
		if got := enumConst(tc[0], tc[1]); got != tc[2] {
			t.Errorf("enumConst(%q, %q) = %q, want %q", tc[0], tc[1], got, tc[2])
		}
	}
}

func TestTypeIdent(t *testing.T) {
	for in, want := range map[string]string{
		"BlockdevOptionsQcow2": "BlockdevOptionsQcow2",
		"__org.qemu_x-Struct":  "OrgQemuXStruct",
		"lowerType":            "LowerType",
	} {
		if got := typeIdent(in); got != want {
			t.Errorf("typeIdent(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFileName(t *testing.T) {
	for in, want := range map[string]string{
		"block-core.json":    "block_core.go",
		"misc-arm.json":      "misc_arm_qapi.go",
		"machine-s390x.json": "machine_s390x_qapi.go",
		"misc-i386.json":     "misc_i386.go",
		"sub/inc.json":       "sub_inc.go",
		"foo-test.json":      "foo_test_qapi.go",
		"x-linux-amd64.json": "x_linux_amd64_qapi.go",
		"__v.json":           "v.go",
	} {
		if got := fileName(in); got != want {
			t.Errorf("fileName(%q) = %q, want %q", in, got, want)
		}
	}
}
