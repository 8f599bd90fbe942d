package bench

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/kbench/kbench/drivers"
	"github.com/kbench/kbench/workload"
)

// receiveParts is the partition count of the receive benchmarks: at least
// as many as goroutines, so each reads partitions of its own, as the
// consumers of one group do.
const receiveParts = 16

// benchSubscription is one subscription of a run reading one topic of
// receiveParts partitions written by one producer.
func benchSubscription(b *testing.B) (*run, *verifier) {
	w := &workload.Workload{Topics: 1, PartitionsPerTopic: receiveParts, MessageSize: 1024, ProducersPerTopic: 1,
		SubscriptionsPerTopic: 1, Duration: workload.Duration(time.Hour)}
	if err := w.Resolve(); err != nil {
		b.Fatal(err)
	}
	return &run{w: w, topics: []string{"t"}, parts: receiveParts}, newVerifier(receiveParts, []uint64{0})
}

// receiver is one consumer of the subscription reading partition part;
// seq numbers its messages g, g+stride, g+2×stride, ... so consumers of
// different partitions share the producer's sequence space, as in a run.
type receiver struct {
	c      *consumer
	msg    drivers.Message
	seq    uint64
	stride uint64
	sent   int64 // the send time every message carries
}

func newReceiver(r *run, v *verifier, part int, stride uint64) *receiver {
	c := &consumer{r: r, rec: newRecorder(time.Hour, false), v: v, topics: map[string]int{"t": 0}}
	x := &receiver{c: c, seq: uint64(part), stride: stride, sent: time.Now().UnixNano()}
	x.msg = drivers.Message{Topic: "t", Partition: int32(part), Value: make([]byte, 1024)}
	return x
}

func (x *receiver) next() {
	stamp{Producer: 0, Seq: x.seq, SentNano: x.sent}.Put(x.msg.Value)
	x.c.receive(&x.msg)
	x.msg.Offset++
	x.seq += x.stride
}

// BenchmarkReceive is one consumer's per-message path: the verifier's
// bookkeeping and the end-to-end latency's recording.
func BenchmarkReceive(b *testing.B) {
	r, v := benchSubscription(b)
	x := newReceiver(r, v, 0, 1)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		x.next()
	}
}

// BenchmarkReceiveParallel is that path with several consumers of one
// subscription at once, each on its own partition: a lock the whole
// subscription shares shows here as contention.
func BenchmarkReceiveParallel(b *testing.B) {
	r, v := benchSubscription(b)
	var next atomic.Int32
	b.SetParallelism(4)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		x := newReceiver(r, v, int(next.Add(1)-1)%receiveParts, receiveParts)
		for pb.Next() {
			x.next()
		}
	})
}
