package workload

import (
	"slices"
	"strconv"
)

// ShardRoles puts producing and consuming on chosen shards of a
// distributed run; an empty list means every shard.
type ShardRoles struct {
	Producers []int `yaml:"producers,omitempty" json:"producers,omitempty"`
	Consumers []int `yaml:"consumers,omitempty" json:"consumers,omitempty"`
}

// CheckShard refuses, for shard index of count shards, an index or roles
// outside the run's shards, and a backlog run, which shards do not build
// yet. Every problem is listed.
func (w *Workload) CheckShard(index, count int) error {
	var p Problems
	if count < 1 || index < 0 || index >= count {
		p.Addf("shard", "index %d of %d shards: want 0 <= index < count", index, count)
	}
	if w.ConsumerBacklogSizeGB > 0 {
		// Not silently dropped: a shard would count only its own
		// producers' acknowledgements towards the run's backlog, and one
		// with consumers only would wait for it until the run ends.
		p.Addf("consumerBacklogSizeGB", "a distributed run does not build a backlog yet: run the backlog workload in one process")
	}
	if w.UseTransactions {
		// A shard's consumers know the end of what was committed from
		// the producers beside them; end offsets count the transaction
		// markers too.
		p.Addf("useTransactions", "a distributed run does not run transactions yet: run the transactional workload in one process")
	}
	if w.TransformsPerTopic > 0 {
		p.Addf("transformsPerTopic", "a distributed run does not transform yet: run the transforming workload in one process")
	}
	for name, roles := range map[string][]int{"shards.producers": w.Shards.Producers, "shards.consumers": w.Shards.Consumers} {
		for i, s := range roles {
			if s < 0 || s >= count {
				p.Addf(name+"["+strconv.Itoa(i)+"]", "shard %d, but the run has %d shards (0 to %d)", s, count, count-1)
			}
		}
	}
	return p.Err()
}

// validateShardRoles refuses negative or repeated shard indexes.
func validateShardRoles(r ShardRoles, p *Problems) {
	for name, roles := range map[string][]int{"shards.producers": r.Producers, "shards.consumers": r.Consumers} {
		for i, s := range roles {
			path := name + "[" + strconv.Itoa(i) + "]"
			if s < 0 {
				p.Addf(path, "must not be negative, got %d", s)
			}
			if slices.Index(roles, s) < i {
				p.Addf(path, "shard %d is listed twice", s)
			}
		}
	}
}
