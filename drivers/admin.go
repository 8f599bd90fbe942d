package drivers

import "context"

// Broker is one broker as the cluster's metadata lists it.
type Broker struct {
	ID   int32
	Host string
	Port int32
}

// PartitionInfo is one partition's leadership and replicas.
type PartitionInfo struct {
	Topic     string
	Partition int32
	Leader    int32 // -1 when the partition has no leader
	Replicas  []int32
	ISR       []int32
}

// TopicSpec is a topic to create.
type TopicSpec struct {
	Name              string
	Partitions        int32
	ReplicationFactor int16 // -1 takes the broker's default.replication.factor
	Configs           map[string]string
}

// Admin is the cluster administration kbench needs: topics, metadata and
// end offsets; moving leaders is the optional LeaderMover. Methods are safe to call from several goroutines.
type Admin interface {
	// Brokers lists the brokers the cluster's metadata names.
	Brokers(ctx context.Context) ([]Broker, error)
	// Controller returns the id of the active controller.
	Controller(ctx context.Context) (int32, error)
	// CreateTopic creates the topic; it is an error if it exists.
	CreateTopic(ctx context.Context, spec TopicSpec) error
	// DeleteTopic deletes the topic; a missing topic is not an error.
	DeleteTopic(ctx context.Context, name string) error
	// Partitions describes the topic's partitions, sorted by partition.
	Partitions(ctx context.Context, topic string) ([]PartitionInfo, error)
	// EndOffsets returns each partition's high watermark.
	EndOffsets(ctx context.Context, topic string) (map[int32]int64, error)
	Close()
}

// AdminConfig is what an admin client is created with.
type AdminConfig struct {
	Bootstrap []string
	// Props are client properties under Kafka's names (client.id,
	// security.protocol, ...); producer- and consumer-only ones are
	// ignored, so one tuning profile's can be given.
	Props map[string]string
}

// AdminFactory makes an admin client; Driver.NewAdmin is one. Packages that
// need admin clients but must not pick a client library (cluster) take one.
type AdminFactory func(ctx context.Context, cfg AdminConfig) (Admin, error)
