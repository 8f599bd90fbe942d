package bench

import (
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/kbench/kbench/drivers"
	"github.com/kbench/kbench/results"
	"github.com/kbench/kbench/workload"
)

// The split gives every producer and consumer to exactly one shard,
// within the roles.
func TestSliceOf(t *testing.T) {
	for _, c := range []struct {
		name                string
		roles               workload.ShardRoles
		count               int
		producers, consumer []int // shards holding some
	}{
		{"all on all", workload.ShardRoles{}, 3, []int{0, 1, 2}, []int{0, 1, 2}},
		{"roles", workload.ShardRoles{Producers: []int{0, 1}, Consumers: []int{2}}, 3, []int{0, 1}, []int{2}},
		// In one process the roles do not apply.
		{"one process", workload.ShardRoles{Producers: []int{1}, Consumers: []int{1}}, 1, []int{0}, []int{0}},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := &workload.Workload{Topics: 2, ProducersPerTopic: 3, SubscriptionsPerTopic: 2, ConsumerPerSubscription: 3, Shards: c.roles}
			var prods []int
			consumers := map[[2]int]int{}
			var prodShards, consShards []int
			for i := range c.count {
				s := sliceOf(w, i, c.count)
				prods = append(prods, s.producers...)
				if len(s.producers) > 0 {
					prodShards = append(prodShards, i)
				}
				held := false
				for sub, cs := range s.consumers {
					for _, k := range cs {
						consumers[[2]int{sub, k}]++
						held = true
					}
				}
				if held {
					consShards = append(consShards, i)
				}
			}
			slices.Sort(prods)
			if !slices.Equal(prods, []int{0, 1, 2, 3, 4, 5}) {
				t.Errorf("producers over the shards %v, want each of 0..5 once", prods)
			}
			if len(consumers) != 6 {
				t.Errorf("%d consumers placed, want 6", len(consumers))
			}
			for k, n := range consumers {
				if n != 1 {
					t.Errorf("consumer %v placed %d times", k, n)
				}
			}
			if !slices.Equal(prodShards, c.producers) || !slices.Equal(consShards, c.consumer) {
				t.Errorf("producing shards %v, consuming %v; want %v, %v", prodShards, consShards, c.producers, c.consumer)
			}
		})
	}
}

// seqsOf turns a bitset into the ranges of its members, full and empty
// words included.
func TestSeqsOf(t *testing.T) {
	var b bitset
	for i := uint64(0); i < 300; i++ {
		if i < 130 || i == 200 || i >= 250 && i < 260 {
			b.set(i)
		}
	}
	got := seqsOf(b, 255)
	want := []string{"[0,130)", "[200,201)", "[250,255)"}
	if len(got) != len(want) {
		t.Fatalf("seqsOf = %v, want %v", got, want)
	}
	for i, r := range got {
		if s := "[" + itoa(r.From) + "," + itoa(r.To) + ")"; s != want[i] {
			t.Errorf("range %d = %s, want %s", i, s, want[i])
		}
	}
}

func itoa(v uint64) string { return strconv.FormatUint(v, 10) }

// Two consumers of a subscription split over shards share partition 0
// (a rebalance in between): the shard reports the offsets they read, once
// each and joined, and leaves out the re-read the second one made.
func TestOffsetsRead(t *testing.T) {
	w := &workload.Workload{Topics: 1, PartitionsPerTopic: 2, ProducersPerTopic: 1, ConsumerPerSubscription: 2}
	r := &run{w: w, parts: 2}
	v := newVerifier(2, []uint64{0})
	v.split = true
	var cs [2]*consumer
	for i := range cs {
		cs[i] = &consumer{r: r, rec: newRecorder(time.Second, false), v: v, topics: map[string]int{"t": 0}, offsets: make([]results.Seqs, 2)}
		r.consumers = append(r.consumers, cs[i])
	}
	read := func(c *consumer, part int32, from, to int64) {
		for o := from; o < to; o++ {
			c.receive(&drivers.Message{Topic: "t", Partition: part, Offset: o, Value: []byte("x")})
		}
	}
	read(cs[0], 0, 0, 60)
	read(cs[1], 0, 40, 100) // 40..59 again, from the last commit
	read(cs[1], 1, 5, 10)
	got := r.offsetsRead(v)
	want := []results.Seqs{{{From: 0, To: 100}}, {{From: 5, To: 10}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("offsets read %v, want %v", got, want)
	}
}
