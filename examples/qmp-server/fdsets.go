package main

import (
	"cmp"
	"context"
	"os"
	"slices"
	"strconv"

	"github.com/qapi-go/qapi/gen/qmp"
	qruntime "github.com/qapi-go/qapi/runtime"
	"github.com/qapi-go/qapi/runtime/server"
)

// fdset is one of add-fd's sets: descriptors a client passed for later
// commands to use by set.
type fdset struct {
	id  int64
	fds []setFD
}

type setFD struct {
	f      *os.File
	fd     int64 // f's descriptor number in this process
	opaque *string
}

// fdNumber is f's descriptor number. (f.Fd() would also put a
// non-blocking descriptor into blocking mode, which the client sharing
// it would see.)
func fdNumber(f *os.File) int64 {
	n := int64(-1)
	if rc, err := f.SyscallConn(); err == nil {
		rc.Control(func(fd uintptr) { n = int64(fd) })
	}
	return n
}

// AddFD adds the descriptor that came with the request to a set, as
// QEMU does: to the set named, or else to a new set with the lowest
// number not in use; the reply's fd is this process's number for it.
func (m *machine) AddFD(ctx context.Context, args *qmp.AddFDArgs) (*qmp.AddfdInfo, error) {
	if args.FdsetID != nil && *args.FdsetID < 0 {
		return nil, server.Error(qruntime.GenericError, "Parameter 'fdset-id' expects a non-negative value")
	}
	files := server.RequestFrom(ctx).TakeFiles()
	if len(files) == 0 {
		return nil, server.Error(qruntime.GenericError, "No file descriptor supplied via SCM_RIGHTS")
	}
	for _, f := range files[:len(files)-1] {
		f.Close()
	}
	f := files[len(files)-1]
	m.mu.Lock()
	defer m.mu.Unlock()
	id := int64(0)
	if args.FdsetID != nil {
		id = *args.FdsetID
	} else {
		for _, s := range m.fdsets { // sorted by id
			if s.id == id {
				id++
			}
		}
	}
	i, found := slices.BinarySearchFunc(m.fdsets, id, func(s *fdset, id int64) int { return cmp.Compare(s.id, id) })
	if !found {
		m.fdsets = slices.Insert(m.fdsets, i, &fdset{id: id})
	}
	set := m.fdsets[i]
	fd := setFD{f: f, fd: fdNumber(f), opaque: args.Opaque}
	set.fds = append(set.fds, fd)
	return &qmp.AddfdInfo{FdsetID: set.id, FD: fd.fd}, nil
}

// QueryFdsets lists the sets as QEMU does, highest id first, each set's
// descriptors in the order they were added.
func (m *machine) QueryFdsets(context.Context, *qmp.QueryFdsetsArgs) ([]qmp.FdsetInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := []qmp.FdsetInfo{}
	for _, s := range slices.Backward(m.fdsets) {
		info := qmp.FdsetInfo{FdsetID: s.id, Fds: []qmp.FdsetFdInfo{}}
		for _, fd := range s.fds {
			info.Fds = append(info.Fds, qmp.FdsetFdInfo{FD: fd.fd, Opaque: fd.opaque})
		}
		out = append(out, info)
	}
	return out, nil
}

// RemoveFD closes one descriptor of a set, or all of them; a set left
// empty goes away.
func (m *machine) RemoveFD(_ context.Context, args *qmp.RemoveFDArgs) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, s := range m.fdsets {
		if s.id != args.FdsetID {
			continue
		}
		kept := s.fds[:0]
		removed := false
		for _, fd := range s.fds {
			if args.FD == nil || fd.fd == *args.FD {
				fd.f.Close()
				removed = true
				continue
			}
			kept = append(kept, fd)
		}
		s.fds = kept
		if len(s.fds) == 0 {
			m.fdsets = slices.Delete(m.fdsets, i, i+1)
		}
		if removed {
			return nil
		}
		break
	}
	name := "fdset-id:" + strconv.FormatInt(args.FdsetID, 10)
	if args.FD != nil {
		name += ", fd:" + strconv.FormatInt(*args.FD, 10)
	}
	return server.Error(qruntime.GenericError, "File descriptor named '"+name+"' not found")
}

func (m *machine) closeFdsets() {
	for _, s := range m.fdsets {
		for _, fd := range s.fds {
			fd.f.Close()
		}
	}
	m.fdsets = nil
}
