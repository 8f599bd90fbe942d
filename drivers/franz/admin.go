package franz

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kbench/kbench/drivers"
	"github.com/kbench/kbench/internal/poll"
)

// Bounds on waiting for the cluster to catch up with an admin change, for
// callers whose ctx has no deadline.
const (
	settleTimeout = 30 * time.Second
	settlePoll    = 100 * time.Millisecond
)

// admin implements drivers.Admin, drivers.LeaderMover, drivers.LogSizer
// and drivers.ConfigDescriber with kadm.
type admin struct {
	cl        *kadm.Client
	kcl       *kgo.Client
	bootstrap string
	fresh     drivers.NewTopics
}

var (
	_ drivers.Admin           = (*admin)(nil)
	_ drivers.LeaderMover     = (*admin)(nil)
	_ drivers.LogSizer        = (*admin)(nil)
	_ drivers.ConfigDescriber = (*admin)(nil)
)

// NewAdmin returns an admin client for the cluster at cfg.Bootstrap. It
// does not contact the cluster until first used.
func (Driver) NewAdmin(_ context.Context, cfg drivers.AdminConfig) (drivers.Admin, error) {
	opts, err := adminOpts(cfg.Props)
	if err != nil {
		return nil, err
	}
	// kadm answers metadata from kgo's cache while it is younger than
	// the minimum age (5s by default); the admin watches leaders change,
	// so it wants fresh answers.
	opts = append([]kgo.Opt{kgo.SeedBrokers(cfg.Bootstrap...), kgo.MetadataMinAge(10 * time.Millisecond)}, opts...)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("franz driver: admin for %s: %w", strings.Join(cfg.Bootstrap, ","), err)
	}
	return &admin{cl: kadm.NewClient(cl), kcl: cl, bootstrap: strings.Join(cfg.Bootstrap, ",")}, nil
}

func (a *admin) errorf(format string, args ...any) error {
	return fmt.Errorf("franz admin (%s): "+format, append([]any{a.bootstrap}, args...)...)
}

// Brokers lists the brokers in the cluster's metadata.
func (a *admin) Brokers(ctx context.Context) ([]drivers.Broker, error) {
	bs, err := a.cl.ListBrokers(ctx)
	if err != nil {
		return nil, a.errorf("list brokers: %w", err)
	}
	out := make([]drivers.Broker, 0, len(bs))
	for _, b := range bs {
		out = append(out, drivers.Broker{ID: b.NodeID, Host: b.Host, Port: b.Port})
	}
	return out, nil
}

// Controller returns the controller id the metadata reports. On a KRaft
// cluster brokers report a broker, since controllers are not exposed.
//
// On KRaft the controller in metadata is just some broker, so this asks for
// the metadata quorum's leader (DescribeQuorum, which brokers forward to
// the controllers) and falls back to metadata where the cluster does not
// answer it (ZooKeeper-era clusters, kfake).
func (a *admin) Controller(ctx context.Context) (int32, error) {
	req := kmsg.NewPtrDescribeQuorumRequest()
	topic := kmsg.NewDescribeQuorumRequestTopic()
	topic.Topic = "__cluster_metadata"
	part := kmsg.NewDescribeQuorumRequestTopicPartition()
	topic.Partitions = append(topic.Partitions, part)
	req.Topics = append(req.Topics, topic)
	if resp, err := req.RequestWith(ctx, a.kcl); err == nil && resp.ErrorCode == 0 &&
		len(resp.Topics) == 1 && len(resp.Topics[0].Partitions) == 1 {
		if p := resp.Topics[0].Partitions[0]; p.ErrorCode == 0 && p.LeaderID >= 0 {
			return p.LeaderID, nil
		}
	}
	m, err := a.cl.BrokerMetadata(ctx)
	if err != nil {
		return -1, a.errorf("metadata: %w", err)
	}
	return m.Controller, nil
}

// CreateTopic creates the topic and waits until every partition has a leader,
// so producing right after does not race the topic's creation.
func (a *admin) CreateTopic(ctx context.Context, spec drivers.TopicSpec) error {
	configs := make(map[string]*string, len(spec.Configs))
	for k, v := range spec.Configs {
		configs[k] = kadm.StringPtr(v)
	}
	if _, err := a.cl.CreateTopic(ctx, spec.Partitions, spec.ReplicationFactor, configs, spec.Name); err != nil {
		if errors.Is(err, kerr.TopicAlreadyExists) {
			a.fresh.Created(spec.Name) // perhaps by another client a moment ago
		}
		return a.errorf("create topic %s: %w", spec.Name, err)
	}
	a.fresh.Created(spec.Name)
	if err := drivers.WaitForLeaders(ctx, a, spec.Name, spec.Partitions); err != nil {
		return a.errorf("%w", err)
	}
	return nil
}

// DeleteTopic deletes the topic; a missing topic is not an error.
func (a *admin) DeleteTopic(ctx context.Context, name string) error {
	if _, err := a.cl.DeleteTopic(ctx, name); err != nil && !errors.Is(err, kerr.UnknownTopicOrPartition) {
		return a.errorf("delete topic %s: %w", name, err)
	}
	return nil
}

// Partitions describes the topic's partitions, sorted by partition. A
// topic this admin created a moment ago is described again until every
// broker asked knows it (drivers.NewTopics).
func (a *admin) Partitions(ctx context.Context, topic string) ([]drivers.PartitionInfo, error) {
	return drivers.ReadTopic(ctx, &a.fresh, topic, a.partitions)
}

func (a *admin) partitions(ctx context.Context, topic string) ([]drivers.PartitionInfo, error) {
	m, err := a.cl.Metadata(ctx, topic)
	if err != nil {
		return nil, a.errorf("metadata for %s: %w", topic, err)
	}
	td, ok := m.Topics[topic]
	if !ok {
		return nil, a.errorf("metadata for %s: %w", topic, kerr.UnknownTopicOrPartition)
	}
	if td.Err != nil {
		return nil, a.errorf("metadata for %s: %w", topic, td.Err)
	}
	out := make([]drivers.PartitionInfo, 0, len(td.Partitions))
	for _, p := range td.Partitions.Sorted() {
		out = append(out, drivers.PartitionInfo{Topic: topic, Partition: p.Partition, Leader: p.Leader,
			Replicas: p.Replicas, ISR: p.ISR})
	}
	return out, nil
}

// EndOffsets returns each partition's high watermark, retried as
// Partitions is for a topic just created.
func (a *admin) EndOffsets(ctx context.Context, topic string) (map[int32]int64, error) {
	return drivers.ReadTopic(ctx, &a.fresh, topic, a.endOffsets)
}

func (a *admin) endOffsets(ctx context.Context, topic string) (map[int32]int64, error) {
	listed, err := a.cl.ListEndOffsets(ctx, topic)
	if err != nil {
		return nil, a.errorf("end offsets of %s: %w", topic, err)
	}
	if err := listed.Error(); err != nil {
		return nil, a.errorf("end offsets of %s: %w", topic, err)
	}
	out := make(map[int32]int64)
	for p, o := range listed[topic] {
		out[p] = o.Offset
	}
	return out, nil
}

// LogBytes asks every broker for the size of topic's partitions in its log
// directories and keeps, per partition, the largest replica's.
func (a *admin) LogBytes(ctx context.Context, topic string) (map[int32]int64, error) {
	ps, err := a.Partitions(ctx, topic)
	if err != nil {
		return nil, err
	}
	set := kadm.TopicsSet{}
	for _, p := range ps {
		set.Add(topic, p.Partition)
	}
	all, err := a.cl.DescribeAllLogDirs(ctx, set)
	if err != nil {
		return nil, a.errorf("log dirs of %s: %w", topic, err)
	}
	out := make(map[int32]int64, len(ps))
	for _, dirs := range all {
		if err := dirs.Error(); err != nil {
			return nil, a.errorf("log dirs of %s: %w", topic, err)
		}
		dirs.EachPartition(func(d kadm.DescribedLogDirPartition) {
			if d.Topic == topic && !d.IsFuture {
				out[d.Partition] = max(out[d.Partition], d.Size)
			}
		})
	}
	return out, nil
}

// BrokerConfigs describes the configs of every broker in the metadata
// (kgo sends each broker the request for its own) and keeps the named ones.
func (a *admin) BrokerConfigs(ctx context.Context, names ...string) (map[int32]map[string]string, error) {
	brokers, err := a.Brokers(ctx)
	if err != nil {
		return nil, err
	}
	ids := make([]int32, len(brokers))
	for i, b := range brokers {
		ids[i] = b.ID
	}
	rcs, err := a.cl.DescribeBrokerConfigs(ctx, ids...)
	if err != nil {
		return nil, a.errorf("describe broker configs: %w", err)
	}
	out := make(map[int32]map[string]string, len(rcs))
	for _, rc := range rcs {
		if rc.Err != nil {
			return nil, a.errorf("describe configs of broker %s: %w", rc.Name, rc.Err)
		}
		id, err := strconv.ParseInt(rc.Name, 10, 32)
		if err != nil {
			return nil, a.errorf("describe broker configs: answer for broker %q", rc.Name)
		}
		out[int32(id)] = pickConfigs(rc.Configs, names)
	}
	return out, nil
}

// TopicConfigs describes topic's configs and keeps the named ones.
func (a *admin) TopicConfigs(ctx context.Context, topic string, names ...string) (map[string]string, error) {
	rcs, err := a.cl.DescribeTopicConfigs(ctx, topic)
	if err != nil {
		return nil, a.errorf("describe configs of topic %s: %w", topic, err)
	}
	rc, err := rcs.On(topic, nil)
	if err == nil {
		err = rc.Err
	}
	if err != nil {
		return nil, a.errorf("describe configs of topic %s: %w", topic, err)
	}
	return pickConfigs(rc.Configs, names), nil
}

// pickConfigs returns the named configs that have a value.
func pickConfigs(cs []kadm.Config, names []string) map[string]string {
	out := make(map[string]string, len(names))
	for _, c := range cs {
		if c.Value != nil && slices.Contains(names, c.Key) {
			out[c.Key] = *c.Value
		}
	}
	return out
}

// MoveLeader puts the first in-sync replica other than away at the head of
// the replica list, elects the preferred leader and waits until the metadata
// shows it. If away does not lead the partition, nothing changes.
func (a *admin) MoveLeader(ctx context.Context, topic string, partition int32, away int32) (int32, error) {
	p, err := a.partition(ctx, topic, partition)
	if err != nil {
		return -1, err
	}
	if p.Leader != away && p.Leader >= 0 {
		return p.Leader, nil
	}
	target := int32(-1)
	for _, r := range p.Replicas {
		if r != away && slices.Contains(p.ISR, r) {
			target = r
			break
		}
	}
	if target < 0 {
		return -1, a.errorf("move leader of %s[%d] away from %d: no other in-sync replica (replicas %v, isr %v)",
			topic, partition, away, p.Replicas, p.ISR)
	}
	order := append([]int32{target}, slices.DeleteFunc(slices.Clone(p.Replicas), func(r int32) bool { return r == target })...)

	var req kadm.AlterPartitionAssignmentsReq
	req.Assign(topic, partition, order)
	res, err := a.cl.AlterPartitionAssignments(ctx, req)
	if err == nil {
		err = res.Error()
	}
	if err != nil {
		return -1, a.errorf("reorder replicas of %s[%d] to %v: %w", topic, partition, order, err)
	}
	if err := a.elect(ctx, topic, partition); err != nil {
		return -1, err
	}
	err = a.settle(ctx, func(ctx context.Context) (bool, error) {
		p, err := a.partition(ctx, topic, partition)
		return err == nil && p.Leader == target, nil
	}, "%s[%d] to be led by %d", topic, partition, target)
	if err != nil {
		return -1, err
	}
	return target, nil
}

// ElectPreferred runs a preferred-leader election for every partition of topic.
func (a *admin) ElectPreferred(ctx context.Context, topic string) error {
	ps, err := a.Partitions(ctx, topic)
	if err != nil {
		return err
	}
	for _, p := range ps {
		if err := a.elect(ctx, topic, p.Partition); err != nil {
			return err
		}
	}
	return nil
}

// Close closes the admin's client.
func (a *admin) Close() { a.cl.Close() }

func (a *admin) partition(ctx context.Context, topic string, partition int32) (drivers.PartitionInfo, error) {
	ps, err := a.Partitions(ctx, topic)
	if err != nil {
		return drivers.PartitionInfo{}, err
	}
	for _, p := range ps {
		if p.Partition == partition {
			return p, nil
		}
	}
	return drivers.PartitionInfo{}, a.errorf("%s has no partition %d", topic, partition)
}

// elect elects the preferred leader of one partition. It retries while the
// controller has not yet applied a reordering, up to the settle bound.
func (a *admin) elect(ctx context.Context, topic string, partition int32) error {
	var last error
	err := a.settle(ctx, func(ctx context.Context) (bool, error) {
		res, err := a.cl.ElectLeaders(ctx, kadm.ElectPreferredReplica, kadm.TopicsSet{topic: {partition: {}}})
		if err != nil {
			return false, err
		}
		r, ok := res[topic][partition]
		switch {
		case !ok:
			return true, nil // old brokers leave answered partitions out
		case r.Err == nil || errors.Is(r.Err, kerr.ElectionNotNeeded):
			return true, nil
		case kerr.IsRetriable(r.Err) || errors.Is(r.Err, kerr.PreferredLeaderNotAvailable):
			last = r.Err
			return false, nil
		}
		return false, r.Err
	}, "preferred leader election of %s[%d]", topic, partition)
	if err != nil && last != nil {
		return fmt.Errorf("%w (last: %w)", err, last)
	}
	return err
}

// settle calls check until it reports done, fails, or ctx (bounded by
// settleTimeout) ends.
func (a *admin) settle(ctx context.Context, check func(ctx context.Context) (bool, error), what string, args ...any) error {
	ctx, cancel := context.WithTimeout(ctx, settleTimeout)
	defer cancel()
	if err := poll.Until(ctx, settlePoll, check); err != nil {
		return a.errorf("waiting for "+what+": %w", append(args, err)...)
	}
	return nil
}
