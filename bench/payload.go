package bench

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"sort"
	"strconv"

	"github.com/kbench/kbench/workload"
)

// sizeTableLen is how many drawn sizes a producer cycles through: drawing
// ahead keeps the random generator off the per-message path. A power of
// two, as the send path indexes with a mask.
const sizeTableLen = 4096

// sizeTable draws message sizes from the workload's distribution.
func sizeTable(w *workload.Workload, rng *rand.Rand) []int {
	if w.MessageSizeMax == 0 && len(w.MessageSizes) == 0 {
		return []int{w.MessageSize}
	}
	t := make([]int, sizeTableLen)
	if w.MessageSizeMax != 0 {
		span := w.MessageSizeMax - w.MessageSize + 1
		for i := range t {
			t[i] = w.MessageSize + rng.IntN(span)
		}
		return t
	}
	// Weighted: cumulative weights, then a binary search per draw.
	cum := make([]float64, len(w.MessageSizes))
	total := 0.0
	for i, ws := range w.MessageSizes {
		total += ws.Weight
		cum[i] = total
	}
	for i := range t {
		x := rng.Float64() * total
		j := sort.SearchFloat64s(cum, x)
		if j == len(cum) {
			j--
		}
		t[i] = w.MessageSizes[j].Size
	}
	return t
}

// payload is what message values are filled with before the stamp
// overwrites their first stampSize bytes: one body that every message
// starts from, or, for random payloads, a pool of distinct bodies one of
// which is drawn per message, so compression sees a stream of different
// messages rather than one message repeated. One payload serves all of a
// run's producers; it is read-only once built.
type payload struct {
	body []byte // the fixed body; nil when there is a pool
	pool []byte // n bodies of stride bytes each
	n    int
	// stride is the largest message size.
	stride int
}

// Random payload pools.
const (
	// randomBlock is the grain of randomBytesRatio: each block of this
	// many bytes starts with its share of random bytes and ends in zeros,
	// so a message of any size has about that share.
	randomBlock = 128
	// payloadStream is the pool's stream of the workload's seed, apart
	// from the producers' (0, 1, ...).
	payloadStream = 1 << 21
)

// newPayload builds the run's payload: the payload file's content if the
// workload names one that exists, else a pool of randomizedPayloadPoolSize
// random bodies for useRandomizedPayloads (random in the share
// randomBytesRatio, zeros otherwise), else zeros as OMB's default payload
// is. A payload file that is missing is reported as a note, so OMB
// workload files run as they are.
func newPayload(w *workload.Workload) (pl *payload, note string, err error) {
	size := w.MaxMessageSize()
	if w.PayloadFile != "" {
		data, rerr := os.ReadFile(w.PayloadPath())
		switch {
		case rerr == nil && len(data) > 0:
			body := make([]byte, size)
			for i := 0; i < size; i += copy(body[i:], data) {
			}
			return &payload{body: body, stride: size}, "", nil
		case os.IsNotExist(rerr):
			note = fmt.Sprintf("payloadFile %s not found: used generated payload of %d bytes", w.PayloadFile, size)
		case rerr != nil:
			return nil, "", fmt.Errorf("payloadFile %s: %w", w.PayloadFile, rerr)
		}
	}
	if !w.UseRandomizedPayloads {
		return &payload{body: make([]byte, size), stride: size}, note, nil
	}
	ratio := w.RandomBytesRatio
	if ratio <= 0 || ratio > 1 {
		ratio = 1
	}
	n := w.RandomizedPayloadPoolSize
	if n == 0 {
		n = workload.DefaultPoolSize(size)
	}
	pl = &payload{pool: make([]byte, n*size), n: n, stride: size}
	rng := seededRand(w.Seed, payloadStream)
	random := int(math.Round(ratio * randomBlock))
	for off := 0; off < len(pl.pool); off += randomBlock {
		end := min(off+random, len(pl.pool))
		for i := off; i < end; i += 8 {
			var b [8]byte
			binary.LittleEndian.PutUint64(b[:], rng.Uint64())
			copy(pl.pool[i:end], b[:])
		}
	}
	return pl, note, nil
}

// fill puts the body of a message into buf (whose length is the
// message's size): a pool's body drawn with rng; a fixed body is already
// there, put once when the slot was made.
func (pl *payload) fill(buf []byte, rng *rand.Rand) {
	if pl.pool != nil {
		k := rng.IntN(pl.n)
		copy(buf, pl.pool[k*pl.stride:])
	}
}

// keyTableLen is how many distinct keys KEY_ROUND_ROBIN and RANDOM_NANO
// draw from; precomputed so the send path does not allocate. A power of
// two, as the send path indexes with a mask.
const keyTableLen = 1024

func keyTable(w *workload.Workload, rng *rand.Rand) [][]byte {
	if w.KeyDistributor == workload.NoKey {
		return nil
	}
	keys := make([][]byte, keyTableLen)
	for i := range keys {
		if w.KeyDistributor == workload.KeyRoundRobin {
			keys[i] = []byte("key-" + strconv.Itoa(i))
		} else {
			keys[i] = []byte(strconv.FormatUint(rng.Uint64(), 36))
		}
	}
	return keys
}
