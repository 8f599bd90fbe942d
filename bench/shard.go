package bench

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/kbench/kbench/drivers"
	"github.com/kbench/kbench/results"
	"github.com/kbench/kbench/workload"
)

// slice is what one shard runs of the workload: run-wide producer ids,
// and per subscription the indexes of its consumers there.
type slice struct {
	producers []int
	consumers [][]int
	// split marks subscriptions whose consumers are on several shards.
	split []bool
}

// sliceOf shares the workload's producers and consumers over count shards
// round-robin, over the shards the roles name (all, by default), and
// returns shard index's share. Every shard computes the same split. A run
// in one process (count 1) runs everything, whatever the roles.
func sliceOf(w *workload.Workload, index, count int) slice {
	on := func(roles []int) []int {
		if len(roles) == 0 || count == 1 {
			roles = make([]int, count)
			for i := range roles {
				roles[i] = i
			}
		}
		return roles
	}
	prodShards, consShards := on(w.Shards.Producers), on(w.Shards.Consumers)
	var s slice
	for id := range w.Topics * w.ProducersPerTopic {
		if prodShards[id%len(prodShards)] == index {
			s.producers = append(s.producers, id)
		}
	}
	per := w.ConsumerPerSubscription
	for sub := range w.SubscriptionsPerTopic {
		var mine []int
		holders := map[int]bool{}
		for c := range per {
			holder := consShards[(sub*per+c)%len(consShards)]
			holders[holder] = true
			if holder == index {
				mine = append(mine, c)
			}
		}
		s.consumers = append(s.consumers, mine)
		s.split = append(s.split, len(holders) > 1)
	}
	return s
}

// ShardProducers returns the run-wide ids of the producers shard index
// of a run of count shards of w runs.
func ShardProducers(w *workload.Workload, index, count int) []int {
	return sliceOf(w, index, count).producers
}

func (s slice) String() string {
	n := 0
	for _, c := range s.consumers {
		n += len(c)
	}
	return fmt.Sprintf("%d producer(s) %v, %d consumer(s)", len(s.producers), s.producers, n)
}

// describeShard adds to res what a merge of the shards' results needs of
// this shard. The coordinator adds its clock's offset.
func (r *run) describeShard(res *results.Run) {
	res.RunID = r.id
	sh := &results.Shard{Index: r.shard, Count: r.shards, Producers: r.slice.producers, Consumers: len(r.consumers)}
	acked, sent := r.producedSets()
	for _, p := range r.producers {
		sh.Produced = append(sh.Produced, results.ProducerSeqs{Producer: int(p.id), Issued: sent[p.id], Acked: seqsOf(acked[p.id], sent[p.id])})
	}
	for _, v := range r.verifiers {
		seqs := v.seqs()
		if v.subscription < len(r.subConsumed) {
			seqs.Window = &r.subConsumed[v.subscription]
		}
		seqs.Offsets = r.offsetsRead(v)
		sh.Subscriptions = append(sh.Subscriptions, seqs)
	}
	sh.Consumed = r.consumed
	if ends, err := r.endOffsets(context.Background()); err == nil {
		sh.EndOffsets = ends
	}
	for _, row := range mergeAckTimes(r.producers) {
		sh.Acks = append(sh.Acks, rowSeqs(row))
	}
	sh.SendEndS, sh.ProduceEndS = r.sendEnd().Seconds(), r.produceDone().Seconds()
	for k, l := range r.leaders {
		sh.Leaders = append(sh.Leaders, results.ISREvent{Topic: k.topic, Partition: k.partition, Kind: isrLeader, Leader: l})
	}
	slices.SortFunc(sh.Leaders, func(a, b results.ISREvent) int {
		return cmp.Or(strings.Compare(a.Topic, b.Topic), cmp.Compare(a.Partition, b.Partition))
	})
	res.Shard = sh
}

// offsetsRead returns, per run-wide partition, the offsets this shard's
// consumers of v's subscription read; nil unless they kept them (a
// subscription split over shards).
func (r *run) offsetsRead(v *verifier) []results.Seqs {
	var out []results.Seqs
	for _, c := range r.consumers {
		if c.v != v || c.offsets == nil {
			continue
		}
		if out == nil {
			out = make([]results.Seqs, len(c.offsets))
		}
		for p, offs := range c.offsets {
			out[p] = results.Union(out[p], offs)
		}
	}
	return out
}

// rowSeqs returns the buckets marked in one partition's row of an
// acknowledgement timeline, as ranges.
func rowSeqs(row []uint64) results.Seqs {
	var out results.Seqs
	for w, bits := range row {
		for i := range uint64(64) {
			if bits&(1<<i) != 0 {
				b := uint64(w)*64 + i
				out = addRange(out, b, b+1)
			}
		}
	}
	return out
}

// MergedFailover computes the failover figures of merged, the merged
// result of shards (results.Merge), over every shard's producers: from
// merged's intervals, fault events and ISR events and each shard's
// acknowledgement timeline, end of sending and first leaders, each
// shifted onto the merged timeline (results.ShardInfo.ShiftS). A shard's
// own failover figures see its producers only.
func MergedFailover(merged *results.Run, shards []*results.Run) ([]results.Failover, error) {
	w, err := workload.ParseWorkload(merged.Workload)
	if err != nil {
		return nil, fmt.Errorf("failover of the merged run: its workload: %w", err)
	}
	if w.TopicPrefix == "" {
		w.TopicPrefix = workload.DefaultTopicPrefix
	}
	shift := map[int]float64{}
	for _, info := range merged.Shards {
		shift[info.Index] = info.ShiftS
	}
	var acks ackTimeline
	var sendEnd, produceEnd float64
	leaders := map[partKey]int32{}
	for _, sh := range shards {
		if sh.Shard == nil {
			continue
		}
		d := shift[sh.Shard.Index]
		by := int(math.Round(d / results.AckBucketS))
		for part, seqs := range sh.Shard.Acks {
			for _, rg := range seqs {
				for b := rg.From; b < rg.To; b++ {
					acks.mark(part, (int64(b)+int64(by))*ackResolution)
				}
			}
		}
		sendEnd = max(sendEnd, sh.Shard.SendEndS+d)
		produceEnd = max(produceEnd, sh.Shard.ProduceEndS+d)
		if len(leaders) == 0 {
			for _, ev := range sh.Shard.Leaders {
				leaders[partKey{ev.Topic, ev.Partition}] = ev.Leader
			}
		}
	}
	shape := runShape{warmup: w.Warmup.D().Seconds(), sendEnd: sendEnd, ackEnd: produceEnd, interval: merged.Shape.Interval().Seconds(),
		topics: TopicNames(w, merged.RunID), partitionsPerTopic: w.PartitionsPerTopic}
	fos := analyseFailover(merged.Intervals, merged.Faults, acks, shape)
	addISRMetrics(fos, leaders, merged.ISR, produceEnd)
	return fos, nil
}

// EndOffsets returns the end offsets of the partitions of run id of w, by
// run-wide partition index (topic index × partitionsPerTopic + partition).
func EndOffsets(ctx context.Context, admin drivers.Admin, w *workload.Workload, id string) ([]int64, error) {
	r := &run{cfg: Config{Admin: admin}, w: w, id: id}
	r.topicNames()
	return r.endOffsets(ctx)
}
