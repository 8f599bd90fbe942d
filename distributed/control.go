package distributed

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kbench/kbench/bench"
	"github.com/kbench/kbench/drivers"
	"github.com/kbench/kbench/internal/poll"
	"github.com/kbench/kbench/internal/redact"
	"github.com/kbench/kbench/results"
	"github.com/kbench/kbench/workload"
)

// The kinds of control message, in the order a run uses them.
const (
	msgHello    = "hello"    // a shard arrives: host, version, workload hash
	msgRefuse   = "refuse"   // shard 0 refuses a shard whose workload differs
	msgPing     = "ping"     // a shard measures its clock against shard 0's
	msgPong     = "pong"     // shard 0 answers a ping with its clock
	msgTopics   = "topics"   // shard 0 created the run's topics; who takes part
	msgReady    = "ready"    // a shard's clients are up; its clock offset
	msgStart    = "start"    // shard 0 announces the common start
	msgClock    = "clock"    // a shard's clock offset, measured again during the run
	msgBeat     = "beat"     // a shard is alive
	msgProduced = "produced" // a shard's producers are done
	msgResult   = "result"   // one chunk of a shard's result
)

// controlMsg is one message on a run's control topic.
type controlMsg struct {
	Kind  string `json:"kind"`
	Shard int    `json:"shard"`
	// To is the shard a pong or refusal is meant for.
	To       int    `json:"to,omitempty"`
	Host     string `json:"host,omitempty"`
	Version  string `json:"version,omitempty"`
	Workload string `json:"workload,omitempty"`
	Reason   string `json:"reason,omitempty"`
	// T1 is when a ping was sent (sender's clock), T2 when shard 0
	// answered it (shard 0's clock), in the stamps' time (bench.Clock).
	T1 int64 `json:"t1,omitempty"`
	T2 int64 `json:"t2,omitempty"`
	// OffsetNs is the sender's clock minus shard 0's; ErrorNs bounds it
	// (in a ready or clock message).
	OffsetNs int64 `json:"offset_ns,omitempty"`
	ErrorNs  int64 `json:"error_ns,omitempty"`
	// Start is the common start by shard 0's clock (bench.Clock).
	Start   int64  `json:"start,omitempty"`
	Present []int  `json:"present,omitempty"`
	Chunk   int    `json:"chunk,omitempty"`
	Chunks  int    `json:"chunks,omitempty"`
	Data    []byte `json:"data,omitempty"`

	// received is when this shard read the message, by its clock.
	received time.Time
}

// controlState is everything read from the control topic so far.
type controlState struct {
	hellos   map[int]controlMsg
	refused  map[int]string
	pongs    []controlMsg // answers to this shard's pings
	topics   *controlMsg
	ready    map[int]controlMsg
	start    *controlMsg
	produced map[int]bool
	chunks   map[int][][]byte
	lastSeen map[int]time.Time

	// offsets are each shard's latest clock offset: its ready message's,
	// then its clock messages'; clocks counts the clock messages applied.
	offsets map[int]controlMsg
	clocks  int
}

// control is one shard's connection to its run's control topic: a reader
// that keeps controlState up to date (and, on shard 0, answers pings),
// and a heartbeat.
type control struct {
	topic string
	shard int
	clock stampClock // what pings and pongs are stamped with
	prod  drivers.Producer
	cons  drivers.Consumer

	mu      sync.Mutex
	st      controlState
	changed chan struct{} // closed and replaced at every change

	stop context.CancelFunc
	wg   sync.WaitGroup
}

// stampClock reads the time stamps carry: bench.Clock, or in tests a
// clock that drifts.
type stampClock interface {
	Now() int64
	Unix(t time.Time) int64
	Instant(unix int64) time.Time
}

// controlTopic names the control topic of run id, whose workload's
// topicPrefix is prefix.
func controlTopic(prefix, id string) string {
	return prefix + "-" + id + "-control"
}

// workloadHash identifies a resolved workload: shards must run the same.
// Secrets are left out: a hash of one could be guessed at offline from
// the control topic or a result, and a shard's credentials are not its
// workload.
func workloadHash(w *workload.Workload) string {
	b, _ := json.Marshal(w)
	sum := sha256.Sum256(redact.JSON(b))
	return hex.EncodeToString(sum[:8])
}

// clients is how a shard reaches the cluster: a driver, an admin client,
// the bootstrap addresses and the client properties that say how the
// control topic's clients connect and authenticate.
type clients struct {
	drv       drivers.Driver
	admin     drivers.Admin
	bootstrap []string
	// producer and consumer are the connection properties (see
	// connectionProps) of the control topic's producer and consumer.
	producer, consumer map[string]string
}

// openControl creates the control topic unless another shard has, and
// starts reading it and sending heartbeats. replication is the topic's
// replication factor (-1 for the brokers' default).
func openControl(ctx context.Context, cl clients, name, id string, replication int16, shard int) (*control, error) {
	ctx, cancel := context.WithTimeout(ctx, reachTimeout)
	defer cancel()
	if err := cl.admin.CreateTopic(ctx, drivers.TopicSpec{Name: name, Partitions: 1, ReplicationFactor: replication}); err != nil {
		// Any shard may be first: the topic another made will do.
		if ps, perr := cl.admin.Partitions(ctx, name); perr != nil || len(ps) == 0 {
			return nil, fmt.Errorf("control topic %s: %w", name, err)
		}
	}
	// The control clients connect as the workload's clients do (a
	// secured cluster's settings among them), but none of the workload's
	// tuning applies: a small max.request.size, say, must not refuse a
	// shard's result. No linger: a clock ping's round trip is the
	// measurement, and a linger would be all of its error.
	prod, err := cl.drv.NewProducer(ctx, drivers.ProducerConfig{
		Bootstrap: cl.bootstrap, ClientID: "kbench-" + id + "-control-" + strconv.Itoa(shard),
		Props: withProp(withProp(cl.producer, "acks", "all"), "linger.ms", "0")})
	if err != nil {
		return nil, fmt.Errorf("control producer: %w", err)
	}
	cons, err := cl.drv.NewConsumer(ctx, drivers.ConsumerConfig{
		Bootstrap: cl.bootstrap, ClientID: "kbench-" + id + "-control-" + strconv.Itoa(shard),
		// Each reader reads everything: a group of its own, new each time.
		Group: name + "-" + strconv.Itoa(shard) + "-" + bench.NewRunID(), Topics: []string{name}, Props: withProp(cl.consumer, "auto.offset.reset", "earliest")})
	if err != nil {
		prod.Close()
		return nil, fmt.Errorf("control consumer: %w", err)
	}
	return newControl(name, shard, bench.ProcessClock(), prod, cons), nil
}

// newControl starts reading topic with cons, and sending heartbeats to it
// with prod, as shard shard whose clock is clk.
func newControl(topic string, shard int, clk stampClock, prod drivers.Producer, cons drivers.Consumer) *control {
	c := &control{topic: topic, shard: shard, clock: clk, prod: prod, cons: cons, changed: make(chan struct{}), st: newControlState()}
	loopCtx, stop := context.WithCancel(context.Background())
	c.stop = stop
	c.wg.Add(2)
	go func() { defer c.wg.Done(); c.read(loopCtx) }()
	go func() { defer c.wg.Done(); c.beat(loopCtx) }()
	return c
}

func newControlState() controlState {
	return controlState{hellos: map[int]controlMsg{}, refused: map[int]string{}, ready: map[int]controlMsg{}, offsets: map[int]controlMsg{},
		produced: map[int]bool{}, chunks: map[int][][]byte{}, lastSeen: map[int]time.Time{}}
}

// connectionProps keeps, of a client's properties, those that say how it
// reaches and authenticates to the cluster.
func connectionProps(props map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range props {
		if strings.HasPrefix(k, "security.") || strings.HasPrefix(k, "ssl.") || strings.HasPrefix(k, "sasl.") ||
			k == "client.dns.lookup" {
			out[k] = v
		}
	}
	return out
}

// withProp returns a copy of props with key set to value.
func withProp(props map[string]string, key, value string) map[string]string {
	out := maps.Clone(props)
	if out == nil {
		out = map[string]string{}
	}
	out[key] = value
	return out
}

// close stops the reader and the heartbeat and closes the clients.
func (c *control) close() {
	c.stop()
	c.wg.Wait()
	c.prod.Close()
	c.cons.Close()
}

// send writes m and waits for its acknowledgement.
func (c *control) send(ctx context.Context, m controlMsg) error {
	m.Shard = c.shard
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	done := make(chan error, 1)
	c.prod.Produce(ctx, &drivers.Record{Topic: c.topic, Partition: 0, Key: []byte(m.Kind), Value: b},
		func(_ int32, _ int64, err error) { done <- err })
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("control topic %s: send %s: %w", c.topic, m.Kind, err)
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// beat sends a heartbeat every second until ctx ends.
func (c *control) beat(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_ = c.send(sctx, controlMsg{Kind: msgBeat})
		cancel()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// read applies every message of the control topic to the state.
func (c *control) read(ctx context.Context) {
	for ctx.Err() == nil {
		err := c.cons.Poll(ctx, func(m *drivers.Message) {
			var msg controlMsg
			if json.Unmarshal(m.Value, &msg) != nil {
				return
			}
			msg.received = time.Now()
			if msg.Kind == msgPing && c.shard == 0 {
				// Answered at once, off the reader: the round trip is the
				// measurement.
				pong := controlMsg{Kind: msgPong, To: msg.Shard, T1: msg.T1, T2: c.clock.Unix(msg.received)}
				c.wg.Add(1)
				go func() {
					defer c.wg.Done()
					sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
					defer cancel()
					_ = c.send(sctx, pong)
				}()
			}
			c.apply(msg)
		})
		if err != nil {
			// The client retries; a silent cluster shows as silence.
			poll.Sleep(ctx, 100*time.Millisecond)
		}
	}
}

func (c *control) apply(m controlMsg) {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := &c.st
	st.lastSeen[m.Shard] = m.received
	switch m.Kind {
	case msgHello:
		if _, ok := st.hellos[m.Shard]; !ok {
			st.hellos[m.Shard] = m
		}
	case msgRefuse:
		st.refused[m.To] = m.Reason
	case msgPong:
		if m.To == c.shard {
			st.pongs = append(st.pongs, m)
		}
	case msgTopics:
		if m.Shard == 0 && st.topics == nil {
			st.topics = &m
		}
	case msgReady:
		st.ready[m.Shard] = m
		st.offsets[m.Shard] = m
	case msgClock:
		st.offsets[m.Shard] = m
		st.clocks++
	case msgStart:
		if m.Shard == 0 && st.start == nil {
			st.start = &m
		}
	case msgProduced:
		st.produced[m.Shard] = true
	case msgResult:
		ch := st.chunks[m.Shard]
		if len(ch) != m.Chunks {
			ch = make([][]byte, m.Chunks)
		}
		if m.Chunk >= 0 && m.Chunk < len(ch) {
			ch[m.Chunk] = m.Data
		}
		st.chunks[m.Shard] = ch
	}
	close(c.changed)
	c.changed = make(chan struct{})
}

// errControlTimeout is returned by wait when its time runs out.
var errControlTimeout = errors.New("timed out")

// wait returns when cond holds of the state (called under the lock, so it
// must not block), ctx ends, or timeout passes.
func (c *control) wait(ctx context.Context, timeout time.Duration, cond func(*controlState) bool) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	// Also re-checked every second, for conditions on silence.
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		c.mu.Lock()
		ok, changed := cond(&c.st), c.changed
		c.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-changed:
		case <-tick.C:
		case <-deadline.C:
			return errControlTimeout
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// alive reports whether shard i was heard from within silence.
func (st *controlState) alive(i int, silence time.Duration) bool {
	seen, ok := st.lastSeen[i]
	return ok && time.Since(seen) < silence
}

// result reassembles shard i's result chunks; nil until all are in.
func (st *controlState) result(i int) []byte {
	ch := st.chunks[i]
	if len(ch) == 0 {
		return nil
	}
	var out []byte
	for _, c := range ch {
		if c == nil {
			return nil
		}
		out = append(out, c...)
	}
	return out
}

// collectTimeout bounds CollectShards' read of a control topic.
const collectTimeout = 30 * time.Second

// CollectShards reads the results the shards of run id posted to the
// run's control topic, for merging them (results.Merge) from anywhere
// that reaches the cluster, when shard 0 could not. props are the
// consumer's client properties (a secured cluster's TLS and SASL
// settings); prefix is the workload's topicPrefix. It reads up to the
// topic's end offset, within 30 s, and returns every whole result found.
func CollectShards(ctx context.Context, drv drivers.Driver, admin drivers.Admin, bootstrap []string, props map[string]string, prefix, id string) ([]*results.Run, error) {
	name := controlTopic(prefix, id)
	ctx, cancel := context.WithTimeout(ctx, collectTimeout)
	defer cancel()
	ends, err := admin.EndOffsets(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("control topic %s of run %s: %w", name, id, err)
	}
	cons, err := drv.NewConsumer(ctx, drivers.ConsumerConfig{Bootstrap: bootstrap, ClientID: "kbench-merge-" + id,
		Group: name + "-merge-" + bench.NewRunID(), Topics: []string{name}, Props: withProp(props, "auto.offset.reset", "earliest")})
	if err != nil {
		return nil, fmt.Errorf("control topic %s: %w", name, err)
	}
	defer cons.Close()
	c := &control{changed: make(chan struct{}), st: newControlState()}
	next := int64(0)
	for next < ends[0] {
		err := cons.Poll(ctx, func(m *drivers.Message) {
			next = max(next, m.Offset+1)
			var msg controlMsg
			if json.Unmarshal(m.Value, &msg) == nil {
				c.apply(msg)
			}
		})
		if ctx.Err() != nil {
			return nil, fmt.Errorf("control topic %s: read %d of %d messages within %s", name, next, ends[0], collectTimeout)
		}
		if err != nil {
			return nil, fmt.Errorf("control topic %s: %w", name, err)
		}
	}
	var out []*results.Run
	for _, i := range slices.Sorted(maps.Keys(c.st.chunks)) {
		if b := c.st.result(i); b != nil {
			r, err := results.Decode(b, fmt.Sprintf("shard %d's result", i))
			if err != nil {
				return nil, err
			}
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("control topic %s holds no shard's whole result", name)
	}
	return out, nil
}

// DeleteRunTopics deletes the topics run res created, and its control
// topic: what shard 0 deletes at the end of a distributed run. A
// workload's existingTopics are the user's, and stay.
func DeleteRunTopics(ctx context.Context, admin drivers.Admin, res *results.Run) error {
	w, err := workload.ParseWorkload(res.Workload)
	if err != nil {
		return fmt.Errorf("the result's workload: %w", err)
	}
	if w.TopicPrefix == "" {
		w.TopicPrefix = workload.DefaultTopicPrefix
	}
	return deleteTopics(ctx, admin, append(createdTopics(w, res.RunID), controlTopic(w.TopicPrefix, res.RunID)))
}

// createdTopics are the topics a run of w creates: none when it uses
// existing ones.
func createdTopics(w *workload.Workload, id string) []string {
	if len(w.ExistingTopics) > 0 {
		return nil
	}
	return bench.TopicNames(w, id)
}

func deleteTopics(ctx context.Context, admin drivers.Admin, topics []string) error {
	var errs []error
	for _, t := range topics {
		errs = append(errs, admin.DeleteTopic(ctx, t))
	}
	return errors.Join(errs...)
}
