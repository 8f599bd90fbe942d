// Package drivertest is the conformance suite every driver passes, and the
// clusters it runs against: an in-process kfake cluster always, and a real
// cluster when KBENCH_BOOTSTRAP names one.
package drivertest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kbench/kbench/drivers"
)

// EnvBootstrap names the environment variable holding a real cluster's
// comma-separated bootstrap addresses.
const EnvBootstrap = "KBENCH_BOOTSTRAP"

// Target is a cluster to run the suite against.
type Target struct {
	Name      string
	Bootstrap []string
	Admin     drivers.Admin
}

// Targets returns a fresh three-broker kfake cluster and, when
// KBENCH_BOOTSTRAP is set, the real cluster it names, each with an admin
// client of d. Everything is closed when t ends.
func Targets(t *testing.T, d drivers.Driver) []Target {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(3))
	if err != nil {
		t.Fatalf("start kfake: %v", err)
	}
	t.Cleanup(c.Close)
	targets := []Target{{Name: "kfake", Bootstrap: c.ListenAddrs(), Admin: newAdmin(t, d, c.ListenAddrs())}}
	if env := os.Getenv(EnvBootstrap); env != "" {
		addrs := strings.Split(env, ",")
		targets = append(targets, Target{Name: "kafka", Bootstrap: addrs, Admin: newAdmin(t, d, addrs)})
	}
	return targets
}

func newAdmin(t *testing.T, d drivers.Driver, bootstrap []string) drivers.Admin {
	t.Helper()
	a, err := d.NewAdmin(context.Background(), drivers.AdminConfig{Bootstrap: bootstrap})
	if err != nil {
		t.Fatalf("admin for %v: %v", bootstrap, err)
	}
	t.Cleanup(a.Close)
	return a
}

// Run checks that d and its admin client behave as the drivers package
// documents, against the cluster at bootstrap. It creates uniquely named
// topics through admin, which d made, and deletes them afterwards.
func Run(t *testing.T, d drivers.Driver, bootstrap []string, admin drivers.Admin) {
	t.Run("Library", func(t *testing.T) {
		if lib := d.Library(); !strings.Contains(lib, " v") {
			t.Errorf("Library() = %q, want a module path and a version", lib)
		}
	})
	t.Run("Admin", func(t *testing.T) { testAdmin(t, admin) })
	t.Run("ProduceConsume", func(t *testing.T) { testProduceConsume(t, d, bootstrap, admin) })
	t.Run("ProduceAfterCancel", func(t *testing.T) { testProduceAfterCancel(t, d, bootstrap, admin) })
	t.Run("CloseInFlight", func(t *testing.T) { testCloseInFlight(t, d, bootstrap, admin) })
	t.Run("PollCancel", func(t *testing.T) { testPollCancel(t, d, bootstrap, admin) })
	t.Run("BadProperty", func(t *testing.T) { testBadProperty(t, d, bootstrap) })
	t.Run("RecordLimit", func(t *testing.T) { testRecordLimit(t, d, bootstrap, admin) })
	t.Run("BatchLimit", func(t *testing.T) { testBatchLimit(t, d, bootstrap, admin) })
	t.Run("EffectiveConfig", func(t *testing.T) { testEffectiveConfig(t, d, bootstrap) })
	t.Run("PingUnreachable", func(t *testing.T) { testPingUnreachable(t, d) })
	t.Run("Transactions", func(t *testing.T) { testTransactions(t, d, bootstrap, admin) })
	t.Run("Transform", func(t *testing.T) { testTransform(t, d, bootstrap, admin) })
}

var topicSeq atomic.Int64

// topic creates a uniquely named topic, replicated over up to three brokers.
func topic(t *testing.T, admin drivers.Admin, partitions int32) string {
	t.Helper()
	return topicWith(t, admin, partitions, nil)
}

// topicWith is topic with topic configs.
func topicWith(t *testing.T, admin drivers.Admin, partitions int32, configs map[string]string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	brokers, err := admin.Brokers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rf := int16(min(3, len(brokers)))
	name := fmt.Sprintf("kbench-test-%d-%d", time.Now().UnixNano(), topicSeq.Add(1))
	if err := admin.CreateTopic(ctx, drivers.TopicSpec{Name: name, Partitions: partitions, ReplicationFactor: rf, Configs: configs}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := admin.DeleteTopic(ctx, name); err != nil {
			t.Errorf("delete topic: %v", err)
		}
	})
	return name
}

func newProducer(t *testing.T, d drivers.Driver, bootstrap []string, props map[string]string) drivers.Producer {
	t.Helper()
	p, err := d.NewProducer(context.Background(), drivers.ProducerConfig{Bootstrap: bootstrap, ClientID: "kbench-test", Props: props})
	if err != nil {
		t.Fatalf("NewProducer: %v", err)
	}
	return p
}

// outcome is what one record's DoneFunc reported.
type outcome struct {
	calls     atomic.Int32
	partition int32
	offset    int64
	err       error
}

// outcomes records DoneFunc calls per record index.
type outcomes struct {
	mu   sync.Mutex
	recs []outcome
	left sync.WaitGroup
}

func newOutcomes(n int) *outcomes {
	o := &outcomes{recs: make([]outcome, n)}
	o.left.Add(n)
	return o
}

func (o *outcomes) done(i int) drivers.DoneFunc {
	return func(partition int32, offset int64, err error) {
		r := &o.recs[i]
		if r.calls.Add(1) != 1 {
			return // reported by check
		}
		o.mu.Lock()
		r.partition, r.offset, r.err = partition, offset, err
		o.mu.Unlock()
		o.left.Done()
	}
}

// wait waits until every record's DoneFunc ran, failing after d.
func (o *outcomes) wait(t *testing.T, d time.Duration) {
	t.Helper()
	all := make(chan struct{})
	go func() { o.left.Wait(); close(all) }()
	select {
	case <-all:
	case <-time.After(d):
		t.Fatalf("not every DoneFunc ran within %v", d)
	}
}

func (o *outcomes) check(t *testing.T) {
	t.Helper()
	for i := range o.recs {
		if n := o.recs[i].calls.Load(); n != 1 {
			t.Errorf("record %d: DoneFunc called %d times, want once", i, n)
		}
	}
}

func testProduceConsume(t *testing.T, d drivers.Driver, bootstrap []string, admin drivers.Admin) {
	const n, partitions = 600, 3
	name := topic(t, admin, partitions)
	p := newProducer(t, d, bootstrap, map[string]string{"acks": "all", "linger.ms": "5"})
	defer p.Close()

	// A third of the records name a partition; the rest let the client
	// choose, by key for most, spreading the keyless ones.
	recs := make([]drivers.Record, n)
	for i := range recs {
		recs[i] = drivers.Record{Topic: name, Partition: -1, Value: fmt.Appendf(nil, "value-%d", i)}
		switch i % 3 {
		case 0:
			recs[i].Partition = int32(i/3) % partitions
			recs[i].Key = fmt.Appendf(nil, "explicit-%d", i)
		case 1:
			recs[i].Key = fmt.Appendf(nil, "key-%d", i%7)
		}
	}
	out := newOutcomes(n)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i := range recs {
		p.Produce(ctx, &recs[i], out.done(i))
	}
	if err := p.Flush(ctx); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	for i := range out.recs {
		if out.recs[i].calls.Load() == 0 {
			t.Fatalf("record %d not completed when Flush returned", i)
		}
	}
	out.check(t)
	keyPart := map[string]int32{}
	out.wait(t, time.Second) // all ran; this orders their writes before our reads
	for i := range out.recs {
		r := &out.recs[i]
		switch {
		case r.err != nil:
			t.Fatalf("record %d: %v", i, r.err)
		case r.partition < 0 || r.partition >= partitions || r.offset < 0:
			t.Fatalf("record %d: partition %d offset %d", i, r.partition, r.offset)
		case recs[i].Partition >= 0 && r.partition != recs[i].Partition:
			t.Errorf("record %d: went to partition %d, asked for %d", i, r.partition, recs[i].Partition)
		}
		if i%3 == 1 {
			k := string(recs[i].Key)
			if prev, ok := keyPart[k]; ok && prev != r.partition {
				t.Errorf("key %s went to partitions %d and %d", k, prev, r.partition)
			}
			keyPart[k] = r.partition
		}
	}

	c, err := d.NewConsumer(ctx, drivers.ConsumerConfig{Bootstrap: bootstrap, ClientID: "kbench-test",
		Group: name + "-group", Topics: []string{name}})
	if err != nil {
		t.Fatalf("NewConsumer: %v", err)
	}
	defer c.Close()
	byPos := map[[2]int64]int{} // (partition, offset) -> record index
	for i := range out.recs {
		r := &out.recs[i]
		byPos[[2]int64{int64(r.partition), r.offset}] = i
	}
	seen := make([]bool, n)
	last := map[int32]int64{}
	got := 0
	for got < n && ctx.Err() == nil {
		err := c.Poll(ctx, func(m *drivers.Message) {
			if prev, ok := last[m.Partition]; ok && m.Offset <= prev {
				t.Errorf("partition %d: offset %d after %d", m.Partition, m.Offset, prev)
			}
			last[m.Partition] = m.Offset
			i, ok := byPos[[2]int64{int64(m.Partition), m.Offset}]
			switch {
			case !ok || m.Topic != name:
				t.Errorf("unexpected message %s[%d]@%d", m.Topic, m.Partition, m.Offset)
			case seen[i]:
				t.Errorf("record %d consumed twice", i)
			case string(m.Value) != string(recs[i].Value) || string(m.Key) != string(recs[i].Key):
				t.Errorf("record %d: got key %q value %q, want %q %q", i, m.Key, m.Value, recs[i].Key, recs[i].Value)
			default:
				seen[i] = true
				got++
			}
		})
		if err != nil && ctx.Err() == nil {
			t.Fatalf("Poll: %v", err)
		}
	}
	if got != n {
		t.Fatalf("consumed %d of %d records", got, n)
	}
	for range 2 {
		if err := c.Close(); err != nil {
			t.Errorf("consumer Close: %v", err)
		}
		if err := p.Close(); err != nil {
			t.Errorf("producer Close: %v", err)
		}
	}
}

func testProduceAfterCancel(t *testing.T, d drivers.Driver, bootstrap []string, admin drivers.Admin) {
	name := topic(t, admin, 1)
	p := newProducer(t, d, bootstrap, nil)
	defer p.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	out := newOutcomes(1)
	p.Produce(ctx, &drivers.Record{Topic: name, Partition: -1, Value: []byte("x")}, out.done(0))
	out.wait(t, 10*time.Second)
	out.check(t)
	if err := out.recs[0].err; drivers.KindOf(err) != drivers.KindCanceled {
		t.Errorf("Produce with a canceled ctx: error %v of kind %q, want kind %q", err, drivers.KindOf(err), drivers.KindCanceled)
	}
}

// testCloseInFlight closes a producer with records in flight: each still
// completes exactly once, and Produce after Close fails.
func testCloseInFlight(t *testing.T, d drivers.Driver, bootstrap []string, admin drivers.Admin) {
	const n = 2000
	name := topic(t, admin, 2)
	p := newProducer(t, d, bootstrap, map[string]string{"linger.ms": "50"})
	out := newOutcomes(n + 1)
	rec := drivers.Record{Topic: name, Partition: -1, Value: []byte("in flight")}
	for i := range n {
		p.Produce(context.Background(), &rec, out.done(i))
	}
	if err := p.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	p.Produce(context.Background(), &rec, out.done(n))
	out.wait(t, 20*time.Second)
	if err := p.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	out.check(t)
	if out.recs[n].err == nil {
		t.Error("Produce after Close succeeded")
	}
	for i := range out.recs {
		if r := &out.recs[i]; r.err != nil && drivers.KindOf(r.err) == "" {
			t.Errorf("record %d: error without a kind: %v", i, r.err)
		}
	}
}

func testPollCancel(t *testing.T, d drivers.Driver, bootstrap []string, admin drivers.Admin) {
	name := topic(t, admin, 1)
	c, err := d.NewConsumer(context.Background(), drivers.ConsumerConfig{Bootstrap: bootstrap,
		Group: name + "-group", Topics: []string{name}})
	if err != nil {
		t.Fatalf("NewConsumer: %v", err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	for {
		err := c.Poll(ctx, func(m *drivers.Message) { t.Errorf("unexpected message at offset %d", m.Offset) })
		if err != nil {
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("Poll after ctx ended = %v, want ctx's error", err)
			}
			break
		}
		if time.Since(start) > 5*time.Second {
			t.Fatal("Poll kept returning nil after ctx ended")
		}
	}
	if el := time.Since(start); el > 3*time.Second {
		t.Errorf("Poll took %v to notice its ctx ended", el)
	}
}

// testRecordLimit produces the largest record the driver's RecordLimit
// says its producer takes, which must be acknowledged, and one a byte
// larger, which must fail as too large. The topic takes larger batches
// than either, so the client's bound is the one met.
func testRecordLimit(t *testing.T, d drivers.Driver, bootstrap []string, admin drivers.Admin) {
	rl, ok := d.(drivers.RecordLimiter)
	if !ok {
		t.Skip("the driver reports no record limit")
	}
	props := map[string]string{"acks": "all"}
	lim := rl.RecordLimit(props)
	value := int(lim.Bytes)
	for !lim.Fits(0, value) {
		value--
	}
	name := topicWith(t, admin, 1, map[string]string{"max.message.bytes": strconv.FormatInt(2*lim.Bytes, 10)})
	p := newProducer(t, d, bootstrap, props)
	defer p.Close()
	recs := []drivers.Record{
		{Topic: name, Partition: 0, Value: make([]byte, value)},
		{Topic: name, Partition: 0, Value: make([]byte, value+1)},
	}
	out := newOutcomes(len(recs))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i := range recs {
		p.Produce(ctx, &recs[i], out.done(i))
	}
	out.wait(t, 30*time.Second)
	out.check(t)
	if err := out.recs[0].err; err != nil {
		t.Errorf("a %d-byte value, at the limit (%s: %d bytes), failed: %v", value, lim.Setting, lim.Bytes, err)
	}
	if err := out.recs[1].err; drivers.KindOf(err) != drivers.KindTooLarge {
		t.Errorf("a %d-byte value, a byte above the limit (%s), ended with %v; want a %s error", value+1, lim.Setting, err, drivers.KindTooLarge)
	}
}

// testBatchLimit fills batches (a long linger, records queued at once) on
// a topic whose max.message.bytes is 64 KiB: with batch.size set so that
// BatchLimit is exactly that, the brokers acknowledge every record; with
// batch.size well above it, the client builds batches the brokers refuse,
// and, not splitting them, fails their records as too large.
func testBatchLimit(t *testing.T, d drivers.Driver, bootstrap []string, admin drivers.Admin) {
	bl, ok := d.(drivers.BatchLimiter)
	if !ok {
		t.Skip("the driver reports no batch limit")
	}
	const topicMax, n, size = 65536, 1000, 1000
	name := topicWith(t, admin, 1, map[string]string{"max.message.bytes": strconv.Itoa(topicMax)})
	produce := func(batchSize int64) (tooLarge int, other error) {
		props := map[string]string{"acks": "all", "linger.ms": "500", "batch.size": strconv.FormatInt(batchSize, 10)}
		p := newProducer(t, d, bootstrap, props)
		defer p.Close()
		recs := make([]drivers.Record, n)
		out := newOutcomes(n)
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		for i := range recs {
			recs[i] = drivers.Record{Topic: name, Partition: 0, Value: make([]byte, size)}
			p.Produce(ctx, &recs[i], out.done(i))
		}
		out.wait(t, 60*time.Second)
		out.check(t)
		for i := range out.recs {
			switch r := &out.recs[i]; {
			case drivers.KindOf(r.err) == drivers.KindTooLarge:
				tooLarge++
			case r.err != nil:
				other = r.err
			}
		}
		return tooLarge, other
	}
	lim := bl.BatchLimit(map[string]string{"batch.size": strconv.Itoa(topicMax)})
	fit := topicMax + lim.Value - lim.Bytes
	if got := bl.BatchLimit(map[string]string{"batch.size": strconv.FormatInt(fit, 10)}).Bytes; got != topicMax {
		t.Fatalf("batch.size=%d: BatchLimit %d, want %d", fit, got, topicMax)
	}
	if tooLarge, err := produce(fit); tooLarge > 0 || err != nil {
		t.Errorf("batch.size=%d (batches up to %d bytes, the topic's max.message.bytes): %d of %d records too large, other error %v; want all acknowledged",
			fit, topicMax, tooLarge, n, err)
	}
	if tooLarge, err := produce(16 * topicMax); tooLarge == 0 || err != nil {
		t.Errorf("batch.size=%d on a topic taking %d-byte batches: %d records refused as too large, other error %v; want some refused (the client does not split a batch)",
			16*topicMax, topicMax, tooLarge, err)
	}
}

func testBadProperty(t *testing.T, d drivers.Driver, bootstrap []string) {
	cases := []struct {
		props map[string]string
		keys  []string // the keys an error may name
	}{
		{map[string]string{"acks": "2"}, []string{"acks"}},                                                     // no such acks level
		{map[string]string{"acks": "1", "enable.idempotence": "true"}, []string{"acks", "enable.idempotence"}}, // idempotence needs acks=all
		{map[string]string{"linger.ms": "-5"}, []string{"linger.ms"}},                                          // negative
		{map[string]string{"compression.type": "brotli"}, []string{"compression.type"}},                        // unknown codec
		{map[string]string{"no.such.property": "1"}, []string{"no.such.property"}},                             // unknown property
	}
	for _, c := range cases {
		p, err := d.NewProducer(context.Background(), drivers.ProducerConfig{Bootstrap: bootstrap, Props: c.props})
		if err == nil {
			p.Close()
		}
		checkPropErr(t, "NewProducer", c.props, err, c.keys)
	}
	props := map[string]string{"auto.offset.reset": "sometimes"}
	c, err := d.NewConsumer(context.Background(), drivers.ConsumerConfig{Bootstrap: bootstrap, Group: "g", Topics: []string{"t"}, Props: props})
	if err == nil {
		c.Close()
	}
	checkPropErr(t, "NewConsumer", props, err, []string{"auto.offset.reset"})
}

func checkPropErr(t *testing.T, call string, props map[string]string, err error, keys []string) {
	t.Helper()
	var pe *drivers.PropertyError
	if !errors.As(err, &pe) {
		t.Errorf("%s(%v) = %v, want a *drivers.PropertyError", call, props, err)
		return
	}
	for _, k := range keys {
		if pe.Key == k {
			return
		}
	}
	t.Errorf("%s(%v): error names %q, want one of %v", call, props, pe.Key, keys)
}

func testPingUnreachable(t *testing.T, d drivers.Driver) {
	const addr = "127.0.0.1:1"
	p := newProducer(t, d, []string{addr}, nil)
	defer p.Close()
	pinger, ok := p.(drivers.Pinger)
	if !ok {
		t.Fatalf("%s producer does not implement drivers.Pinger", d.Name())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	err := pinger.Ping(ctx)
	if err == nil {
		t.Fatalf("Ping(%s) succeeded", addr)
	}
	if !strings.Contains(err.Error(), addr) {
		t.Errorf("Ping error %q does not name %s", err, addr)
	}
	if el := time.Since(start); el > 4*time.Second {
		t.Errorf("Ping took %v against a 2s ctx", el)
	}
}

// testEffectiveConfig checks that a drivers.ConfigReporter reports every
// setting compared across drivers, what it was given as given, and no
// compression when none was asked for (what the Java client does).
func testEffectiveConfig(t *testing.T, d drivers.Driver, bootstrap []string) {
	for _, c := range []struct {
		props map[string]string
		want  map[string]string
	}{
		{nil, map[string]string{"compression.type": "none"}},
		{map[string]string{"linger.ms": "7", "compression.type": "lz4", "acks": "1", "enable.idempotence": "false"},
			map[string]string{"linger.ms": "7", "compression.type": "lz4", "acks": "1", "enable.idempotence": "false"}},
	} {
		p, err := d.NewProducer(context.Background(), drivers.ProducerConfig{Bootstrap: bootstrap, Props: c.props})
		if err != nil {
			t.Fatal(err)
		}
		cr, ok := p.(drivers.ConfigReporter)
		if !ok {
			p.Close()
			t.Skip("the driver's producer does not report its configuration")
		}
		got := cr.EffectiveConfig()
		p.Close()
		for _, k := range []string{"acks", "enable.idempotence", "linger.ms", "batch.size", "compression.type",
			"max.in.flight.requests.per.connection", "retries"} {
			if got[k] == "" {
				t.Errorf("props %v: effective config lacks %s: %v", c.props, k, got)
			}
		}
		for k, v := range c.want {
			if got[k] != v {
				t.Errorf("props %v: %s = %q, want %q", c.props, k, got[k], v)
			}
		}
	}
}
