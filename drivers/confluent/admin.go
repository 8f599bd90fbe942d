package confluent

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/kbench/kbench/drivers"
)

// admin implements drivers.Admin and drivers.ConfigDescriber with
// librdkafka's AdminClient.
//
// It is not a drivers.LeaderMover: moving a leader needs a partition
// reassignment (AlterPartitionReassignments), which librdkafka does not
// offer, so a leader-move fault needs the franz driver.
//
// Controller reports what DescribeCluster reports. On a KRaft cluster that
// is some broker rather than the active controller, which librdkafka cannot
// ask for (it has no DescribeQuorum).
type admin struct {
	ac        *kafka.AdminClient
	kp        *kafka.Producer // the handle ac uses, whose events say why a request timed out
	bootstrap string
	lastErr   atomic.Pointer[kafka.Error]
	events    chan struct{} // closed when kp's events end
	// refused is closed at the first failed login or TLS handshake: the
	// same settings will not do better, so calls end then rather than at
	// their deadline (librdkafka only times them out).
	refused     chan struct{}
	refusedOnce sync.Once
	fresh       drivers.NewTopics
}

var (
	_ drivers.Admin           = (*admin)(nil)
	_ drivers.ConfigDescriber = (*admin)(nil)
)

// NewAdmin returns an admin client for the cluster at cfg.Bootstrap.
// librdkafka connects in the background.
func (Driver) NewAdmin(_ context.Context, cfg drivers.AdminConfig) (drivers.Admin, error) {
	base := kafka.ConfigMap{
		"bootstrap.servers": strings.Join(cfg.Bootstrap, ","),
		"log_level":         quietLogLevel,
	}
	cm, err := configMap(base, cfg.Props)
	if err != nil {
		return nil, err
	}
	// An admin client over a producer handle, so its error events (a
	// failed TLS handshake or login) are seen: librdkafka's admin calls
	// only time out.
	kp, err := kafka.NewProducer(&cm)
	if err != nil {
		return nil, fmt.Errorf("confluent driver: admin for %s: %w", base["bootstrap.servers"], configError(err, cfg.Props))
	}
	ac, err := kafka.NewAdminClientFromProducer(kp)
	if err != nil {
		kp.Close()
		return nil, fmt.Errorf("confluent driver: admin for %s: %w", base["bootstrap.servers"], err)
	}
	a := &admin{ac: ac, kp: kp, bootstrap: base["bootstrap.servers"].(string), events: make(chan struct{}), refused: make(chan struct{})}
	go func() {
		defer close(a.events)
		for ev := range kp.Events() {
			if e, ok := ev.(kafka.Error); ok {
				if last := a.lastErr.Load(); last == nil || errorRank(e) >= errorRank(*last) {
					a.lastErr.Store(&e)
				}
				if errorRank(e) == 2 {
					a.refusedOnce.Do(func() { close(a.refused) })
				}
			}
		}
	}()
	return a, nil
}

// errorRank ranks client errors by how well they say why nothing answers:
// a failed TLS handshake or login best, "all brokers are down" least.
func errorRank(e kafka.Error) int {
	switch e.Code() {
	case kafka.ErrSsl, kafka.ErrAuthentication, kafka.ErrSaslAuthenticationFailed:
		return 2
	case kafka.ErrAllBrokersDown:
		return 0
	}
	return 1
}

// bound returns ctx, cancelled too when the cluster refuses the client's
// login or TLS handshake.
func (a *admin) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(ctx)
	go func() {
		select {
		case <-a.refused:
			cancel(errRefused)
		case <-ctx.Done():
		}
	}()
	return ctx, func() { cancel(nil) }
}

// errRefused ends a call the cluster will not serve with these settings.
var errRefused = errors.New("the cluster refused the client's login or TLS handshake")

// errorf makes an admin error; a timeout, or a call ended by a refused
// login, carries the client's last error, which says why (authentication,
// TLS, refused connections).
func (a *admin) errorf(format string, args ...any) error {
	err := fmt.Errorf("confluent admin (%s): "+format, append([]any{a.bootstrap}, args...)...)
	if last := a.lastErr.Load(); last != nil && (errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)) {
		why := "the client's last error"
		if last.Code() == kafka.ErrSsl {
			why = "TLS failed"
		}
		err = fmt.Errorf("%w (%s: %w)", err, why, wrap(*last))
	}
	return err
}

// Brokers lists the brokers DescribeCluster reports.
func (a *admin) Brokers(ctx context.Context) ([]drivers.Broker, error) {
	ctx, cancel := a.bound(ctx)
	defer cancel()
	c, err := a.ac.DescribeCluster(ctx)
	if err != nil {
		return nil, a.errorf("describe cluster: %w", err)
	}
	out := make([]drivers.Broker, 0, len(c.Nodes))
	for _, n := range c.Nodes {
		out = append(out, drivers.Broker{ID: int32(n.ID), Host: n.Host, Port: int32(n.Port)})
	}
	return out, nil
}

// Controller returns the controller DescribeCluster reports (see admin).
func (a *admin) Controller(ctx context.Context) (int32, error) {
	ctx, cancel := a.bound(ctx)
	defer cancel()
	c, err := a.ac.DescribeCluster(ctx)
	if err != nil {
		return -1, a.errorf("describe cluster: %w", err)
	}
	if c.Controller == nil {
		return -1, a.errorf("the cluster reports no controller")
	}
	return int32(c.Controller.ID), nil
}

// CreateTopic creates the topic and waits until every partition has a leader,
// so producing right after does not race the topic's creation.
func (a *admin) CreateTopic(ctx context.Context, spec drivers.TopicSpec) error {
	ctx, cancel := a.bound(ctx)
	defer cancel()
	res, err := a.ac.CreateTopics(ctx, []kafka.TopicSpecification{{
		Topic:             spec.Name,
		NumPartitions:     int(spec.Partitions),
		ReplicationFactor: int(spec.ReplicationFactor),
		Config:            spec.Configs,
	}})
	if err == nil && len(res) == 1 && res[0].Error.Code() != kafka.ErrNoError {
		err = res[0].Error
	}
	if err != nil {
		if kerr, ok := err.(kafka.Error); ok && kerr.Code() == kafka.ErrTopicAlreadyExists {
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
	ctx, cancel := a.bound(ctx)
	defer cancel()
	res, err := a.ac.DeleteTopics(ctx, []string{name})
	if err == nil && len(res) == 1 {
		switch res[0].Error.Code() {
		case kafka.ErrNoError, kafka.ErrUnknownTopicOrPart, kafka.ErrUnknownTopic:
		default:
			err = res[0].Error
		}
	}
	if err != nil {
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
	ctx, cancel := a.bound(ctx)
	defer cancel()
	res, err := a.ac.DescribeTopics(ctx, kafka.NewTopicCollectionOfTopicNames([]string{topic}))
	if err == nil && len(res.TopicDescriptions) != 1 {
		err = errors.New("no description returned")
	}
	if err == nil && res.TopicDescriptions[0].Error.Code() != kafka.ErrNoError {
		err = res.TopicDescriptions[0].Error
	}
	if err != nil {
		return nil, a.errorf("describe topic %s: %w", topic, err)
	}
	ids := func(ns []kafka.Node) []int32 {
		out := make([]int32, len(ns))
		for i, n := range ns {
			out[i] = int32(n.ID)
		}
		return out
	}
	parts := res.TopicDescriptions[0].Partitions
	out := make([]drivers.PartitionInfo, 0, len(parts))
	for _, p := range parts {
		leader := int32(-1)
		if p.Leader != nil {
			leader = int32(p.Leader.ID)
		}
		out = append(out, drivers.PartitionInfo{Topic: topic, Partition: int32(p.Partition), Leader: leader,
			Replicas: ids(p.Replicas), ISR: ids(p.Isr)})
	}
	slices.SortFunc(out, func(x, y drivers.PartitionInfo) int { return int(x.Partition - y.Partition) })
	return out, nil
}

// EndOffsets returns each partition's high watermark, retried as
// Partitions is for a topic just created.
func (a *admin) EndOffsets(ctx context.Context, topic string) (map[int32]int64, error) {
	return drivers.ReadTopic(ctx, &a.fresh, topic, a.endOffsets)
}

func (a *admin) endOffsets(ctx context.Context, topic string) (map[int32]int64, error) {
	ctx, cancel := a.bound(ctx)
	defer cancel()
	ps, err := a.Partitions(ctx, topic)
	if err != nil {
		return nil, err
	}
	req := make(map[kafka.TopicPartition]kafka.OffsetSpec, len(ps))
	for _, p := range ps {
		req[kafka.TopicPartition{Topic: &topic, Partition: p.Partition}] = kafka.LatestOffsetSpec
	}
	res, err := a.ac.ListOffsets(ctx, req)
	if err != nil {
		return nil, a.errorf("end offsets of %s: %w", topic, err)
	}
	out := make(map[int32]int64, len(res.ResultInfos))
	for tp, info := range res.ResultInfos {
		if info.Error.Code() != kafka.ErrNoError {
			return nil, a.errorf("end offset of %s[%d]: %w", topic, tp.Partition, info.Error)
		}
		out[tp.Partition] = int64(info.Offset)
	}
	return out, nil
}

// BrokerConfigs describes the configs of every broker DescribeCluster
// lists and keeps the named ones.
func (a *admin) BrokerConfigs(ctx context.Context, names ...string) (map[int32]map[string]string, error) {
	brokers, err := a.Brokers(ctx)
	if err != nil {
		return nil, err
	}
	// librdkafka takes one broker per call.
	out := make(map[int32]map[string]string, len(brokers))
	for _, b := range brokers {
		name := strconv.Itoa(int(b.ID))
		got, err := a.describeConfigs(ctx, []kafka.ConfigResource{{Type: kafka.ResourceBroker, Name: name}}, names)
		if err != nil {
			return nil, err
		}
		cs, ok := got[name]
		if !ok {
			return nil, a.errorf("describe configs of broker %s: no answer for it", name)
		}
		out[b.ID] = cs
	}
	return out, nil
}

// TopicConfigs describes topic's configs and keeps the named ones.
func (a *admin) TopicConfigs(ctx context.Context, topic string, names ...string) (map[string]string, error) {
	got, err := a.describeConfigs(ctx, []kafka.ConfigResource{{Type: kafka.ResourceTopic, Name: topic}}, names)
	if err != nil {
		return nil, err
	}
	cs, ok := got[topic]
	if !ok {
		return nil, a.errorf("describe configs of topic %s: no answer for it", topic)
	}
	return cs, nil
}

// describeConfigs describes the resources and returns, per resource name,
// the named configs that have a value.
func (a *admin) describeConfigs(ctx context.Context, res []kafka.ConfigResource, names []string) (map[string]map[string]string, error) {
	ctx, cancel := a.bound(ctx)
	defer cancel()
	results, err := a.ac.DescribeConfigs(ctx, res)
	if err != nil {
		return nil, a.errorf("describe configs: %w", err)
	}
	out := make(map[string]map[string]string, len(results))
	for _, r := range results {
		if r.Error.Code() != kafka.ErrNoError {
			return nil, a.errorf("describe configs of %s %s: %w", r.Type, r.Name, r.Error)
		}
		cs := make(map[string]string, len(names))
		for _, n := range names {
			if e, ok := r.Config[n]; ok && !e.IsSensitive {
				cs[n] = e.Value
			}
		}
		out[r.Name] = cs
	}
	return out, nil
}

// Close destroys the client.
func (a *admin) Close() {
	a.ac.Close()
	a.kp.Close()
	<-a.events
}
