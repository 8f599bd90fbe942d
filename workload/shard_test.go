package workload

import (
	"strings"
	"testing"
)

func TestCheckShard(t *testing.T) {
	w := &Workload{Shards: ShardRoles{Producers: []int{0, 3}}}
	if err := w.CheckShard(0, 3); err == nil || !strings.Contains(err.Error(), "shards.producers[1]: shard 3, but the run has 3 shards") {
		t.Errorf("roles beyond the shards: %v", err)
	}
	if err := (&Workload{}).CheckShard(3, 3); err == nil {
		t.Error("index 3 of 3 accepted")
	}
	if err := (&Workload{ConsumerBacklogSizeGB: 1}).CheckShard(0, 2); err == nil || !strings.Contains(err.Error(), "consumerBacklogSizeGB") {
		t.Errorf("a sharded backlog run: %v", err)
	}
	if err := (&Workload{UseTransactions: true, TransformsPerTopic: 1}).CheckShard(0, 2); err == nil || !strings.Contains(err.Error(), "transformsPerTopic: a distributed run does not transform") {
		t.Errorf("a sharded transforming run: %v", err)
	}
	var p Problems
	validateShardRoles(ShardRoles{Consumers: []int{1, -1, 1}}, &p)
	if err := p.Err(); err == nil || !strings.Contains(err.Error(), "shards.consumers[1]: must not be negative") || !strings.Contains(err.Error(), "shards.consumers[2]: shard 1 is listed twice") {
		t.Errorf("bad roles: %v", err)
	}
}
