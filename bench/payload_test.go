package bench

import (
	"bytes"
	"fmt"
	"math"
	"testing"
	"testing/synctest"
	"time"

	"github.com/kbench/kbench/workload"
)

// Random payloads are distinct per message, in the share of random bytes
// asked for, as the cluster receives them; and the stored bytes recorded
// are what the cluster holds.
func TestRandomPayloadsAreDistinct(t *testing.T) {
	for _, ratio := range []float64{1, 0.1} {
		t.Run(fmt.Sprint("ratio=", ratio), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				w := mustResolve(t, &workload.Workload{Topics: 1, PartitionsPerTopic: 2, MessageSize: 1024, ProducersPerTopic: 2,
					Messages: 4000, Duration: workload.Duration(time.Minute), UseRandomizedPayloads: true, RandomBytesRatio: ratio})
				if want := workload.DefaultPoolSize(1024); w.RandomizedPayloadPoolSize != want {
					t.Errorf("pool of %d payloads, want the default %d", w.RandomizedPayloadPoolSize, want)
				}
				cfg, c := memConfig(w)
				c.ackLag = func(time.Time) time.Duration { return time.Millisecond }
				res, err := Run(t.Context(), cfg)
				if err != nil {
					t.Fatal(err)
				}
				bodies := map[string]bool{}
				var nonZero, total int
				for _, topic := range c.logs {
					for _, part := range topic {
						for _, v := range part {
							body := v[stampSize:]
							bodies[string(body)] = true
							total += len(body)
							nonZero += len(body) - bytes.Count(body, []byte{0})
						}
					}
				}
				// 4000 draws from 32768 bodies: about 240 repeats expected
				// (n²/2m), far from the one body of old.
				if len(bodies) < 3600 {
					t.Errorf("ratio %g: %d distinct bodies in 4000 messages", ratio, len(bodies))
				}
				// A random byte is zero one time in 256.
				if got := float64(nonZero) / float64(total); math.Abs(got-ratio*255/256) > 0.02 {
					t.Errorf("ratio %g: %.3f of the bytes are random", ratio, got)
				}
				if s := res.Summary; s.StoredBytes == nil || *s.StoredBytes != s.ProducedBytes {
					t.Errorf("stored %v bytes, the mem cluster holds %d", s.StoredBytes, s.ProducedBytes)
				}
			})
		})
	}
}

// The send path picks sizes and keys with a mask (producer.send): every
// table's length must be a power of two.
func TestTablesArePowersOfTwo(t *testing.T) {
	for _, w := range []*workload.Workload{
		{MessageSize: 100},                      // one fixed size
		{MessageSize: 100, MessageSizeMax: 200}, // uniform
		{MessageSizes: []workload.WeightedSize{{Size: 10, Weight: 1}, {Size: 20, Weight: 3}}}, // weighted
	} {
		for _, kd := range []string{workload.KeyRoundRobin, workload.RandomNano} {
			w.KeyDistributor = kd
			rng := seededRand(1, 0)
			if n := len(sizeTable(w, rng)); n&(n-1) != 0 {
				t.Errorf("%+v: %d sizes", w, n)
			}
			if n := len(keyTable(w, rng)); n&(n-1) != 0 {
				t.Errorf("%+v: %d keys", w, n)
			}
		}
	}
}
