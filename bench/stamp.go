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

// stampTime returns t as Unix nanoseconds read on the monotonic clock from
// the moment the process started: in one process, end-to-end latency (a
// difference of two such times) does not move when the wall clock is
// stepped; across the processes of a distributed run they stay Unix times,
// whose offsets the run measures. A t without a monotonic reading (one
// agreed between processes) is its own Unix time.
func stampTime(t time.Time) int64 { return stampBaseUnix + int64(t.Sub(stampBase)) }

// stampNow is stampTime(time.Now()) with one clock read where time.Now
// takes two (the wall clock too): it is read once per consumed message.
func stampNow() int64 { return stampBaseUnix + int64(time.Since(stampBase)) }

// stampBase is the process's reference instant for stampTime, and
// stampBaseUnix its Unix time. Set once, when the package loads; only read.
var (
	stampBase     = time.Now()
	stampBaseUnix = stampBase.UnixNano()
)

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
