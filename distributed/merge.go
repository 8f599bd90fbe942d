package distributed

import (
	"github.com/kbench/kbench/bench"
	"github.com/kbench/kbench/results"
)

// Merge combines the results of the shards of one distributed run into the
// run's result: results.Merge (histograms added, counts summed, the
// verification the union over shards, the ISR events kept), then the
// failover figures computed again over every shard's producers
// (bench.MergedFailover). Shard 0's in-run merge, `kbench merge` and the
// local shards' fallback all merge through it.
func Merge(shards []*results.Run) (*results.Run, error) {
	merged, err := results.Merge(shards)
	if err != nil {
		return nil, err
	}
	if len(merged.Faults) == 0 {
		return merged, nil
	}
	fos, err := bench.MergedFailover(merged, shards)
	if err != nil {
		return nil, err
	}
	merged.Failover = fos
	return merged, nil
}
