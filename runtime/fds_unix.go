//go:build unix

package runtime

import (
	"errors"
	"net"
	"os"
	"syscall"
)

// unixMsgWriter is what a connection needs to pass file descriptors:
// *net.UnixConn has it, and so may a user's wrapper.
type unixMsgWriter interface {
	WriteMsgUnix(b, oob []byte, addr *net.UnixAddr) (n, oobn int, err error)
}

// writeWithFiles writes b with files' descriptors attached as SCM_RIGHTS
// ancillary data to the first byte, the way QEMU's getfd and add-fd
// expect them.
func writeWithFiles(c net.Conn, b []byte, files []*os.File) (int, error) {
	w, ok := c.(unixMsgWriter)
	if !ok {
		return 0, errors.New("runtime: passing files needs a unix socket connection")
	}
	fds := make([]int, len(files))
	for i, f := range files {
		fds[i] = int(f.Fd())
	}
	rights := syscall.UnixRights(fds...)
	n, _, err := w.WriteMsgUnix(b, rights, nil)
	if err != nil {
		return n, err
	}
	if n < len(b) {
		var m int
		m, err = c.Write(b[n:])
		n += m
	}
	return n, err
}
