package runtime

import (
	"bytes"
	"context"
	"errors"
	"os"
	"time"
)

// Writes. A QMP session group-commits: a caller appends its request to
// the current buffer and, if nobody is writing, becomes the writer and
// writes buffers until none is left, so requests that concurrent callers
// append meanwhile go out together in the next write. The order of the
// requests on the wire is the order of the in-band calls in the FIFO:
// both are decided under one mutex. A request with files, or one whose
// caller returns once it is written (NoReply), is written alone: it
// waits until the writer is done, and other callers wait for it. A QGA
// session runs one call at a time and writes each request alone.

// writeN writes b with files' descriptors (if any) attached.
func (s *session) writeN(b []byte, files []*os.File) (int, error) {
	s.logSend(b)
	if len(files) > 0 {
		return writeWithFiles(s.conn, b, files)
	}
	return s.conn.Write(b)
}

// errWriteInterrupted is what writeCtx returns when ctx ended during the
// write: only the first n bytes went out.
var errWriteInterrupted = errors.New("write interrupted")

// filesError says that a request's files could not be passed: a closed
// or invalid file, or a connection that is not a unix socket. Nothing
// was written: the call fails, the session goes on.
type filesError struct{ err error }

func (e *filesError) Error() string { return "cannot pass files: " + e.err.Error() }
func (e *filesError) Unwrap() error { return e.err }

// writeCtx is writeN bounded by ctx (when the connection has write
// deadlines): a peer that stops reading cannot hold the caller past its
// context. It returns the number of bytes written, and
// errWriteInterrupted when ctx cut the write short.
func (s *session) writeCtx(ctx context.Context, b []byte, files []*os.File) (int, error) {
	if ctx.Done() == nil || !s.deadlines {
		return s.writeN(b, files)
	}
	if dl, ok := ctx.Deadline(); ok {
		// Cheaper than AfterFunc (no allocation, no callback); a
		// cancellation before the deadline is not seen until it.
		s.conn.SetWriteDeadline(dl)
		n, err := s.writeN(b, files)
		s.conn.SetWriteDeadline(noDeadline)
		if err != nil && isDeadline(err) && s.err.Load() == nil {
			return n, errWriteInterrupted
		}
		return n, err
	}
	stop := context.AfterFunc(ctx, s.interruptWriteFn)
	n, err := s.writeN(b, files)
	if stop() {
		return n, err
	}
	<-s.wfired // the deadline is set: clear it for the next write
	s.conn.SetWriteDeadline(noDeadline)
	if err != nil && isDeadline(err) && s.err.Load() == nil {
		return n, errWriteInterrupted
	}
	return n, err
}

var noDeadline time.Time

func isDeadline(err error) bool { return errors.Is(err, os.ErrDeadlineExceeded) }

// ctxErr is ctx.Err() once writeCtx was interrupted: the connection's
// deadline may fire a moment before ctx's own timer.
func ctxErr(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return context.DeadlineExceeded
}

// waitTurn waits, holding q.mu, until the caller may append a request:
// no request is being written alone and, for one that must be written
// alone, nobody is writing. It returns the session's error, or ctx's if
// it ended first.
func (q *QMP) waitTurn(ctx context.Context, alone bool) error {
	busy := func() bool { return q.alone || alone && q.writing }
	if busy() && q.err.Load() == nil && ctx.Err() == nil {
		stop := context.AfterFunc(ctx, func() {
			q.mu.Lock()
			q.wcond.Broadcast()
			q.mu.Unlock()
		})
		for busy() && q.err.Load() == nil && ctx.Err() == nil {
			q.wcond.Wait()
		}
		stop()
	}
	if e := q.err.Load(); e != nil {
		return e
	}
	if busy() {
		return ctx.Err()
	}
	return nil
}

// send encodes the request, registers c (nil for NoReply) to receive
// its reply, and writes the request (group-committed) or leaves it to
// the writer. It returns a *RequestError when the request was not sent.
func (q *QMP) send(ctx context.Context, command string, args any, o CallOptions, c *call) error {
	alone := len(o.Files) > 0 || o.NoReply
	q.mu.Lock()
	if err := q.waitTurn(ctx, alone); err != nil {
		q.mu.Unlock()
		return err
	}
	var id uint64
	if o.OOB {
		q.nextID++
		id = q.nextID
	}
	w := &q.wbufs[q.wcur]
	if err := w.appendRequest("", command, args, o.OOB, id); err != nil {
		q.mu.Unlock()
		return err
	}
	if c != nil {
		if o.OOB {
			if q.oobMap == nil {
				q.oobMap = make(map[uint64]*call)
			}
			q.oobMap[id] = c
		} else {
			q.fifo.push(c)
		}
	}
	if !alone {
		writer := !q.writing
		q.writing = true
		q.mu.Unlock()
		if writer {
			q.flush(ctx)
		}
		return nil
	}
	// Alone: nobody was writing, so w holds this request only, and
	// nobody appends until alone is cleared.
	q.writing, q.alone = true, true
	q.mu.Unlock()
	err := q.flushBuf(ctx, w, o.Files)
	_, local := err.(*filesError)
	switch {
	case err == nil:
		q.flush(ctx) // clears writing and alone
		return nil
	case local:
		q.mu.Lock()
		if c != nil {
			if o.OOB {
				delete(q.oobMap, id)
			} else {
				q.fifo.removeLast(c)
			}
		}
		q.writing, q.alone = false, false
		q.wcond.Broadcast()
		q.mu.Unlock()
		return &RequestError{Command: command, Err: err}
	case err == errHandedOff:
		return ctxErr(ctx)
	}
	return q.connErr()
}

// flush writes request buffers until none is pending (the caller set
// q.writing), then clears writing and alone.
func (q *QMP) flush(ctx context.Context) {
	for {
		q.mu.Lock()
		w := &q.wbufs[q.wcur]
		if w.b.Len() == 0 {
			q.writing, q.alone = false, false
			q.wcond.Broadcast()
			q.mu.Unlock()
			return
		}
		q.wcur ^= 1
		q.mu.Unlock()
		if q.flushBuf(ctx, w, nil) != nil {
			return
		}
	}
}

var errHandedOff = errors.New("write handed over")

// flushBuf writes w's buffer, with files. A write error fails the
// session, except a filesError (nothing was written). When ctx ends
// mid-write (a peer that has stopped reading), a goroutine of its own
// takes the writing over and flushBuf returns errHandedOff: a QMP request
// cut short cannot be taken back, so the rest must still go out, but the
// caller need not wait for it.
func (q *QMP) flushBuf(ctx context.Context, w *reqBuf, files []*os.File) error {
	n, err := q.writeCtx(ctx, w.b.Bytes(), files)
	if err == errWriteInterrupted {
		w.b.Next(n)
		if n > 0 {
			files = nil // they went with the first byte
		}
		q.mu.Lock()
		if !q.closed { // see Close
			q.writers.Add(1)
			go func() {
				defer q.writers.Done()
				if q.flushBuf(context.Background(), w, files) == nil {
					q.flush(context.Background())
				}
			}()
			q.mu.Unlock()
			return errHandedOff
		}
		q.mu.Unlock()
		err = q.connErr()
	}
	if w.b.Cap() > keepLineBuffer {
		w.b = bytes.Buffer{}
	} else {
		w.b.Reset()
	}
	if err != nil {
		if _, ok := err.(*filesError); ok && n == 0 {
			return err
		}
		q.fail(err)
		return err
	}
	return nil
}
