package workload

import (
	"maps"

	"github.com/kbench/kbench/profiles"
)

// ApplyTuning lays a tuning profile over the workload: the profile's
// client and topic settings, replication factor and partition count win
// over the workload file's. Call Set after it, so a value set by hand wins
// over both. Broker settings are the target's business, not the workload's.
func (w *Workload) ApplyTuning(t *profiles.Tuning) {
	w.Producer = overlay(w.Producer, t.Producer)
	w.Consumer = overlay(w.Consumer, t.Consumer)
	w.TopicConfig = overlay(w.TopicConfig, t.Topic)
	if t.ReplicationFactor != 0 {
		w.ReplicationFactor = t.ReplicationFactor
	}
	if t.Partitions != 0 {
		w.PartitionsPerTopic = t.Partitions
	}
	if t.UseTransactions {
		w.UseTransactions = true
	}
	if t.TransactionSize != 0 {
		w.TransactionSize = t.TransactionSize
	}
}

// overlay returns base with top's entries laid over it, in a new map so
// the workload never shares one with the profile.
func overlay(base, top map[string]string) map[string]string {
	if len(top) == 0 {
		return base
	}
	out := make(map[string]string, len(base)+len(top))
	maps.Copy(out, base)
	maps.Copy(out, top)
	return out
}
