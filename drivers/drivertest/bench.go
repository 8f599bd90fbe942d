package drivertest

import (
	"context"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kbench/kbench/drivers"
)

// BenchProduce measures d's Produce hot path against an in-process kfake
// cluster that discards what it receives. Its numbers say nothing about
// Kafka; they show the driver's own cost and allocations per record.
func BenchProduce(b *testing.B, d drivers.Driver) {
	const topic = "kbench-bench"
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.BlackholeProduce(), kfake.SeedTopics(4, topic))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	p, err := d.NewProducer(context.Background(), drivers.ProducerConfig{Bootstrap: c.ListenAddrs(),
		Props: map[string]string{"linger.ms": "5", "acks": "1"}})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	ctx := context.Background()
	done := func(int32, int64, error) {}
	rec := &drivers.Record{Topic: topic, Partition: -1, Value: make([]byte, 100)}
	p.Produce(ctx, rec, done) // connect and load metadata outside the timing
	if err := p.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(rec.Value)))
	b.ResetTimer()
	for range b.N {
		p.Produce(ctx, rec, done)
	}
	if err := p.Flush(ctx); err != nil {
		b.Fatal(err)
	}
}
