package bench

import (
	"context"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"github.com/kbench/kbench/results"
	"github.com/kbench/kbench/workload"
)

// A run's result carries, typed, what its readers need of the workload
// (results and analysis never read the workload by field name), and the
// result file keeps it.
func TestResultShape(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := mustResolve(t, &workload.Workload{Topics: 1, PartitionsPerTopic: 1, MessageSize: 64, ProducersPerTopic: 1,
			SubscriptionsPerTopic: 2, ProducerRate: 100, Interval: workload.Duration(250 * time.Millisecond),
			Duration: workload.Duration(time.Second), Drain: workload.Duration(time.Second)})
		cfg, _ := memConfig(w)
		res, err := Run(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		want := results.Shape{IntervalS: 0.25, SubscriptionsPerTopic: 2}
		if res.Shape != want {
			t.Errorf("shape %+v, want %+v", res.Shape, want)
		}
		path := filepath.Join(t.TempDir(), "r.json")
		if err := results.Write(path, res); err != nil {
			t.Fatal(err)
		}
		back, err := results.Read(path)
		if err != nil {
			t.Fatal(err)
		}
		if back.Shape != want {
			t.Errorf("shape read back %+v, want %+v", back.Shape, want)
		}
	})
}
