package bench

import (
	"context"
	"testing"
	"time"

	"github.com/kbench/kbench/drivers"
	"github.com/kbench/kbench/workload"
)

// nopProducer acknowledges every record at once, so a benchmark of the
// send loop measures kbench's own per-message work: pacing, slot reuse,
// stamping, and recording the latency.
type nopProducer struct{ off int64 }

func (p *nopProducer) Produce(_ context.Context, _ *drivers.Record, done drivers.DoneFunc) {
	p.off++
	done(int32(p.off%4), p.off, nil)
}
func (p *nopProducer) Flush(context.Context) error { return nil }
func (p *nopProducer) Close() error                { return nil }

func benchProducer(b *testing.B, rate float64) *producer {
	w := &workload.Workload{Topics: 1, PartitionsPerTopic: 4, MessageSize: 1024, ProducersPerTopic: 1,
		Duration: workload.Duration(time.Hour), KeyDistributor: workload.KeyRoundRobin, ProducerRate: rate}
	if err := w.Resolve(); err != nil {
		b.Fatal(err)
	}
	cfg, _ := memConfig(w)
	cfg.wait = nil // the real pacer
	r := &run{cfg: cfg, w: w, topics: []string{"t"}, parts: 4}
	r.payload, _, _ = newPayload(w)
	p, err := newProducer(context.Background(), r, 0, int64(b.N))
	if err != nil {
		b.Fatal(err)
	}
	p.drv = &nopProducer{}
	r.t0 = time.Now()
	r.t0Stamp = stampTime(r.t0)
	return p
}

// BenchmarkSendClosed is the per-message path of the closed model.
func BenchmarkSendClosed(b *testing.B) {
	p := benchProducer(b, 0)
	b.ReportAllocs()
	b.ResetTimer()
	p.loop(context.Background(), 0)
}

// BenchmarkSendOpen is the per-message path of the open model at a rate too
// high to ever wait, so pacing's arithmetic is measured, not its sleeps.
func BenchmarkSendOpen(b *testing.B) {
	p := benchProducer(b, 1e12)
	b.ReportAllocs()
	b.ResetTimer()
	p.loop(context.Background(), 0)
}
