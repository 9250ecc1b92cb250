//go:build unix

package server

import (
	"io"
	"net"
	"os"
	"syscall"
)

// maxFilesPerRead bounds the descriptors accepted with one read; more are
// closed by the kernel (MSG_CTRUNC) as the buffer is too small for them.
const maxFilesPerRead = 16

// reader reads a connection, collecting the file descriptors that arrive
// with the bytes on a unix socket.
type reader struct {
	conn net.Conn
	uc   *net.UnixConn
	oob  []byte
}

func newReader(conn net.Conn) *reader {
	r := &reader{conn: conn}
	if uc, ok := conn.(*net.UnixConn); ok {
		r.uc = uc
		r.oob = make([]byte, syscall.CmsgSpace(maxFilesPerRead*4))
	}
	return r
}

func (r *reader) read(buf []byte) (int, []*os.File, error) {
	if r.uc == nil {
		n, err := r.conn.Read(buf)
		return n, nil, err
	}
	n, oobn, _, _, err := r.uc.ReadMsgUnix(buf, r.oob)
	n, oobn = max(n, 0), max(oobn, 0)
	if err == nil && n == 0 && oobn == 0 {
		return 0, nil, io.EOF
	}
	if oobn == 0 {
		return n, nil, err
	}
	var files []*os.File
	msgs, perr := syscall.ParseSocketControlMessage(r.oob[:oobn])
	if perr == nil {
		for i := range msgs {
			fds, ferr := syscall.ParseUnixRights(&msgs[i])
			if ferr != nil {
				continue
			}
			for _, fd := range fds {
				syscall.CloseOnExec(fd)
				files = append(files, os.NewFile(uintptr(fd), "fd-from-client"))
			}
		}
	}
	return n, files, err
}
