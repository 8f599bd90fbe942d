package bench

import (
	"encoding/binary"
	"errors"
	"time"
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
//	16..23 send time (the intended time in the open model), nanoseconds
//	       since monoBase on the monotonic clock
//
// Producers and consumers share this process, so the send time is read on
// its monotonic clock: a step of the wall clock does not move end-to-end
// latency.
type stamp struct {
	Producer uint32
	Seq      uint64
	SentNano int64
}

// stampVersion 2: the send time is monotonic (version 1 held Unix time).
const stampVersion = 2

// monoBase is the process's reference instant for send times. It is set
// once, when the package loads, and only read.
var monoBase = time.Now()

// monoSince returns t as nanoseconds since monoBase, on the monotonic
// clock.
func monoSince(t time.Time) int64 { return int64(t.Sub(monoBase)) }

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
