package drivers

import (
	"context"
	"errors"
	"fmt"
	"maps"
)

// TransformerConfig is what a transformer is created with.
type TransformerConfig struct {
	Bootstrap []string
	ClientID  string
	// Group is the consumer group the transformer's consumer joins, and
	// whose offsets its transactions commit.
	Group  string
	Topics []string
	// TransactionalID is its producer's transactional id; no two live
	// transformers may share one.
	TransactionalID string
	// ConsumerProps and ProducerProps are client properties under
	// Kafka's names, as ConsumerConfig.Props and ProducerConfig.Props.
	// The driver reads with isolation.level=read_committed unless
	// ConsumerProps says otherwise, and commits offsets only in its
	// transactions (never automatically).
	ConsumerProps map[string]string
	ProducerProps map[string]string
}

// Validate returns every problem of c at once, each naming its field.
func (c TransformerConfig) Validate() error {
	var errs []error
	if len(c.Bootstrap) == 0 {
		errs = append(errs, errors.New("transformer: Bootstrap is empty; name at least one broker"))
	}
	if c.Group == "" {
		errs = append(errs, errors.New("transformer: Group is empty; a transformer reads as a member of a consumer group"))
	}
	if len(c.Topics) == 0 {
		errs = append(errs, errors.New("transformer: Topics is empty; name the topics to read"))
	}
	if c.TransactionalID == "" {
		errs = append(errs, errors.New("transformer: TransactionalID is empty; give each transformer its own"))
	}
	if v, ok := c.ProducerProps["transactional.id"]; ok && v != c.TransactionalID {
		errs = append(errs, fmt.Errorf("transformer: ProducerProps sets transactional.id=%q, TransactionalID is %q; remove the property", v, c.TransactionalID))
	}
	if v := c.ConsumerProps["enable.auto.commit"]; v != "" && v != "false" {
		errs = append(errs, fmt.Errorf("transformer: ConsumerProps sets enable.auto.commit=%q; a transformer commits offsets only in its transactions, remove it", v))
	}
	return errors.Join(errs...)
}

// ClientProps returns the consumer's and the producer's properties as a
// driver applies them: ConsumerProps with isolation.level=read_committed
// unless set, and enable.auto.commit=false; ProducerProps with
// transactional.id=TransactionalID. The config's maps are not changed.
func (c TransformerConfig) ClientProps() (consumer, producer map[string]string) {
	consumer, producer = maps.Clone(c.ConsumerProps), maps.Clone(c.ProducerProps)
	if consumer == nil {
		consumer = map[string]string{}
	}
	if producer == nil {
		producer = map[string]string{}
	}
	if _, ok := consumer["isolation.level"]; !ok {
		consumer["isolation.level"] = "read_committed"
	}
	consumer["enable.auto.commit"] = "false"
	producer["transactional.id"] = c.TransactionalID
	return consumer, producer
}

// Transformer is a consume-transform-produce client: a consumer-group
// member whose records are read, turned into new records and produced in
// a transaction that also commits, to the group, the offsets of what was
// read. A read_committed reader of the produced topics then sees each
// read record's output exactly once, through failures and rebalances.
//
// One goroutine drives it: Begin, then Poll and Produce as often as
// needed, then Commit or Abort. Records polled while a transaction is
// open are that transaction's: Commit commits their offsets (each
// partition's position after the last record polled) with the records
// produced. After an Abort, or a Commit that aborted, the next Poll reads
// again from the group's committed offsets, so the aborted transaction's
// input is read again. Poll is allowed with no transaction open (the
// records it returns then belong to the next one). Commit and Abort with
// no transaction open return an error and change nothing.
type Transformer interface {
	// Poll is Consumer.Poll. While the group rebalances it returns nil,
	// with or without records, within about a second. Keep polling
	// then: a driver may handle the rebalance only inside Poll
	// (librdkafka does), and the group waits for it.
	Poll(ctx context.Context, fn func(*Message)) error
	// Begin opens a transaction, as Transactor.Begin.
	Begin(ctx context.Context) error
	// Produce is Producer.Produce, inside the open transaction.
	Produce(ctx context.Context, rec *Record, done DoneFunc)
	// Commit waits until every record produced since Begin has
	// completed, then commits them and the offsets polled since Begin in
	// one transaction. Its outcome is as Transactor.Commit's: nil
	// committed, an error wrapping ErrTxnAborted aborted (a record
	// failed, the coordinator refused, or the group took a polled
	// partition away: a commit from a member that lost the partition
	// could duplicate its input), any other error unknown. A driver
	// may abort on any revoke since the last commit, polled or not
	// (franz does). After an unknown outcome the next Poll reads from
	// offsets the driver takes as committed: the group's (confluent
	// asks the coordinator), or the client's own record of its last
	// commit (franz), which re-reads the input of a transaction that in
	// fact committed.
	Commit(ctx context.Context) error
	// Abort aborts the open transaction and rewinds to the committed
	// offsets, as Transactor.Abort.
	Abort(ctx context.Context) error
	// AssignedPartitions is Assigned's; it is safe to call from any
	// goroutine, while Poll runs too.
	AssignedPartitions() int
	// Close leaves the group and releases the clients; an open
	// transaction is aborted.
	Close() error
}

// TransformDriver is a Driver that can make Transformers.
type TransformDriver interface {
	NewTransformer(ctx context.Context, cfg TransformerConfig) (Transformer, error)
}
