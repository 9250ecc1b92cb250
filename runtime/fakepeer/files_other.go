//go:build !unix

package fakepeer

import (
	"net"
	"os"
)

func readWithFiles(conn net.Conn, buf []byte) (int, []*os.File, error) {
	n, err := conn.Read(buf)
	return n, nil, err
}
