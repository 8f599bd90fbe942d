package bench

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
)

// sizeTableLen is how many drawn sizes a producer cycles through: drawing
// ahead keeps the random generator off the per-message path.
const sizeTableLen = 4096

// sizeTable draws message sizes from the workload's distribution.
func sizeTable(w *Workload, rng *rand.Rand) []int {
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

// maxSize is the largest message the workload can produce.
func maxSize(w *Workload) int {
	m := max(w.MessageSize, w.MessageSizeMax)
	for _, ws := range w.MessageSizes {
		m = max(m, ws.Size)
	}
	return m
}

// payloadBody returns the bytes message values are filled with (the stamp
// overwrites the first stampSize): the payload file's content if the
// workload names one that exists, else random bytes for
// useRandomizedPayloads (so compression sees incompressible data, in the
// proportion randomBytesRatio), else zeros as OMB's default payload is.
// A payload file that is missing is reported as a note, so OMB workload
// files run as they are.
func payloadBody(w *Workload, size int, rng *rand.Rand) (body []byte, note string, err error) {
	body = make([]byte, size)
	if w.PayloadFile != "" {
		path := w.PayloadFile
		if !filepath.IsAbs(path) && w.dir != "" {
			if _, err := os.Stat(filepath.Join(w.dir, path)); err == nil {
				path = filepath.Join(w.dir, path)
			}
		}
		data, rerr := os.ReadFile(path)
		switch {
		case rerr == nil && len(data) > 0:
			for i := 0; i < size; i += copy(body[i:], data) {
			}
			return body, "", nil
		case os.IsNotExist(rerr):
			note = fmt.Sprintf("payloadFile %s not found: used generated payload of %d bytes", w.PayloadFile, size)
		case rerr != nil:
			return nil, "", fmt.Errorf("payloadFile %s: %w", w.PayloadFile, rerr)
		}
	}
	if w.UseRandomizedPayloads {
		ratio := w.RandomBytesRatio
		if ratio <= 0 || ratio > 1 {
			ratio = 1
		}
		n := int(float64(size) * ratio)
		for i := 0; i < n; i++ {
			body[i] = byte(rng.UintN(256))
		}
	}
	return body, note, nil
}

// keyTableLen is how many distinct keys KEY_ROUND_ROBIN and RANDOM_NANO
// draw from; precomputed so the send path does not allocate.
const keyTableLen = 1024

func keyTable(w *Workload, rng *rand.Rand) [][]byte {
	if w.KeyDistributor == noKey {
		return nil
	}
	keys := make([][]byte, keyTableLen)
	for i := range keys {
		if w.KeyDistributor == keyRoundRobin {
			keys[i] = []byte("key-" + strconv.Itoa(i))
		} else {
			keys[i] = []byte(strconv.FormatUint(rng.Uint64(), 36))
		}
	}
	return keys
}
