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
// expect them. When the files cannot be passed (not a unix socket, a nil
// or closed file, a descriptor the kernel refuses) nothing is written
// and the error is a *filesError.
func writeWithFiles(c net.Conn, b []byte, files []*os.File) (int, error) {
	w, ok := c.(unixMsgWriter)
	if !ok {
		return 0, &filesError{errors.New("passing files needs a unix socket connection")}
	}
	fds := make([]int, len(files))
	for i, f := range files {
		if f == nil {
			return 0, &filesError{errors.New("nil *os.File")}
		}
		fd := f.Fd()
		if fd == ^uintptr(0) {
			return 0, &filesError{errors.New(f.Name() + ": file already closed")}
		}
		fds[i] = int(fd)
	}
	rights := syscall.UnixRights(fds...)
	n, _, err := w.WriteMsgUnix(b, rights, nil)
	if err != nil {
		// The kernel checks the descriptors before it sends a byte.
		if n == 0 && (errors.Is(err, syscall.EBADF) || errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ETOOMANYREFS)) {
			return 0, &filesError{err}
		}
		return n, err
	}
	if n < len(b) {
		var m int
		m, err = c.Write(b[n:])
		n += m
	}
	return n, err
}
