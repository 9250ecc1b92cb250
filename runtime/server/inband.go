package server

import "time"

// In-band commands with oob enabled.
//
// With oob enabled QEMU goes on reading, and running out-of-band
// commands, while an in-band command runs. The obvious shape for that is
// a reader goroutine handing each in-band request to a worker goroutine.
// It costs a goroutine wake-up per request, and on a multi-core machine
// Go's scheduler pays for one with a futex wake of an idle thread, its
// spinning (nanosleeps) and its return to sleep: in BenchmarkServerCPU
// the hop alone ("floor-hop" against "floor-netpoll") cost 15 to 20 µs of
// CPU per query-status, about what all the rest of a request costs, and a
// session that hopped spent 45 to 65 µs per query-status against QEMU
// 7.2's 370 to 430 µs, short of the tenth of QEMU's CPU it is held to
// (blocking reads on the raw descriptor instead of the netpoller saved
// nothing: "floor-blocking").
//
// So the serving goroutine runs in-band requests itself, once it has
// parsed what a read returned (and answered the out-of-band requests in
// it, which thereby overtake in-band ones as in QEMU), and a watchdog
// keeps a blocking command from holding up out-of-band ones: when the
// same in-band command is still running at two of its ticks, a second
// goroutine takes over reading (the reader state moves to it: nothing
// reads while a command runs inline), and the serving goroutine becomes
// the in-band worker, running what it had left and then what the new
// reader queues, in order. The connection keeps that shape until it
// ends. An out-of-band command waits at most two watch periods behind a
// blocking in-band one.
//
// Per request this costs two atomic operations. The watchdog ticks only
// while in-band commands keep coming: after a period without one it
// sleeps, and the next in-band request wakes it (one wake-up, paid only
// by a request after an idle period).
//
// Who owns what, so that it can be checked by reading:
//   - c.inband is odd exactly while the serving goroutine runs an
//     in-band command inline; it moves to takenOver only by the watchdog's
//     compare-and-swap from the odd value it saw at two ticks, and then
//     the serving goroutine's compare-and-swap at the command's end fails:
//     exactly one of the two wins.
//   - The reader state (c.r, c.buf, c.st, c.files, c.order) belongs to the
//     serving goroutine until that swap, to the second reader after it;
//     the serving goroutine touches it only while reading, never while a
//     command runs inline.
//   - c.queue is made before the watchdog starts; only the second reader
//     sends on it and closes it (when its reading ends), only the serving
//     goroutine receives.

// watchPeriod is the watchdog's tick.
const watchPeriod = 10 * time.Millisecond

// takenOver is c.inband's value once a second reader took over.
const takenOver = 1 << 63

// startWatch starts the watchdog, when qmp_capabilities enabled oob (on
// the serving goroutine, before any in-band request runs inline).
func (c *Conn) startWatch() {
	c.queue = make(chan *Request, queueLen-1)
	c.watchWake = make(chan struct{}, 1)
	c.helpers.Add(1)
	go c.watch()
}

// runInline runs an in-band request on the serving goroutine. It reports
// false when a second reader took over meanwhile: the caller is the
// in-band worker from then on.
func (c *Conn) runInline(req *Request, rb *replyBuffer) bool {
	if c.ctx.Err() != nil {
		closeFiles(req.Files)
		return true
	}
	v := c.inband.Add(1)
	if c.watchIdle.Load() {
		select {
		case c.watchWake <- struct{}{}:
		default:
		}
	}
	c.dispatch(req, req.refused, rb)
	return c.inband.CompareAndSwap(v, v+1)
}

// watch is the watchdog: see above.
func (c *Conn) watch() {
	defer c.helpers.Done()
	t := time.NewTimer(watchPeriod)
	defer t.Stop()
	last := c.inband.Load()
	for {
		select {
		case <-c.ctx.Done():
			return
		case <-t.C:
		}
		v := c.inband.Load()
		switch {
		case v&1 == 1 && v == last:
			// The same in-band command ran through a whole period.
			if c.inband.CompareAndSwap(v, takenOver) {
				c.helpers.Add(1)
				go func() {
					defer c.helpers.Done()
					c.readLoop(&reading{c: c, rb: new(replyBuffer), second: true})
				}()
				return
			}
		case v == last:
			// No in-band command ran during a period: sleep until one
			// starts. runInline stores c.inband before it loads
			// c.watchIdle, this the other way round, so either it sees
			// the watchdog idle and wakes it or this sees its command.
			c.watchIdle.Store(true)
			if c.inband.Load() == v {
				select {
				case <-c.ctx.Done():
					return
				case <-c.watchWake:
				}
			}
			c.watchIdle.Store(false)
		}
		last = c.inband.Load()
		t.Reset(watchPeriod)
	}
}
