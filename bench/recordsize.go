package bench

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/kbench/kbench/drivers"
	"github.com/kbench/kbench/workload"
)

// sizeLimit is one bound the run's largest record meets: the producer
// client's own, or the max.message.bytes of the topics it writes to.
type sizeLimit struct {
	drivers.RecordLimit
	// what names the bound and its size in an error, e.g. "topic
	// orders's max.message.bytes of 1048588".
	what string
	// fix says how to raise the bound to need bytes (of Property's value).
	fix func(need int64) string
	// broker is set for a topic's bound, which brokers apply to the batch
	// as sent: compressed, when the producer compresses.
	broker bool
}

// checkRecordSize refuses, with workload.ErrBadWorkload, a workload whose largest
// record (its largest message with its longest key) does not fit one of
// limits: every such produce would fail. A broker's bound is on the batch
// as sent, so with compression it is only noted: the compressed batch may
// fit.
func checkRecordSize(w *workload.Workload, limits []sizeLimit) (notes []string, err error) {
	field, value, key := largestField(w), w.MaxMessageSize(), maxKeySize(w)
	compression := w.Producer["compression.type"]
	compressed := compression != "" && compression != "none"
	var p workload.Problems
	for _, l := range limits {
		size := l.Size(key, value)
		if size <= l.Bytes {
			continue
		}
		msg := fmt.Sprintf("the largest message, %d bytes", value)
		if key > 0 {
			msg += fmt.Sprintf(" with a key of up to %d", key)
		}
		if l.broker && compressed {
			notes = append(notes, fmt.Sprintf("%s: %s, makes a record batch of %d bytes before compression, above %s: compression.type=%s must shrink it below that, or every such produce fails",
				field, msg, size, l.what, compression))
			continue
		}
		if l.Batch {
			msg += fmt.Sprintf(", makes a record batch of %d bytes,", size)
		} else {
			msg += ", is"
		}
		need := size + l.Value - l.Bytes
		p.Addf(field, "%s above %s: %s, or lower %s", msg, l.what, l.fix(need), field)
	}
	if len(p) > 0 {
		return notes, workload.Bad(fmt.Errorf("messages too large to be produced:\n%w", p.Err()))
	}
	return notes, nil
}

// largestField is the workload field that sets the largest message size.
func largestField(w *workload.Workload) string {
	field, size := "messageSize", w.MessageSize
	if w.MessageSizeMax > size {
		field, size = "messageSizeMax", w.MessageSizeMax
	}
	for i, ws := range w.MessageSizes {
		if ws.Size > size {
			field, size = "messageSizes["+strconv.Itoa(i)+"].size", ws.Size
		}
	}
	return field
}

// maxKeySize is the longest key the workload's key distributor makes (see
// keyTable): "key-" and an index, or a uint64 in base 36.
func maxKeySize(w *workload.Workload) int {
	switch w.KeyDistributor {
	case workload.KeyRoundRobin:
		return len("key-" + strconv.Itoa(keyTableLen-1))
	case workload.RandomNano:
		return len(strconv.FormatUint(math.MaxUint64, 36))
	}
	return 0
}

// recordLimits gathers the bounds the run's records meet: the producer's
// own (drivers.RecordLimiter), and through drivers.ConfigDescriber the
// max.message.bytes of each existing topic, or of the run's own topics:
// the workload's topicConfig, else the smallest of the brokers'
// message.max.bytes, the default topics take. A bound the driver or the
// cluster cannot tell is left out; why, when the cluster would not say,
// is in notes.
func (r *run) recordLimits(ctx context.Context) (limits []sizeLimit, notes []string) {
	w := r.w
	if rl, ok := r.cfg.Driver.(drivers.RecordLimiter); ok {
		lim := rl.RecordLimit(w.Producer)
		unit := fmt.Sprintf("%d-byte batch", lim.Bytes)
		if !lim.Batch {
			unit = fmt.Sprintf("%d bytes of key and value", lim.Bytes)
		}
		limits = append(limits, sizeLimit{RecordLimit: lim,
			what: fmt.Sprintf("the %s the %s driver's producer takes, by %s", unit, r.cfg.Driver.Name(), lim.Setting),
			fix: func(need int64) string {
				return fmt.Sprintf("set producer.%s to at least %d", lim.Property, need)
			}})
	}
	cd, ok := r.cfg.Admin.(drivers.ConfigDescriber)
	if !ok {
		return limits, nil
	}
	ctx, cancel := context.WithTimeout(ctx, reachTimeout)
	defer cancel()
	topicLimit := func(n int64, what string, fix func(need int64) string) sizeLimit {
		return sizeLimit{RecordLimit: drivers.RecordLimit{Bytes: n, Batch: true, Value: n}, what: what, fix: fix, broker: true}
	}
	for _, t := range w.ExistingTopics {
		cs, err := cd.TopicConfigs(ctx, t, "max.message.bytes")
		n, perr := strconv.ParseInt(cs["max.message.bytes"], 10, 64)
		if err != nil || perr != nil {
			// A missing topic is reported when the run reads it.
			notes = append(notes, fmt.Sprintf("message size not checked against topic %s's max.message.bytes: %v", t, errors.Join(err, perr)))
			continue
		}
		limits = append(limits, topicLimit(n, fmt.Sprintf("topic %s's max.message.bytes of %d", t, n), func(need int64) string {
			return fmt.Sprintf("raise topic %s's max.message.bytes to at least %d (kafka-configs.sh --alter --entity-type topics --entity-name %s --add-config max.message.bytes=%d)", t, need, t, need)
		}))
	}
	if len(w.ExistingTopics) > 0 {
		return limits, notes
	}
	raise := func(need int64) string { return fmt.Sprintf("set topicConfig.max.message.bytes to at least %d", need) }
	if v, ok := w.TopicConfig["max.message.bytes"]; ok {
		// A value the brokers refuse fails the topics' creation.
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			limits = append(limits, topicLimit(n, fmt.Sprintf("the workload's topicConfig.max.message.bytes of %d", n), raise))
		}
		return limits, notes
	}
	bcs, err := cd.BrokerConfigs(ctx, "message.max.bytes")
	if err != nil {
		return limits, append(notes, fmt.Sprintf("message size not checked against the brokers' message.max.bytes: %v", err))
	}
	ids := make([]int32, 0, len(bcs))
	for id := range bcs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	least, from := int64(math.MaxInt64), int32(-1)
	for _, id := range ids {
		if n, err := strconv.ParseInt(bcs[id]["message.max.bytes"], 10, 64); err == nil && n < least {
			least, from = n, id
		}
	}
	if from >= 0 {
		limits = append(limits, topicLimit(least, fmt.Sprintf("the brokers' message.max.bytes of %d (broker %d's), which the run's topics take", least, from), raise))
	}
	return limits, notes
}

// checkMessageSize checks, before anything is created, that the run's
// largest record fits the bounds it meets (checkRecordSize); notes go to
// the log, and those on the run's measurement to the result.
func (r *run) checkMessageSize(ctx context.Context) error {
	if r.w.ProducersPerTopic == 0 {
		return nil
	}
	limits, unread := r.recordLimits(ctx)
	for _, n := range unread {
		r.logf("note: %s", n)
	}
	notes, err := checkRecordSize(r.w, limits)
	if err == nil {
		if bl, ok := r.cfg.Driver.(drivers.BatchLimiter); ok {
			var more []string
			more, err = fitBatches(r.w, r.cfg.Driver.Name(), bl.BatchLimit(r.w.Producer), limits)
			notes = append(notes, more...)
		}
	}
	for _, n := range notes {
		r.logf("note: %s", n)
	}
	r.notes = append(r.notes, notes...)
	return err
}

// fitBatches keeps the producer's record batches, bounded by bl, within
// the smallest of the topics' max.message.bytes among limits: a client
// that does not split a refused batch would fail every record of one
// built above it. When the workload leaves producer.batch.size to the
// driver's default, fitBatches lowers it to fit (and says so); a value the
// workload gave is refused, with workload.ErrBadWorkload. With compression it only
// notes the risk, as the brokers see the compressed batch.
func fitBatches(w *workload.Workload, driver string, bl drivers.RecordLimit, limits []sizeLimit) (notes []string, err error) {
	var topic *sizeLimit
	for i, l := range limits {
		if l.broker && (topic == nil || l.Bytes < topic.Bytes) {
			topic = &limits[i]
		}
	}
	if topic == nil || bl.Bytes <= topic.Bytes {
		return nil, nil
	}
	fit := topic.Bytes + bl.Value - bl.Bytes
	builds := fmt.Sprintf("the %s driver's producer builds record batches of up to %d bytes (%s), above %s", driver, bl.Bytes, bl.Setting, topic.what)
	if c := w.Producer["compression.type"]; c != "" && c != "none" {
		return []string{fmt.Sprintf("producer.batch.size: %s before compression: compression.type=%s must shrink each below that, or the brokers refuse it and the client, which does not split it, fails all its records; set producer.batch.size to at most %d to be sure", builds, c, fit)}, nil
	}
	if _, given := w.Producer[bl.Property]; given {
		var p workload.Problems
		p.Addf("producer."+bl.Property, "%s: the brokers refuse such a batch and the client does not split it, so all its records fail; set producer.batch.size to at most %d, or %s", builds, fit, topic.fix(bl.Bytes))
		return nil, workload.Bad(fmt.Errorf("record batches too large to be produced:\n%w", p.Err()))
	}
	if w.Producer == nil {
		w.Producer = map[string]string{}
	}
	w.Producer["batch.size"] = strconv.FormatInt(fit, 10)
	return []string{fmt.Sprintf("producer.batch.size set to %d: %s, which the brokers would refuse and the client does not split", fit, builds)}, nil
}
