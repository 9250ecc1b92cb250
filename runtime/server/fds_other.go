//go:build !unix

package server

import (
	"net"
	"os"
)

type reader struct{ conn net.Conn }

func newReader(conn net.Conn) *reader { return &reader{conn: conn} }

func (r *reader) read(buf []byte) (int, []*os.File, error) {
	n, err := r.conn.Read(buf)
	return n, nil, err
}
