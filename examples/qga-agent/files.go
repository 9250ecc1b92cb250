package main

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/qapi-go/qapi/gen/qga"
	qruntime "github.com/qapi-go/qapi/runtime"
	"github.com/qapi-go/qapi/runtime/server"
)

// qemu-ga's limits on guest-file-read (qga/commands.c).
const (
	readCountDefault = 4096
	readCountMax     = 48 << 20
)

// openFlags maps qemu-ga's fopen modes to open(2) flags.
var openFlags = map[string]int{
	"r": os.O_RDONLY, "rb": os.O_RDONLY,
	"w": os.O_WRONLY | os.O_CREATE | os.O_TRUNC, "wb": os.O_WRONLY | os.O_CREATE | os.O_TRUNC,
	"a": os.O_WRONLY | os.O_CREATE | os.O_APPEND, "ab": os.O_WRONLY | os.O_CREATE | os.O_APPEND,
	"r+": os.O_RDWR, "rb+": os.O_RDWR, "r+b": os.O_RDWR,
	"w+": os.O_RDWR | os.O_CREATE | os.O_TRUNC, "wb+": os.O_RDWR | os.O_CREATE | os.O_TRUNC, "w+b": os.O_RDWR | os.O_CREATE | os.O_TRUNC,
	"a+": os.O_RDWR | os.O_CREATE | os.O_APPEND, "ab+": os.O_RDWR | os.O_CREATE | os.O_APPEND, "a+b": os.O_RDWR | os.O_CREATE | os.O_APPEND,
}

func generic(msg string) error { return server.Error(qruntime.GenericError, msg) }

// GuestFileOpen opens a file under the root: an absolute path must lie
// in it, a relative one is taken from it, and os.Root refuses any path
// that would leave it, through ".." or a symbolic link.
func (a *agent) GuestFileOpen(_ context.Context, args *qga.GuestFileOpenArgs) (int64, error) {
	mode := "r"
	if args.Mode != nil {
		mode = *args.Mode
	}
	flags, ok := openFlags[mode]
	if !ok {
		return 0, generic("invalid file open mode '" + mode + "'")
	}
	rel := args.Path
	if filepath.IsAbs(rel) {
		r, err := filepath.Rel(a.rootDir, filepath.Clean(rel))
		if err != nil || r == ".." || strings.HasPrefix(r, "../") {
			return 0, generic("failed to open file '" + args.Path + "' (mode: '" + mode + "'): outside the agent's root " + a.rootDir)
		}
		rel = r
	}
	f, err := a.root.OpenFile(rel, flags, 0o644)
	if err != nil {
		return 0, generic("failed to open file '" + args.Path + "' (mode: '" + mode + "'): " + errText(err))
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	h := a.nextFile
	a.nextFile++
	a.files[h] = f
	return h, nil
}

// errText is the system's description of err as qemu-ga words it (C's
// strerror, "No such file or directory"), without Go's path prefix:
// clients recognise it (the generated client's errors are fs.ErrNotExist
// for it).
func errText(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		s := errno.Error()
		if s != "" {
			return strings.ToUpper(s[:1]) + s[1:]
		}
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

func (a *agent) file(h int64) (*os.File, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	f := a.files[h]
	if f == nil {
		return nil, generic("handle '" + strconv.FormatInt(h, 10) + "' has not been found")
	}
	return f, nil
}

func (a *agent) GuestFileRead(_ context.Context, args *qga.GuestFileReadArgs) (*qga.GuestFileRead, error) {
	f, err := a.file(args.Handle)
	if err != nil {
		return nil, err
	}
	count := int64(readCountDefault)
	if args.Count != nil {
		count = *args.Count
	}
	if count < 0 || count > readCountMax {
		return nil, generic("value '" + strconv.FormatInt(count, 10) + "' is invalid for argument count")
	}
	buf := make([]byte, count)
	n, err := io.ReadFull(f, buf)
	eof := errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
	if err != nil && !eof {
		return nil, generic("failed to read file: " + errText(err))
	}
	return &qga.GuestFileRead{Count: int64(n), BufB64: base64.StdEncoding.EncodeToString(buf[:n]), EOF: eof}, nil
}

func (a *agent) GuestFileWrite(_ context.Context, args *qga.GuestFileWriteArgs) (*qga.GuestFileWrite, error) {
	f, err := a.file(args.Handle)
	if err != nil {
		return nil, err
	}
	data, err := base64.StdEncoding.DecodeString(args.BufB64)
	if err != nil {
		return nil, generic("Invalid Base64 data")
	}
	count := int64(len(data))
	if args.Count != nil {
		count = *args.Count
	}
	if count < 0 || count > int64(len(data)) {
		return nil, generic("value '" + strconv.FormatInt(count, 10) + "' is invalid for argument count")
	}
	n, err := f.Write(data[:count])
	if err != nil {
		return nil, generic("failed to write to file: " + errText(err))
	}
	return &qga.GuestFileWrite{Count: int64(n)}, nil
}

func (a *agent) GuestFileClose(_ context.Context, args *qga.GuestFileCloseArgs) error {
	a.mu.Lock()
	f := a.files[args.Handle]
	delete(a.files, args.Handle)
	a.mu.Unlock()
	if f == nil {
		return generic("handle '" + strconv.FormatInt(args.Handle, 10) + "' has not been found")
	}
	if err := f.Close(); err != nil {
		return generic("failed to close handle: " + errText(err))
	}
	return nil
}

// GuestFileSeek moves a file's position; whence is a QGASeek name or
// the integer of the host's SEEK_* constant.
func (a *agent) GuestFileSeek(_ context.Context, args *qga.GuestFileSeekArgs) (*qga.GuestFileSeek, error) {
	f, err := a.file(args.Handle)
	if err != nil {
		return nil, err
	}
	whence := -1
	switch w := args.Whence; {
	case w.Name != nil:
		switch *w.Name {
		case qga.QGASeekSet:
			whence = io.SeekStart
		case qga.QGASeekCur:
			whence = io.SeekCurrent
		case qga.QGASeekEnd:
			whence = io.SeekEnd
		}
	case w.Value != nil && *w.Value >= 0 && *w.Value <= 2:
		whence = int(*w.Value)
	}
	if whence < 0 {
		return nil, generic("invalid whence code")
	}
	pos, err := f.Seek(args.Offset, whence)
	if err != nil {
		return nil, generic("failed to seek file: " + errText(err))
	}
	return &qga.GuestFileSeek{Position: pos}, nil
}

// GuestFileFlush has nothing to do: writes are not buffered here.
func (a *agent) GuestFileFlush(_ context.Context, args *qga.GuestFileFlushArgs) error {
	_, err := a.file(args.Handle)
	return err
}
