package qga_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"io/fs"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/qapi-go/qapi/gen/qga"
	"github.com/qapi-go/qapi/runtime"
	"github.com/qapi-go/qapi/runtime/fakepeer"
)

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func TestFileReaderChunks(t *testing.T) {
	for _, tc := range []struct {
		name  string
		size  int
		chunk int
	}{
		{"empty", 0, 1000},
		{"smaller than a chunk", 999, 1000},
		{"exactly one chunk", 1000, 1000},
		{"exact multiple", 5000, 1000},
		{"ragged", 5555, 1000},
		{"one byte chunks", 17, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeAgent()
			data := randomBytes(tc.size)
			f.setFile("/f", data)
			ga := f.dial(t)
			ctx := context.Background()

			// Through Read with an odd buffer size.
			r, err := ga.OpenReader(ctx, "/f", qga.WithChunkSize(tc.chunk))
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(iotest.OneByteReader(r))
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("ReadAll = %d bytes, %v; want %d", len(got), err, len(data))
			}
			if n, err := r.Read(make([]byte, 10)); n != 0 || err != io.EOF {
				t.Fatalf("Read after EOF = %d, %v", n, err)
			}
			if err := r.Close(); err != nil {
				t.Fatal(err)
			}
			if err := r.Close(); err != nil {
				t.Fatalf("second Close: %v", err)
			}
			if _, err := r.Read(make([]byte, 1)); err == nil {
				t.Fatal("Read after Close succeeded")
			}
			for _, c := range f.reads {
				if c != int64(tc.chunk) {
					t.Fatalf("read counts %v, want all %d", f.reads, tc.chunk)
				}
			}
			// Every byte is read once: size/chunk reads, plus one that
			// finds end of file.
			if want := tc.size/tc.chunk + 1; len(f.reads) != want {
				t.Errorf("%d reads, want %d", len(f.reads), want)
			}

			// Through the helpers (WriteTo).
			var buf bytes.Buffer
			if n, err := ga.CopyFromGuest(ctx, &buf, "/f", qga.WithChunkSize(tc.chunk)); err != nil || n != int64(tc.size) || !bytes.Equal(buf.Bytes(), data) {
				t.Fatalf("CopyFromGuest = %d, %v", n, err)
			}
			if got, err := ga.ReadFile(ctx, "/f", qga.WithChunkSize(tc.chunk)); err != nil || !bytes.Equal(got, data) {
				t.Fatalf("ReadFile = %d bytes, %v", len(got), err)
			}
			if n := f.openHandles(); n != 0 {
				t.Errorf("%d handles left open", n)
			}
		})
	}
}

func TestChunkSizeClamped(t *testing.T) {
	f := newFakeAgent()
	f.setFile("/f", []byte("abc"))
	ga := f.dial(t)
	for _, n := range []int{0, -5, qga.MaxChunkSize + 1, 1 << 40} {
		f.reads = nil
		if _, err := ga.ReadFile(context.Background(), "/f", qga.WithChunkSize(n)); err != nil {
			t.Fatal(err)
		}
		want := int64(qga.MaxChunkSize)
		if n <= 0 {
			want = 1
		}
		if f.reads[0] != want {
			t.Errorf("WithChunkSize(%d): read count %d, want %d", n, f.reads[0], want)
		}
	}
	f.reads = nil
	ga.ReadFile(context.Background(), "/f")
	if f.reads[0] != qga.DefaultChunkSize {
		t.Errorf("default read count %d, want %d", f.reads[0], qga.DefaultChunkSize)
	}
}

func TestFileWriterChunks(t *testing.T) {
	data := randomBytes(10_000)
	for _, tc := range []struct {
		name  string
		chunk int
		write func(w io.Writer) error
	}{
		{"one Write", 1000, func(w io.Writer) error { _, err := w.Write(data); return err }},
		{"small Writes", 1000, func(w io.Writer) error {
			for p := data; len(p) > 0; p = p[min(len(p), 333):] {
				if _, err := w.Write(p[:min(len(p), 333)]); err != nil {
					return err
				}
			}
			return nil
		}},
		{"ReadFrom", 1000, func(w io.Writer) error {
			_, err := w.(io.ReaderFrom).ReadFrom(iotest.HalfReader(bytes.NewReader(data)))
			return err
		}},
		{"ReadFrom one byte", 999, func(w io.Writer) error {
			_, err := w.(io.ReaderFrom).ReadFrom(iotest.OneByteReader(bytes.NewReader(data)))
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeAgent()
			ga := f.dial(t)
			w, err := ga.Create(context.Background(), "/out", qga.WithChunkSize(tc.chunk))
			if err != nil {
				t.Fatal(err)
			}
			if err := tc.write(w); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(f.file("/out"), data) {
				t.Fatal("file differs")
			}
			for i, n := range f.writes {
				if n > tc.chunk || (i < len(f.writes)-1 && n != tc.chunk) {
					t.Fatalf("write sizes %v: want full chunks of %d then the rest", f.writes, tc.chunk)
				}
			}
			if _, err := w.Write([]byte("x")); err == nil {
				t.Error("Write after Close succeeded")
			}
			if err := w.Close(); err != nil {
				t.Errorf("second Close: %v", err)
			}
		})
	}
}

func TestCopyToGuest(t *testing.T) {
	f := newFakeAgent()
	ga := f.dial(t)
	ctx := context.Background()
	const chunk = 64 << 10
	data := randomBytes(3*chunk + 12345)
	n, err := ga.CopyToGuest(ctx, "/big", struct{ io.Reader }{bytes.NewReader(data)}, qga.WithChunkSize(chunk))
	if err != nil || n != int64(len(data)) {
		t.Fatalf("CopyToGuest = %d, %v", n, err)
	}
	if !bytes.Equal(f.file("/big"), data) {
		t.Fatal("file differs")
	}
	if want := []int{chunk, chunk, chunk, 12345}; !equalInts(f.writes, want) {
		t.Errorf("writes %v, want %v", f.writes, want)
	}
	// Overwrite with less truncates; WriteFile of nothing empties.
	if err := ga.WriteFile(ctx, "/big", []byte("short")); err != nil || string(f.file("/big")) != "short" {
		t.Fatalf("WriteFile: %v, file %q", err, f.file("/big"))
	}
	if err := ga.WriteFile(ctx, "/big", nil); err != nil || len(f.file("/big")) != 0 {
		t.Fatalf("WriteFile(nil): %v, file %q", err, f.file("/big"))
	}
	// A source that fails: the error comes back and the handle is closed.
	boom := errors.New("boom")
	_, err = ga.CopyToGuest(ctx, "/x", io.MultiReader(strings.NewReader("abc"), iotest.ErrReader(boom)))
	if !errors.Is(err, boom) {
		t.Fatalf("CopyToGuest from a failing reader: %v", err)
	}
	if n := f.openHandles(); n != 0 {
		t.Errorf("%d handles left open", n)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestWriterShortWrites(t *testing.T) {
	f := newFakeAgent()
	// The agent takes 10 bytes of the first write, all of later ones.
	f.writeHook = func(n int, count int64) int64 {
		if n == 1 {
			return 10
		}
		return count
	}
	ga := f.dial(t)
	data := randomBytes(100)
	if err := ga.WriteFile(context.Background(), "/f", data); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(f.file("/f"), data) || !equalInts(f.writes, []int{100, 90}) {
		t.Fatalf("writes %v, file equal %v", f.writes, bytes.Equal(f.file("/f"), data))
	}

	// An agent that writes nothing, or claims more than it was given.
	for _, claim := range []int64{0, 1000} {
		f := newFakeAgent()
		f.writeHook = func(int, int64) int64 { return claim }
		ga := f.dial(t)
		err := ga.WriteFile(context.Background(), "/f", data)
		if !errors.Is(err, io.ErrShortWrite) {
			t.Errorf("agent claiming %d: %v, want io.ErrShortWrite", claim, err)
		}
		if n := f.openHandles(); n != 0 {
			t.Errorf("%d handles left open", n)
		}
	}
}

func TestReaderHostileReplies(t *testing.T) {
	for _, tc := range []struct {
		name string
		hook func(n int, r qga.GuestFileRead) (any, *fakepeer.Error)
		want string
	}{
		{"bad base64", func(n int, r qga.GuestFileRead) (any, *fakepeer.Error) {
			r.BufB64 = "!!!!"
			return r, nil
		}, "bad base64"},
		{"count mismatch", func(n int, r qga.GuestFileRead) (any, *fakepeer.Error) {
			r.Count++
			return r, nil
		}, "says count"},
		{"more than asked", func(n int, r qga.GuestFileRead) (any, *fakepeer.Error) {
			return qga.GuestFileRead{Count: 12, BufB64: "aGVsbG8gd29ybGQh"}, nil
		}, "for a read of 8"},
		{"endless empty reads", func(n int, r qga.GuestFileRead) (any, *fakepeer.Error) {
			return qga.GuestFileRead{}, nil
		}, io.ErrNoProgress.Error()},
		{"not an object", func(n int, r qga.GuestFileRead) (any, *fakepeer.Error) {
			return "hello", nil
		}, "cannot unmarshal"},
		{"error", func(n int, r qga.GuestFileRead) (any, *fakepeer.Error) {
			return nil, &fakepeer.Error{Class: "GenericError", Desc: "Input/output error"}
		}, "Input/output error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeAgent()
			f.setFile("/f", randomBytes(100))
			f.readHook = tc.hook
			ga := f.dial(t)
			_, err := ga.ReadFile(context.Background(), "/f", qga.WithChunkSize(8))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one containing %q", err, tc.want)
			}
			if n := f.openHandles(); n != 0 {
				t.Errorf("%d handles left open", n)
			}
			// The session is still usable.
			if err := ga.GuestPing(context.Background(), nil); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestCloseAfterContextEnds(t *testing.T) {
	f := newFakeAgent()
	f.setFile("/f", randomBytes(100))
	ga := f.dial(t)
	ctx, cancel := context.WithCancel(context.Background())
	r, err := ga.OpenReader(ctx, "/f", qga.WithChunkSize(10))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Read(make([]byte, 5)); err != nil {
		t.Fatal(err)
	}
	w, err := ga.Create(ctx, "/g")
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := io.ReadAll(r); !errors.Is(err, context.Canceled) {
		t.Fatalf("read after cancel: %v", err)
	}
	if err := r.Close(); err != nil {
		t.Fatalf("Close after cancel: %v", err)
	}
	w.Write([]byte("buffered"))
	if err := w.Close(); !errors.Is(err, context.Canceled) {
		t.Fatalf("writer Close after cancel: %v, want the canceled write", err)
	}
	if n := f.openHandles(); n != 0 {
		t.Errorf("%d handles left open after Close", n)
	}
}

func TestOpenErrors(t *testing.T) {
	f := newFakeAgent()
	ga := f.dial(t)
	_, err := ga.OpenReader(context.Background(), "/missing")
	var ce *runtime.CommandError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "/missing") {
		t.Fatalf("OpenReader of a missing file: %v", err)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("OpenReader of a missing file: %v is not fs.ErrNotExist", err)
	}
	if _, err := ga.OpenWriter(context.Background(), "/x", "bogus"); !errors.As(err, &ce) {
		t.Fatalf("OpenWriter with a bad mode: %v", err)
	}
	if _, err := ga.CopyFromGuest(context.Background(), io.Discard, "/missing"); !errors.As(err, &ce) || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("CopyFromGuest of a missing file: %v", err)
	}
}

// TestMessageSize checks the interaction of chunk size and the session's
// maximum message size: a read whose reply exceeds the limit fails
// cleanly with ErrMessageTooLarge and the session recovers; a chunk size
// that MessageSizeForChunk says fits, fits. (A whole 48 MiB read under
// DefaultMaxMessageSize is in the integration test, against qemu-ga.)
func TestMessageSize(t *testing.T) {
	if got := qga.MessageSizeForChunk(qga.MaxChunkSize); got > qga.DefaultMaxMessageSize {
		t.Fatalf("MessageSizeForChunk(MaxChunkSize) = %d > DefaultMaxMessageSize %d", got, qga.DefaultMaxMessageSize)
	}
	if got := qga.MessageSizeForChunk(qga.DefaultChunkSize); got > runtime.DefaultMaxMessageSize {
		t.Fatalf("the default chunk needs %d, over the runtime's default limit", got)
	}
	const chunk = 64 << 10
	data := randomBytes(5 * chunk)
	g := newFakeAgent()
	g.setFile("/f", data)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	peer := fakepeer.New(t, fakepeer.Config{Protocol: fakepeer.QGA, Handler: g.handle})
	small, err := qga.New(ctx, peer.Pipe(), runtime.WithMaxMessageSize(qga.MessageSizeForChunk(chunk)))
	if err != nil {
		t.Fatal(err)
	}
	defer small.Close()
	_, err = small.ReadFile(ctx, "/f", qga.WithChunkSize(2*chunk))
	if !errors.Is(err, runtime.ErrMessageTooLarge) {
		t.Fatalf("read of 2 chunks with a limit for one: %v, want ErrMessageTooLarge", err)
	}
	if n := g.openHandles(); n != 0 {
		t.Errorf("%d handles left open", n)
	}
	if got, err := small.ReadFile(ctx, "/f", qga.WithChunkSize(chunk)); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("reading in chunks that fit: %d bytes, %v", len(got), err)
	}
}

func TestFileReaderSeek(t *testing.T) {
	f := newFakeAgent()
	data := randomBytes(1000)
	f.setFile("/f", data)
	ga := f.dial(t)
	r, err := ga.OpenReader(context.Background(), "/f", qga.WithChunkSize(100))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var _ io.ReadSeekCloser = r
	buf := make([]byte, 30)
	if _, err := io.ReadFull(r, buf); err != nil {
		t.Fatal(err)
	}
	// 70 bytes read ahead: io.SeekCurrent must count from 30.
	if pos, err := r.Seek(10, io.SeekCurrent); err != nil || pos != 40 {
		t.Fatalf("Seek(10, cur) = %d, %v; want 40", pos, err)
	}
	if _, err := io.ReadFull(r, buf); err != nil || !bytes.Equal(buf, data[40:70]) {
		t.Fatalf("read after Seek(cur): %v", err)
	}
	if pos, err := r.Seek(-5, io.SeekEnd); err != nil || pos != 995 {
		t.Fatalf("Seek(-5, end) = %d, %v", pos, err)
	}
	if rest, err := io.ReadAll(r); err != nil || !bytes.Equal(rest, data[995:]) {
		t.Fatalf("read after Seek(end) = %d bytes, %v", len(rest), err)
	}
	// After EOF, back to the start.
	if pos, err := r.Seek(0, io.SeekStart); err != nil || pos != 0 {
		t.Fatalf("Seek(0, start) = %d, %v", pos, err)
	}
	if all, err := io.ReadAll(r); err != nil || !bytes.Equal(all, data) {
		t.Fatalf("read after rewinding = %d bytes, %v", len(all), err)
	}
	if _, err := r.Seek(-1, io.SeekStart); err == nil {
		t.Error("Seek before the start succeeded")
	}
	if _, err := r.Seek(0, 7); err == nil {
		t.Error("Seek with whence 7 succeeded")
	}
}
