package generator_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/qapi-go/qapi/generator"
	"github.com/qapi-go/qapi/parser"
)

// parseText parses a one-file schema named file.
func parseText(t *testing.T, file, src string) *parser.Schema {
	t.Helper()
	s, err := parser.Parse(file, parser.Options{Mode: parser.Lenient, FS: fstest.MapFS{file: {Data: []byte(src)}}})
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return s
}

// generateRange merges the schemas (release name -> source, oldest
// first) and returns the generated files by name.
func generateRange(t *testing.T, rels [][2]string) (map[string]string, *generator.Range, error) {
	t.Helper()
	var in []generator.Release
	for _, r := range rels {
		in = append(in, generator.Release{Name: r[0], Schema: parseText(t, "v"+r[0]+".json", r[1])})
	}
	rng, err := generator.Merge(in)
	if err != nil {
		return nil, nil, err
	}
	files, err := generator.Generate(rng.Schema, generator.Config{Package: "p", Range: rng})
	if err != nil {
		t.Fatalf("generate: %v", err)
	}
	out := map[string]string{}
	for _, f := range files {
		out[f.Name] = string(f.Content)
	}
	return out, rng, nil
}

// sevUnion is release 2.0 of the struct-became-union cases: Sev as
// QEMU 10 has it, a union on 'type' with branches sev and snp.
const sevUnion = `{ 'enum': 'SevType', 'data': [ 'sev', 'snp' ] }
{ 'struct': 'SevGuest', 'data': { 'policy': 'int', 'handle': 'int' } }
{ 'struct': 'SevSnp', 'data': { 'snp-policy': 'int' } }
{ 'union': 'Sev', 'base': { 'enabled': 'bool', 'type': 'SevType' }, 'discriminator': 'type',
  'data': { 'sev': 'SevGuest', 'snp': 'SevSnp' } }
{ 'command': 'query-sev', 'returns': 'Sev' }`

// TestMergeRules checks the range rules on small schemas: what becomes
// optional, what the docs and tables say, aliases and type changes.
func TestMergeRules(t *testing.T) {
	tests := []struct {
		name string
		rels [][2]string
		want []string // substrings of the generated Go (all files)
		not  []string // must not appear
	}{{
		name: "required only if every release requires it",
		rels: [][2]string{
			{"1.0", `{ 'struct': 'Info', 'data': { 'a': 'str', 'gone': 'bool', 'b': 'int' } }
{ 'command': 'query-info', 'returns': 'Info' }`},
			{"2.0", `{ 'struct': 'Info', 'data': { 'a': 'str', 'b': 'int', 'new': 'bool', '*opt': 'str' } }
{ 'command': 'query-info', 'returns': 'Info' }`},
		},
		want: []string{
			"A string `json:\"a\"`",
			"B int64 `json:\"b\"`",
			"Gone *bool `json:\"gone,omitempty\"`",
			"New *bool `json:\"new,omitempty\"`",
			"Removed in QEMU 2.0: only older QEMU sends it.",
			"Not in QEMU 1.0.",
		},
	}, {
		name: "a member only an older release has keeps its doc",
		rels: [][2]string{
			{"1.0", "##\n# @Info:\n#\n# @gone: what 1.0 said about it\n#\n# @a: a\n##\n{ 'struct': 'Info', 'data': { 'a': 'str', 'gone': 'bool' } }\n" +
				"##\n# @set:\n#\n# @old-arg: an argument 2.0 dropped\n##\n{ 'command': 'set', 'data': { '*old-arg': 'int' } }\n"},
			{"2.0", "##\n# @Info:\n#\n# @a: a\n##\n{ 'struct': 'Info', 'data': { 'a': 'str' } }\n" +
				"##\n# @set:\n##\n{ 'command': 'set' }\n"},
		},
		want: []string{
			"// Gone: what 1.0 said about it // // Removed in QEMU 2.0: only older QEMU has it.",
			"// OldArg: an argument 2.0 dropped // // Removed in QEMU 2.0: only older QEMU accepts it.",
		},
	}, {
		name: "a command that gains arguments",
		rels: [][2]string{
			{"1.0", `{ 'command': 'query-x' }`},
			{"2.0", `{ 'command': 'query-x', 'data': { 'flat': 'bool' } }`},
		},
		want: []string{
			"func (c *Conn) QueryX(ctx context.Context, args *QueryXArgs, opts ...CallOption) error",
			"Flat *bool `json:\"flat,omitempty\"`",
			`First: "1.0"`, `Last:  "2.0"`,
		},
	}, {
		name: "a command without arguments in any release",
		rels: [][2]string{
			{"1.0", `{ 'command': 'ping' }`},
			{"2.0", `{ 'command': 'ping' }
{ 'command': 'new-cmd' }`},
		},
		want: []string{
			"type PingArgs struct{}",
			"func (c *Conn) Ping(ctx context.Context, args *PingArgs, opts ...CallOption) error",
			"Not in QEMU 1.0.",
			`"new-cmd": {`,
			`First:  "2.0"`,
		},
	}, {
		name: "a renamed type keeps its old name",
		rels: [][2]string{
			{"1.0", `{ 'enum': 'OldAlgorithm', 'data': [ 'md5', 'sha1' ] }
{ 'struct': 'OldInfo', 'data': { 'alg': 'OldAlgorithm' } }
{ 'command': 'query-info', 'returns': 'OldInfo' }`},
			{"2.0", `{ 'enum': 'NewAlgo', 'data': [ 'sha1', 'sha256' ] }
{ 'struct': 'NewInfo', 'data': { 'alg': 'NewAlgo' } }
{ 'command': 'query-info', 'returns': 'NewInfo' }`},
		},
		want: []string{
			"type OldInfo = NewInfo",
			"Deprecated: QEMU 2.0 renamed OldInfo to NewInfo; use NewInfo.",
			"type OldAlgorithm = NewAlgo",
			"OldAlgorithmMd5 = NewAlgoMd5",
			"OldAlgorithmSha1 = NewAlgoSha1",
			"NewAlgoSha256 NewAlgo = \"sha256\"",
			"| OldInfo | NewInfo | 1.0 |",
		},
		not: []string{"type OldInfo struct", "OldAlgorithmSha256"},
	}, {
		name: "a wire type that widens",
		rels: [][2]string{
			{"1.0", `{ 'command': 'set', 'data': { 'iothread': 'str', 'n': 'int32' } }`},
			{"2.0", `{ 'alternate': 'StrOrNull', 'data': { 's': 'str', 'n': 'null' } }
{ 'command': 'set', 'data': { 'iothread': 'StrOrNull', 'n': 'int64' } }`},
		},
		want: []string{
			"Iothread StrOrNull `json:\"iothread\"`",
			"| command set argument iothread | 1.0: str; 2.0: StrOrNull | StrOrNull |  |",
			"| command set argument n | 1.0: int32; 2.0: int64 | int64 |  |",
		},
	}, {
		name: "a wire type that narrows keeps the wider",
		rels: [][2]string{
			{"1.0", `{ 'struct': 'Stat', 'data': { 'n': 'number' } }`},
			{"2.0", `{ 'struct': 'Stat', 'data': { 'n': 'int' } }`},
		},
		want: []string{"N float64 `json:\"n\"`", "| Stat.n | 1.0: number; 2.0: int | number |"},
	}, {
		name: "a struct that becomes a union",
		rels: [][2]string{
			{"1.0", `{ 'struct': 'Sev', 'data': { 'enabled': 'bool', 'policy': 'int', 'type': 'str' } }
{ 'command': 'query-sev', 'returns': 'Sev' }`},
			{"2.0", sevUnion},
		},
		want: []string{
			// 1.0 has the discriminator: its values select a
			// branch, which it sends without 'handle' (or, were
			// it 'snp', without 'snp-policy').
			"Handle *int64 `json:\"handle,omitempty\"`",
			"Policy int64 `json:\"policy\"`",
			"SnpPolicy *int64 `json:\"snp-policy,omitempty\"`",
			"Type SevType `json:\"type\"`",
			"SEV *SevGuest `codec:\"branch,sev\" json:\"-\"`",
			"QEMU 1.0 has Sev as a struct with type: its values select their branch as this union's do, and the branch members it lacks are optional.",
			"| type Sev | 1.0: struct; 2.0: union | union on type | the struct of QEMU 1.0 has type: its values select their branch as the union's do, and the branch members it lacks are optional |",
		},
		not: []string{"untagged"},
	}, {
		name: "a struct without the discriminator that is the base and one branch",
		rels: [][2]string{
			{"1.0", `{ 'struct': 'Sev', 'data': { 'enabled': 'bool', 'policy': 'int', '*handle': 'int' } }
{ 'command': 'query-sev', 'returns': 'Sev' }`},
			{"2.0", sevUnion},
		},
		want: []string{
			// 1.0's values are branch sev's, without 'type': the
			// field takes them (untagged), and requires what 1.0
			// requires.
			"SEV *SevGuest `codec:\"branch,sev,untagged\" json:\"-\"`",
			"SnpPolicy int64 `json:\"snp-policy\"`",
			"Policy int64 `json:\"policy\"`",
			"Handle *int64 `json:\"handle,omitempty\"`",
			"Type SevType `json:\"type\"`",
			"it must be set exactly when Type selects it, or, with Type empty, for a value of QEMU 1.0 (see [Sev]).",
			"QEMU 1.0 has Sev as a struct without type: the base members and those of branch sev. Such a value decodes into [Sev.SEV] with Type empty",
			"| type Sev | 1.0: struct; 2.0: union | union on type | the struct of QEMU 1.0 lacks type and is the base and branch sev: its values decode into that branch with type empty, and re-encode without type |",
		},
		// The branch and its type hold what 1.0 sends.
		not: []string{"Not in QEMU 1.0. type SevGuest struct", "for a value of QEMU 1.0 (see [Sev]). Not in QEMU 1.0."},
	}, {
		name: "a struct without the discriminator whose other members no single branch has",
		rels: [][2]string{
			{"1.0", `{ 'struct': 'Sev', 'data': { 'enabled': 'bool', 'policy': 'int', 'snp-policy': 'int' } }
{ 'command': 'query-sev', 'returns': 'Sev' }`},
			{"2.0", sevUnion},
		},
		want: []string{
			"SEV *SevGuest `codec:\"branch,sev\" json:\"-\"`",
			"Snp *SevSnp `codec:\"branch,snp\" json:\"-\"`",
			"QEMU 1.0 has Sev as a struct without type: such a value decodes with Type empty, its base members, and the others in UnknownMembers, and re-encodes without type.",
			"| type Sev | 1.0: struct; 2.0: union | union on type | the struct of QEMU 1.0 lacks type and is not the base and one branch: its values decode with type empty, the base's members, and the others in UnknownMembers, and re-encode without type |",
		},
		not: []string{"untagged"},
	}, {
		name: "a struct without the discriminator whose other members two branches have",
		rels: [][2]string{
			{"1.0", `{ 'struct': 'Sev', 'data': { 'enabled': 'bool', 'policy': 'int' } }
{ 'command': 'query-sev', 'returns': 'Sev' }`},
			{"2.0", `{ 'enum': 'SevType', 'data': [ 'sev', 'snp' ] }
{ 'struct': 'SevGuest', 'data': { 'policy': 'int', 'handle': 'int' } }
{ 'struct': 'SevSnp', 'data': { 'policy': 'int' } }
{ 'union': 'Sev', 'base': { 'enabled': 'bool', 'type': 'SevType' }, 'discriminator': 'type',
  'data': { 'sev': 'SevGuest', 'snp': 'SevSnp' } }
{ 'command': 'query-sev', 'returns': 'Sev' }`},
		},
		want: []string{"lacks type and is not the base and one branch"},
		not:  []string{"untagged"},
	}, {
		name: "structs without the discriminator that are different branches in different releases",
		rels: [][2]string{
			{"1.0", `{ 'struct': 'Sev', 'data': { 'enabled': 'bool', 'policy': 'int' } }
{ 'command': 'query-sev', 'returns': 'Sev' }`},
			{"1.1", `{ 'struct': 'Sev', 'data': { 'enabled': 'bool', 'snp-policy': 'int' } }
{ 'command': 'query-sev', 'returns': 'Sev' }`},
			{"2.0", `{ 'enum': 'SevType', 'data': [ 'sev', 'snp' ] }
{ 'struct': 'SevGuest', 'data': { 'policy': 'int' } }
{ 'struct': 'SevSnp', 'data': { 'snp-policy': 'int' } }
{ 'union': 'Sev', 'base': { 'enabled': 'bool', 'type': 'SevType' }, 'discriminator': 'type',
  'data': { 'sev': 'SevGuest', 'snp': 'SevSnp' } }
{ 'command': 'query-sev', 'returns': 'Sev' }`},
		},
		want: []string{
			"| type Sev | 1.0: struct; 1.1: struct; 2.0: union | union on type | the struct of QEMU 1.0 or 1.1 lacks type and is the base and a different branch in different releases: its values decode with type empty",
			// Values of neither release decode into a branch: the
			// branches' types are not in them.
			"Not in QEMU 1.0 or 1.1. type SevGuest struct",
			"Not in QEMU 1.0 or 1.1. type SevSnp struct",
		},
		not: []string{"untagged"},
	}, {
		name: "enum values and union branches of some releases",
		rels: [][2]string{
			{"1.0", `{ 'enum': 'Kind', 'data': [ 'a', 'old' ] }
{ 'struct': 'Old', 'data': { 'x': 'int' } }
{ 'union': 'Union', 'base': { 'kind': 'Kind' }, 'discriminator': 'kind', 'data': { 'old': 'Old' } }
{ 'command': 'get', 'returns': 'Union' }`},
			{"2.0", `{ 'enum': 'Kind', 'data': [ 'a', 'b' ] }
{ 'union': 'Union', 'base': { 'kind': 'Kind' }, 'discriminator': 'kind', 'data': { } }
{ 'command': 'get', 'returns': 'Union' }`},
		},
		want: []string{
			"KindOld Kind = \"old\"",
			"KindB Kind = \"b\"",
			"Old *Old `codec:\"branch,old\" json:\"-\"`",
			"Removed in QEMU 2.0: only older QEMU sends it.",
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files, _, err := generateRange(t, tt.rels)
			if err != nil {
				t.Fatal(err)
			}
			var all strings.Builder
			for _, name := range []string{"qapi.go", "v" + tt.rels[len(tt.rels)-1][0] + ".go", generator.VersionsFile} {
				all.WriteString(files[name])
			}
			for name, src := range files {
				if strings.HasPrefix(name, "v") {
					all.WriteString(src)
				}
			}
			got := strings.Join(strings.Fields(all.String()), " ")
			for _, w := range tt.want {
				if !strings.Contains(got, strings.Join(strings.Fields(w), " ")) {
					t.Errorf("output lacks %q", w)
				}
			}
			for _, w := range tt.not {
				if strings.Contains(got, w) {
					t.Errorf("output has %q", w)
				}
			}
			if t.Failed() {
				t.Logf("output:\n%s", all.String())
			}
		})
	}
}

// TestMergeErrors checks that releases the rules cannot reconcile, and a
// release given twice, are clear errors naming the release, the
// definition and both positions.
func TestMergeErrors(t *testing.T) {
	tests := []struct {
		name string
		rels [][2]string
		want []string // substrings of the error
	}{{
		name: "a definition that changes kind",
		rels: [][2]string{
			{"1.0", "{ 'enum': 'Thing', 'data': [ 'a' ] }\n"},
			{"2.0", "{ 'struct': 'Thing', 'data': { 'a': 'int' } }\n"},
		},
		want: []string{"QEMU 1.0: ", "v1.0.json:1: Thing is an enum here but a struct in QEMU 2.0 (v2.0.json:1)"},
	}, {
		name: "member types neither decodes into the other",
		rels: [][2]string{
			{"1.0", "{ 'struct': 'Stat', 'data': {\n 'x': 'str' } }\n"},
			{"2.0", "{ 'struct': 'Stat', 'data': { 'x': 'int' } }\n"},
		},
		want: []string{"QEMU 1.0: v1.0.json:1: Stat.x is str here but int in a newer release (up to QEMU 2.0; v2.0.json:1)", "int does not take str"},
	}, {
		name: "an object type that needs what the older one lacks",
		rels: [][2]string{
			{"1.0", "{ 'struct': 'Aaa', 'data': { 'x': 'int' } }\n{ 'struct': 'Stat', 'data': { 'm': 'Aaa' } }\n"},
			{"2.0", "{ 'struct': 'Aaa', 'data': { 'x': 'int' } }\n{ 'struct': 'Bbb', 'data': { 'y': 'int' } }\n{ 'struct': 'Stat', 'data': { 'm': 'Bbb' } }\n"},
		},
		want: []string{"QEMU 1.0: v1.0.json:2: Stat.m is Aaa here but Bbb in a newer release (up to QEMU 2.0; v2.0.json:3)", "Bbb requires member 'y', which Aaa does not"},
	}, {
		name: "alternatives of one JSON kind",
		rels: [][2]string{
			{"1.0", "{ 'alternate': 'Alt', 'data': { 'name': 'str', 'n': 'null' } }\n"},
			{"2.0", "{ 'alternate': 'Alt', 'data': { 'id': 'str', 'n': 'null' } }\n"},
		},
		want: []string{"QEMU 1.0: v1.0.json:1: alternate Alt: alternative 'name' is a JSON string, and so is alternative 'id' in a newer release (v2.0.json:1)"},
	}, {
		name: "a union whose discriminator changes",
		rels: [][2]string{
			{"1.0", "{ 'enum': 'Kind', 'data': [ 'a' ] }\n{ 'union': 'Union', 'base': { 'k': 'Kind' }, 'discriminator': 'k', 'data': {} }\n"},
			{"2.0", "{ 'enum': 'Kind', 'data': [ 'a' ] }\n{ 'union': 'Union', 'base': { 'kind': 'Kind' }, 'discriminator': 'kind', 'data': {} }\n"},
		},
		want: []string{"QEMU 1.0: v1.0.json:2: union Union: discriminator 'k' here, 'kind' in a newer release (v2.0.json:2)"},
	}, {
		name: "a release given twice",
		rels: [][2]string{{"1.0", "{ 'command': 'x' }\n"}, {"1.0", "{ 'command': 'x' }\n"}},
		want: []string{"QEMU 1.0: release given twice: v1.0.json and v1.0.json are both QEMU 1.0"},
	}, {
		name: "releases out of order",
		rels: [][2]string{{"2.0", "{ 'command': 'x' }\n"}, {"1.0", "{ 'command': 'x' }\n"}},
		want: []string{"QEMU 1.0: releases out of order: QEMU 1.0 (v1.0.json) comes after QEMU 2.0 (v2.0.json)"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := generateRange(t, tt.rels)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
	s := parseText(t, "a.json", "{ 'command': 'x' }\n")
	_, err := generator.Merge([]generator.Release{{Name: "1.0", Schema: s}, {Name: "2.0", Schema: s}})
	if err == nil || !strings.Contains(err.Error(), "QEMU 2.0: schema a.json given twice (as QEMU 1.0 and QEMU 2.0)") {
		t.Errorf("same schema twice: %v", err)
	}
	for _, name := range []string{"", "x", "1.a", "10.2-rc1"} {
		if _, err := generator.Merge([]generator.Release{{Name: name, Schema: s}}); err == nil || !strings.Contains(err.Error(), "not a version") {
			t.Errorf("release name %q: %v", name, err)
		}
	}
}

// TestMergeRealReleases merges the vendored releases and checks what the
// issue found broken: members older QEMU does not send are optional, the
// renamed types are found, and every wire type change is listed.
func TestMergeRealReleases(t *testing.T) {
	r, _ := mergeRange(t, qmpRange)
	optional := map[string]bool{}
	for _, name := range []string{"MachineInfo.acpi", "BlockDeviceInfo.active", "BlockDeviceInfo.children", "BlockDeviceInfo.node-name",
		"CpuInfoFast.qom-type", "DirtyRateInfo.calc-time-unit", "BlockDeviceStats.zone_append_operations", "StatusInfo.singlestep",
		"BlockJobInfoMirror.actively-synced"} {
		typ, member, _ := strings.Cut(name, ".")
		o, ok := r.Schema.Lookup(typ).(*parser.ObjectType)
		if !ok {
			t.Fatalf("%s: no such type", typ)
		}
		found := false
		for _, m := range o.Members {
			if m.Name == member {
				optional[name], found = m.Optional, true
			}
		}
		if !found {
			t.Errorf("%s: no such member", name)
		} else if !optional[name] {
			t.Errorf("%s is required: some release does not send it", name)
		}
	}
	var renames []string
	for _, rn := range r.Renames {
		renames = append(renames, rn.OldGo+"->"+rn.NewGo)
	}
	want := []string{"CpuS390State->S390CpuState", "NBDServerStartArgs->NbdServerOptionsLegacy",
		"QCryptoAkCipherAlgorithm->QCryptoAkCipherAlgo", "QCryptoCipherAlgorithm->QCryptoCipherAlgo",
		"QCryptoHashAlgorithm->QCryptoHashAlgo", "QCryptoIVGenAlgorithm->QCryptoIVGenAlgo",
		"QCryptoRSAPaddingAlgorithm->QCryptoRSAPaddingAlgo", "SGXEPCSection->SgxEpcSection", "SGXInfo->SgxInfo",
		"StringWrapper->FdSocketAddressWrapper", "TargetInfo->QemuTargetInfo"}
	if diff := cmp.Diff(want, renames); diff != "" {
		t.Errorf("renames (-want +got):\n%s", diff)
	}
	var changes []string
	for _, c := range r.Changes {
		changes = append(changes, c.Where+": "+c.Chosen)
	}
	wantChanges := []string{
		"BlockJobInfo.type: JobType",
		"FdSocketAddressWrapper.data: FdSocketAddress",
		"ImageInfoSpecificVmdk.extents: [VmdkExtentInfo]",
		"command memsave argument size: size",
		"command memsave argument val: uint64",
		"command pmemsave argument size: size",
		"command pmemsave argument val: uint64",
		"type BlockJobInfo: union on type",
		"type SevInfo: union on sev-type",
		"union Audiodev branch dbus: AudiodevDBusOptions",
		"union ChardevBackend branch pty: ChardevPtyWrapper",
		"union SocketAddress branch fd: FdSocketAddress",
	}
	if diff := cmp.Diff(wantChanges, changes); diff != "" {
		t.Errorf("type changes (-want +got):\n%s", diff)
	}
	// The structs 7.2 has for later unions: BlockJobInfo has the
	// discriminator; SevInfo lacks it and is the base and branch sev.
	branches := map[string]string{}
	for _, c := range r.Changes {
		if strings.HasPrefix(c.Where, "type ") {
			branches[c.Where] = c.Branch
		}
	}
	if diff := cmp.Diff(map[string]string{"type BlockJobInfo": "", "type SevInfo": "sev"}, branches); diff != "" {
		t.Errorf("untagged branches (-want +got):\n%s", diff)
	}
}
