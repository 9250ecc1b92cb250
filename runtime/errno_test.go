package runtime

import (
	"errors"
	"io/fs"
	"testing"
)

func TestCommandErrorIsFSError(t *testing.T) {
	for _, tc := range []struct {
		desc string
		is   []error
	}{
		// qemu-ga 7.2 and 10.2, guest-file-open of a missing file.
		{"failed to open file '/nonexistent' (mode: 'r'): No such file or directory", []error{fs.ErrNotExist}},
		// guest-exec of a missing program (glib spawn).
		{"Guest agent command failed, error was 'Failed to execute child process \u201c/x\u201d (No such file or directory)'", []error{fs.ErrNotExist}},
		// QEMU, blockdev-add of a missing file.
		{"Could not open '/x.img': No such file or directory", []error{fs.ErrNotExist}},
		{"failed to open file '/etc/shadow' (mode: 'r'): Permission denied", []error{fs.ErrPermission}},
		{"failed to open file '/x' (mode: 'wx'): File exists", []error{fs.ErrExist}},
		{"The command guest-file-open has not been found", nil},
		{"No such file or directory in the middle of a sentence, not at its end", nil},
	} {
		e := &CommandError{Command: "guest-file-open", Class: GenericError, Desc: tc.desc}
		for _, target := range []error{fs.ErrNotExist, fs.ErrExist, fs.ErrPermission} {
			want := false
			for _, w := range tc.is {
				want = want || w == target
			}
			if got := errors.Is(e, target); got != want {
				t.Errorf("errors.Is(%q, %v) = %v, want %v", tc.desc, target, got, want)
			}
		}
		if !errors.Is(e, GenericError) {
			t.Errorf("%q: no longer matches its class", tc.desc)
		}
	}
}
