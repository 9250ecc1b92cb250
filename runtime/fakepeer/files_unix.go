//go:build unix

package fakepeer

import (
	"io"
	"net"
	"os"
	"syscall"
)

// readWithFiles reads from conn; on a unix socket it also collects file
// descriptors sent with SCM_RIGHTS.
func readWithFiles(conn net.Conn, buf []byte) (int, []*os.File, error) {
	uc, ok := conn.(*net.UnixConn)
	if !ok {
		n, err := conn.Read(buf)
		return n, nil, err
	}
	oob := make([]byte, syscall.CmsgSpace(64*4))
	n, oobn, _, _, err := uc.ReadMsgUnix(buf, oob)
	n, oobn = max(n, 0), max(oobn, 0) // -1 on some errors
	if err == nil && n == 0 && oobn == 0 {
		// ReadMsgUnix reports a closed peer as a zero-length read.
		return 0, nil, io.EOF
	}
	if oobn == 0 {
		return n, nil, err
	}
	var files []*os.File
	msgs, perr := syscall.ParseSocketControlMessage(oob[:oobn])
	if perr == nil {
		for _, m := range msgs {
			fds, ferr := syscall.ParseUnixRights(&m)
			if ferr != nil {
				continue
			}
			for _, fd := range fds {
				files = append(files, os.NewFile(uintptr(fd), "fakepeer-received-fd"))
			}
		}
	}
	return n, files, err
}
