//go:build !unix

package runtime

import (
	"errors"
	"net"
	"os"
)

func writeWithFiles(c net.Conn, b []byte, files []*os.File) (int, error) {
	return 0, &filesError{errors.New("passing files is supported on unix systems only")}
}
