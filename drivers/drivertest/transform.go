package drivertest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kbench/kbench/drivers"
)

// transformPartitions is the partition count of every input and output
// topic of the transform tests; output goes to its input's partition.
const transformPartitions = 2

// testTransform checks drivers.Transformer against truths it does not
// compute: the output topic read by a read_committed kgo client, the
// group's committed offsets read with kadm, and the input's end offsets.
func testTransform(t *testing.T, d drivers.Driver, bootstrap []string, admin drivers.Admin) {
	td, ok := d.(drivers.TransformDriver)
	if !ok {
		t.Skip("the driver makes no transformers")
	}
	t.Run("BadConfig", func(t *testing.T) { testTransformBadConfig(t, td, bootstrap) })
	t.Run("ExactlyOnce", func(t *testing.T) { testTransformExactlyOnce(t, td, bootstrap, admin) })
	t.Run("Rebalance", func(t *testing.T) { testTransformRebalance(t, td, bootstrap, admin) })
	t.Run("Revoke", func(t *testing.T) { testTransformRevoke(t, td, bootstrap, admin) })
}

func testTransformBadConfig(t *testing.T, td drivers.TransformDriver, bootstrap []string) {
	cfg := drivers.TransformerConfig{Bootstrap: bootstrap, Topics: []string{"in"},
		ConsumerProps: map[string]string{"enable.auto.commit": "true"}}
	tr, err := td.NewTransformer(context.Background(), cfg)
	if err == nil {
		tr.Close()
		t.Fatal("NewTransformer without a group or transactional id, with auto-commit on, succeeded")
	}
	for _, field := range []string{"Group", "TransactionalID", "enable.auto.commit"} {
		if !strings.Contains(err.Error(), field) {
			t.Errorf("NewTransformer error %q does not name %s", err, field)
		}
	}
}

// input is one record of an input topic, as produced.
type input struct {
	partition int32
	offset    int64
	key       string
	value     string
}

// produceInput writes n keyed records (keys and values numbered from
// first) to topic with p, and returns where they went.
func produceInput(ctx context.Context, p drivers.Producer, topic string, first, n int) ([]input, error) {
	recs := make([]drivers.Record, n)
	out := newOutcomes(n)
	for i := range recs {
		recs[i] = drivers.Record{Topic: topic, Partition: -1,
			Key: fmt.Appendf(nil, "key-%d", first+i), Value: fmt.Appendf(nil, "in-%d", first+i)}
		p.Produce(ctx, &recs[i], out.done(i))
	}
	if err := p.Flush(ctx); err != nil {
		return nil, err
	}
	out.left.Wait() // every DoneFunc has run; this orders their writes before our reads
	ins := make([]input, n)
	for i := range out.recs {
		r := &out.recs[i]
		if r.err != nil {
			return nil, fmt.Errorf("input record %d: %w", first+i, r.err)
		}
		ins[i] = input{r.partition, r.offset, string(recs[i].Key), string(recs[i].Value)}
	}
	return ins, nil
}

// pollN polls tr until it has handed over n records, for up to 20 s,
// and fails on more.
func pollN(t *testing.T, ctx context.Context, tr drivers.Transformer, n int) []input {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	var got []input
	for len(got) < n {
		err := tr.Poll(ctx, func(m *drivers.Message) {
			got = append(got, input{m.Partition, m.Offset, string(m.Key), string(m.Value)})
		})
		if err != nil {
			t.Fatalf("Poll, %d of %d records read: %v", len(got), n, err)
		}
	}
	if len(got) > n {
		t.Fatalf("Poll handed over %d records, only %d were there to read", len(got), n)
	}
	return got
}

// transform produces, for each of ins, its value with prefix to out's
// partition of the same number.
func transform(ctx context.Context, tr drivers.Transformer, out string, ins []input, prefix string) *outcomes {
	o := newOutcomes(len(ins))
	for i, in := range ins {
		tr.Produce(ctx, &drivers.Record{Topic: out, Partition: in.partition, Key: []byte(in.key), Value: []byte(prefix + in.value)}, o.done(i))
	}
	return o
}

// testTransformExactlyOnce runs transactions of ten input records, then
// one that aborts: its output is never visible and its input is read
// again, at the same offsets.
func testTransformExactlyOnce(t *testing.T, td drivers.TransformDriver, bootstrap []string, admin drivers.Admin) {
	const rounds, per = 6, 10
	in, out := topic(t, admin, transformPartitions), topic(t, admin, transformPartitions)
	group := in + "-ctp"
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	tr, err := td.NewTransformer(ctx, drivers.TransformerConfig{Bootstrap: bootstrap, ClientID: "kbench-test",
		Group: group, Topics: []string{in}, TransactionalID: in + "-txn"})
	if err != nil {
		t.Fatalf("NewTransformer: %v", err)
	}
	defer tr.Close()
	p := newProducer(t, td.(drivers.Driver), bootstrap, map[string]string{"acks": "all"})
	defer p.Close()
	feed := func(first int) []input {
		t.Helper()
		ins, err := produceInput(ctx, p, in, first, per)
		if err != nil {
			t.Fatal(err)
		}
		return ins
	}

	var all []input
	for r := range rounds {
		ins := feed(r * per)
		all = append(all, ins...)
		if err := tr.Begin(ctx); err != nil {
			t.Fatalf("round %d: Begin: %v", r, err)
		}
		o := transform(ctx, tr, out, pollN(t, ctx, tr, per), "")
		if err := tr.Commit(ctx); err != nil {
			t.Fatalf("round %d: Commit: %v", r, err)
		}
		checkDone(t, o, fmt.Sprintf("round %d", r), true)
	}
	if n := tr.AssignedPartitions(); n != transformPartitions {
		t.Errorf("AssignedPartitions = %d, want %d", n, transformPartitions)
	}

	all = append(all, feed(rounds*per)...)
	if err := tr.Begin(ctx); err != nil {
		t.Fatalf("abort round: Begin: %v", err)
	}
	first := pollN(t, ctx, tr, per)
	o := transform(ctx, tr, out, first, "aborted-")
	if err := tr.Abort(ctx); err != nil {
		t.Fatalf("Abort: %v", err)
	}
	checkDone(t, o, "abort round", false)
	// Polled with no transaction open: the records belong to the next.
	again := pollN(t, ctx, tr, per)
	if !slices.Equal(positions(first), positions(again)) {
		t.Errorf("after Abort, Poll read %v; want the aborted transaction's input again, %v", positions(again), positions(first))
	}
	if err := tr.Begin(ctx); err != nil {
		t.Fatalf("after abort: Begin: %v", err)
	}
	o = transform(ctx, tr, out, again, "")
	if err := tr.Commit(ctx); err != nil {
		t.Fatalf("after abort: Commit: %v", err)
	}
	checkDone(t, o, "after abort", true)
	if err := tr.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	checkExactlyOnce(t, ctx, bootstrap, admin, in, out, group, all)
}

// positions lists where records were read, sorted.
func positions(ins []input) [][2]int64 {
	ps := make([][2]int64, len(ins))
	for i, in := range ins {
		ps[i] = [2]int64{int64(in.partition), in.offset}
	}
	slices.SortFunc(ps, func(a, b [2]int64) int {
		if a[0] != b[0] {
			return int(a[0] - b[0])
		}
		return int(a[1] - b[1])
	})
	return ps
}

// checkDone checks that every DoneFunc ran by the time the transaction
// ended, and, when ok, without error.
func checkDone(t *testing.T, o *outcomes, label string, ok bool) {
	t.Helper()
	for i := range o.recs {
		if o.recs[i].calls.Load() == 0 {
			t.Fatalf("%s: record %d's DoneFunc had not run when the transaction ended", label, i)
		}
	}
	o.wait(t, 10*time.Second)
	o.check(t)
	for i := range o.recs {
		if ok && o.recs[i].err != nil {
			t.Fatalf("%s: output record %d: %v", label, i, o.recs[i].err)
		}
	}
}

// checkExactlyOnce checks that each output partition holds, read
// committed, the values of the input partition of the same number, each
// once and in input order, and that the group committed the input's end
// offsets.
func checkExactlyOnce(t *testing.T, ctx context.Context, bootstrap []string, admin drivers.Admin, in, out, group string, all []input) {
	t.Helper()
	want := map[int32][]string{}
	for _, r := range positionsSorted(all) {
		want[r.partition] = append(want[r.partition], r.value)
	}
	got := readCommitted(t, ctx, bootstrap, out)
	for p := range int32(transformPartitions) {
		if !slices.Equal(got[p], want[p]) {
			t.Errorf("output partition %d holds %d records %v; want the input's %d, once each in order: %v", p, len(got[p]), got[p], len(want[p]), want[p])
		}
	}
	ends, err := admin.EndOffsets(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	committed, err := groupOffsets(ctx, bootstrap, group, in)
	if err != nil {
		t.Fatal(err)
	}
	for p := range int32(transformPartitions) {
		if committed[p] != ends[p] {
			t.Errorf("group %s committed offset %d on %s[%d]; the input ends at %d", group, committed[p], in, p, ends[p])
		}
	}
	t.Logf("%d input records on %v (end offsets %v), output %d+%d records, committed offsets %v",
		len(all), in, ends, len(got[0]), len(got[1]), committed)
}

// positionsSorted returns ins sorted by partition and offset.
func positionsSorted(ins []input) []input {
	s := slices.Clone(ins)
	slices.SortFunc(s, func(a, b input) int {
		if a.partition != b.partition {
			return int(a.partition - b.partition)
		}
		return int(a.offset - b.offset)
	})
	return s
}

// readCommitted reads every partition of topic with a read_committed kgo
// client: it first writes a sentinel to each partition outside any
// transaction, then reads up to it, so that what comes before is all
// there is.
func readCommitted(t *testing.T, ctx context.Context, bootstrap []string, topic string) map[int32][]string {
	t.Helper()
	const sentinel = "kbench-sentinel"
	starts := map[int32]kgo.Offset{}
	for p := range int32(transformPartitions) {
		starts[p] = kgo.NewOffset().AtStart()
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(bootstrap...), kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: starts}))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for p := range int32(transformPartitions) {
		if err := cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Partition: p, Value: []byte(sentinel)}).FirstErr(); err != nil {
			t.Fatalf("sentinel to %s[%d]: %v", topic, p, err)
		}
	}
	got := map[int32][]string{}
	for done := 0; done < transformPartitions; {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("reading %s, %d partitions read to the sentinel: %v", topic, done, err)
		}
		fs.EachError(func(_ string, p int32, err error) { t.Fatalf("fetch %s[%d]: %v", topic, p, err) })
		fs.EachRecord(func(r *kgo.Record) {
			if string(r.Value) == sentinel {
				done++
				return
			}
			got[r.Partition] = append(got[r.Partition], string(r.Value))
		})
	}
	return got
}

// groupOffsets reads the offsets group committed on topic's partitions.
func groupOffsets(ctx context.Context, bootstrap []string, group, topic string) (map[int32]int64, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(bootstrap...))
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	resps, err := kadm.NewClient(cl).FetchOffsets(ctx, group)
	if err != nil {
		return nil, fmt.Errorf("fetch group %s's offsets: %w", group, err)
	}
	got := map[int32]int64{}
	for p := range int32(transformPartitions) {
		if r, ok := resps.Lookup(topic, p); ok && r.Err == nil {
			got[p] = r.At
		}
	}
	return got, nil
}

// loop drives a transformer as an engine would, one transaction per Poll,
// until stopped, and counts the outcomes.
type loop struct {
	committed, aborted, records atomic.Int64
}

// run loops over tr until stop is set or ctx ends; output goes to out.
func (l *loop) run(t *testing.T, ctx context.Context, tr drivers.Transformer, out string, stop *atomic.Bool) {
	for !stop.Load() && ctx.Err() == nil {
		if err := tr.Begin(ctx); err != nil {
			t.Errorf("Begin: %v", err)
			return
		}
		var ins []input
		if err := tr.Poll(ctx, func(m *drivers.Message) {
			ins = append(ins, input{m.Partition, m.Offset, string(m.Key), string(m.Value)})
		}); err != nil && ctx.Err() == nil {
			t.Errorf("Poll: %v", err)
		}
		transform(ctx, tr, out, ins, "")
		switch err := tr.Commit(ctx); {
		case err == nil:
			l.committed.Add(1)
			l.records.Add(int64(len(ins)))
		case errors.Is(err, drivers.ErrTxnAborted):
			l.aborted.Add(1)
		default:
			if ctx.Err() == nil {
				t.Errorf("Commit, outcome unknown: %v", err)
			}
			return
		}
	}
}

func (l *loop) String() string {
	return fmt.Sprintf("%d transactions committed (%d records), %d aborted", l.committed.Load(), l.records.Load(), l.aborted.Load())
}

// group is a consumer group of transformers reading one input topic and
// writing one output topic.
type group struct {
	td        drivers.TransformDriver
	bootstrap []string
	name      string
	in, out   string
	trs       []drivers.Transformer
	loops     []*loop
	stop      atomic.Bool
	wg        sync.WaitGroup
}

func newGroup(t *testing.T, td drivers.TransformDriver, bootstrap []string, admin drivers.Admin) *group {
	in := topic(t, admin, transformPartitions)
	g := &group{td: td, bootstrap: bootstrap, name: in + "-ctp", in: in, out: topic(t, admin, transformPartitions)}
	t.Cleanup(g.close(t))
	return g
}

// join adds a transformer to the group.
func (g *group) join(t *testing.T, ctx context.Context) drivers.Transformer {
	t.Helper()
	id := strconv.Itoa(len(g.trs))
	tr, err := g.td.NewTransformer(ctx, drivers.TransformerConfig{Bootstrap: g.bootstrap, ClientID: "kbench-test-" + id,
		Group: g.name, Topics: []string{g.in}, TransactionalID: g.in + "-txn-" + id})
	if err != nil {
		t.Fatalf("NewTransformer %s: %v", id, err)
	}
	g.trs = append(g.trs, tr)
	g.loops = append(g.loops, new(loop))
	return tr
}

// start runs the loop of the group's transformer i.
func (g *group) start(t *testing.T, ctx context.Context, i int) {
	l, tr := g.loops[i], g.trs[i] // join may grow the slices meanwhile
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		l.run(t, ctx, tr, g.out, &g.stop)
	}()
}

// close returns the cleanup that stops the loops and closes the
// transformers; it runs once.
func (g *group) close(t *testing.T) func() {
	var once sync.Once
	return func() {
		once.Do(func() {
			g.stop.Store(true)
			g.wg.Wait()
			for _, tr := range g.trs {
				if err := tr.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			}
		})
	}
}

// waitCommitted waits until the group has committed the input's end
// offsets, once fed is closed, calling each every 200 ms meanwhile.
func (g *group) waitCommitted(t *testing.T, ctx context.Context, admin drivers.Admin, fed <-chan struct{}, each func()) {
	t.Helper()
	fedAll := func() bool {
		select {
		case <-fed:
			return true
		default:
			return false
		}
	}
	for !fedAll() || !committedAll(ctx, g.bootstrap, admin, g.name, g.in) {
		each()
		if ctx.Err() != nil {
			t.Fatalf("the group did not commit the input's end offsets in time; transformers: %v", g.loops)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// testTransformRebalance runs one transformer, then a second in its group
// while input still arrives: the group moves a partition between them,
// and the output still holds each input once.
func testTransformRebalance(t *testing.T, td drivers.TransformDriver, bootstrap []string, admin drivers.Admin) {
	const n, per = 200, 10
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	g := newGroup(t, td, bootstrap, admin)
	p := newProducer(t, td.(drivers.Driver), bootstrap, map[string]string{"acks": "all"})
	defer p.Close()

	var (
		mu  sync.Mutex
		all []input
	)
	fed := make(chan struct{})
	go func() { // ten records every 100 ms: two seconds of input
		defer close(fed)
		for i := 0; i < n && ctx.Err() == nil; i += per {
			ins, err := produceInput(ctx, p, g.in, i, per)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			all = append(all, ins...)
			mu.Unlock()
			time.Sleep(100 * time.Millisecond)
		}
	}()

	g.join(t, ctx)
	g.start(t, ctx, 0)
	// The second joins once the first has committed some input.
	for g.loops[0].records.Load() < 30 && ctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
	}
	second := g.join(t, ctx)
	g.start(t, ctx, 1)
	secondGot := 0
	g.waitCommitted(t, ctx, admin, fed, func() { secondGot = max(secondGot, second.AssignedPartitions()) })
	g.close(t)()
	if secondGot == 0 {
		t.Error("the second transformer never held a partition: no rebalance was tested")
	}
	t.Logf("first transformer: %v; second: %v", g.loops[0], g.loops[1])
	mu.Lock()
	defer mu.Unlock()
	if len(all) != n {
		t.Fatalf("produced %d of %d input records", len(all), n)
	}
	checkExactlyOnce(t, ctx, bootstrap, admin, g.in, g.out, g.name, all)
}

// testTransformRevoke opens a transaction on a transformer holding both
// partitions, polls input from both, then lets a second member join: the
// group takes a polled partition away, so the commit must abort, and in
// the end the output holds each input once.
func testTransformRevoke(t *testing.T, td drivers.TransformDriver, bootstrap []string, admin drivers.Admin) {
	const n = 20
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	g := newGroup(t, td, bootstrap, admin)
	p := newProducer(t, td.(drivers.Driver), bootstrap, map[string]string{"acks": "all"})
	defer p.Close()
	all, err := produceInput(ctx, p, g.in, 0, n)
	if err != nil {
		t.Fatal(err)
	}
	if ps := positions(all); ps[0][0] == ps[n-1][0] {
		t.Fatalf("all %d keys went to partition %d; the test needs both", n, ps[0][0])
	}

	first := g.join(t, ctx)
	if err := first.Begin(ctx); err != nil {
		t.Fatalf("Begin: %v", err)
	}
	polled := pollN(t, ctx, first, n)
	transform(ctx, first, g.out, polled, "revoked-")

	second := g.join(t, ctx)
	g.start(t, ctx, 1)
	// The first keeps polling, as a loop would while the group
	// rebalances, until it holds one partition; what it reads meanwhile
	// (a partition given back under an eager protocol restarts from the
	// committed offset) belongs to the transaction too.
	for first.AssignedPartitions() != 1 || second.AssignedPartitions() != 1 {
		if err := first.Poll(ctx, func(m *drivers.Message) {
			transform(ctx, first, g.out, []input{{m.Partition, m.Offset, string(m.Key), string(m.Value)}}, "revoked-")
		}); err != nil {
			t.Fatalf("Poll while the group rebalances (the first holds %d partitions, the second %d): %v",
				first.AssignedPartitions(), second.AssignedPartitions(), err)
		}
	}
	if err := first.Commit(ctx); !errors.Is(err, drivers.ErrTxnAborted) {
		t.Fatalf("Commit after the group took a polled partition away = %v; want an error wrapping drivers.ErrTxnAborted", err)
	}
	g.start(t, ctx, 0)
	fed := make(chan struct{})
	close(fed)
	g.waitCommitted(t, ctx, admin, fed, func() {})
	g.close(t)()
	t.Logf("after the aborted commit, first transformer: %v; second: %v", g.loops[0], g.loops[1])
	checkExactlyOnce(t, ctx, bootstrap, admin, g.in, g.out, g.name, all)
}

// committedAll tells whether group has committed the end offsets of topic.
func committedAll(ctx context.Context, bootstrap []string, admin drivers.Admin, group, topic string) bool {
	ends, err := admin.EndOffsets(ctx, topic)
	if err != nil {
		return false
	}
	committed, err := groupOffsets(ctx, bootstrap, group, topic)
	if err != nil {
		return false
	}
	for p, end := range ends {
		if committed[p] != end {
			return false
		}
	}
	return true
}
