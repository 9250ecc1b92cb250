//go:build !unix

package runtime

import (
	"errors"
	"net"
	"os"
)

func writeWithFiles(c net.Conn, b []byte, files []*os.File) error {
	return errors.New("runtime: passing files is supported on unix systems only")
}
