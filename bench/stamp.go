package bench

import (
	"encoding/binary"
	"errors"
	"time"

	"github.com/kbench/kbench/workload"
)

// stamp is the header kbench writes at the start of every message value,
// so consumers can check loss, duplication and order, and measure
// end-to-end latency. Layout (big-endian, stampSize bytes):
//
//	0..1   magic "kb"
//	2      format version (1)
//	3      reserved (0)
//	4..7   producer id
//	8..15  sequence number within the producer, from 0
//	16..23 send time (the intended time in the open model), Unix
//	       nanoseconds as stampTime reads them
type stamp struct {
	Producer uint32
	Seq      uint64
	SentNano int64
}

const stampVersion = 1

// stampSize is the stamp's length, the least a workload's messages may
// have.
const stampSize = workload.StampSize

// Clock reads time as the stamps in messages carry it: Unix nanoseconds
// from a wall-clock reading taken once, carried forward on the monotonic
// clock. A step of the wall clock after that reading moves no stamp, no
// elapsed time and no instant converted from it (Instant): the shards of a
// distributed run measure their clocks' offsets, and agree on their
// common start, in this time. A Clock is a value, safe to use from several
// goroutines.
type Clock struct {
	base     time.Time // carries a monotonic reading
	baseUnix int64
}

// NewClock returns a Clock whose time is wall's reading now, carried
// forward on the monotonic clock read just before it.
func NewClock(wall func() time.Time) Clock {
	base := time.Now()
	return Clock{base: base, baseUnix: wall().UnixNano()}
}

// ProcessClock returns the Clock this process's stamps are read on, taken
// when the package loaded.
func ProcessClock() Clock { return stamps }

// Now returns the clock's time now.
func (c Clock) Now() int64 { return c.baseUnix + int64(time.Since(c.base)) }

// Unix returns instant t in the clock's time. A t without a monotonic
// reading is taken as a wall-clock time.
func (c Clock) Unix(t time.Time) int64 { return c.baseUnix + int64(t.Sub(c.base)) }

// Instant returns the instant, with a monotonic reading, at which the
// clock reads unix: time.Until and time.Since on it count monotonic time.
func (c Clock) Instant(unix int64) time.Time { return c.base.Add(time.Duration(unix - c.baseUnix)) }

// stamps is the process's clock for stamps. Set once, when the package
// loads; only read.
var stamps = NewClock(time.Now)

// stampTime returns t in the stamps' time (see Clock): in one process,
// end-to-end latency (a difference of two such times) does not move when
// the wall clock is stepped; across the processes of a distributed run
// they are the times whose offsets the run measures.
func stampTime(t time.Time) int64 { return stamps.Unix(t) }

// stampNow is stampTime(time.Now()) with one clock read where time.Now
// takes two (the wall clock too): it is read once per consumed message.
func stampNow() int64 { return stamps.Now() }

// errNoStamp is returned for a message kbench did not write.
var errNoStamp = errors.New("message has no kbench stamp")

// Put writes s into the first stampSize bytes of b.
func (s stamp) Put(b []byte) {
	_ = b[stampSize-1]
	b[0], b[1], b[2], b[3] = 'k', 'b', stampVersion, 0
	binary.BigEndian.PutUint32(b[4:], s.Producer)
	binary.BigEndian.PutUint64(b[8:], s.Seq)
	binary.BigEndian.PutUint64(b[16:], uint64(s.SentNano))
}

// readStamp reads the stamp at the start of b.
func readStamp(b []byte) (stamp, error) {
	if len(b) < stampSize || b[0] != 'k' || b[1] != 'b' || b[2] != stampVersion {
		return stamp{}, errNoStamp
	}
	return stamp{
		Producer: binary.BigEndian.Uint32(b[4:]),
		Seq:      binary.BigEndian.Uint64(b[8:]),
		SentNano: int64(binary.BigEndian.Uint64(b[16:])),
	}, nil
}

// setAhead makes ahead (see Coordinator.Start) the shift consumers take
// off the end-to-end latency of every message they read from now on. Safe
// to call while they read.
func (r *run) setAhead(ahead []time.Duration) { r.e2eShift.Store(&ahead) }
