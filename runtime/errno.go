package runtime

import (
	"io/fs"
	"strings"
)

// QEMU and the guest agent report a failed system call by appending
// strerror's text to the description ("failed to open file '/x' (mode:
// 'r'): No such file or directory"); the class stays GenericError. The
// texts below are glibc's and musl's for the errors package io/fs names,
// so that errors.Is(err, fs.ErrNotExist) holds for a guest's or QEMU's
// ENOENT as it does for a local one. Windows guests word their errors
// differently and are not matched.
var errnoTexts = []struct {
	text   string
	target error
}{
	{"No such file or directory", fs.ErrNotExist},
	{"File exists", fs.ErrExist},
	{"Permission denied", fs.ErrPermission},
	{"Operation not permitted", fs.ErrPermission},
}

// errnoIs reports whether desc ends in (or, as glib's spawn errors
// put it, closes a parenthesis with) the strerror text of target.
func errnoIs(desc string, target error) bool {
	desc = strings.TrimRight(desc, ")'. ")
	for _, e := range errnoTexts {
		if e.target == target && strings.HasSuffix(desc, e.text) {
			return true
		}
	}
	return false
}
