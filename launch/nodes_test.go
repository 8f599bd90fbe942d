package launch

import (
	"errors"
	"slices"
	"testing"

	"github.com/kbench/kbench/results"
	"github.com/kbench/kbench/workload"
)

func TestFitNodes(t *testing.T) {
	for _, tc := range []struct {
		rf, isr, nodes  int
		wantRF, wantISR int
		changed         bool
	}{
		{rf: 3, isr: 2, nodes: 1, wantRF: 1, wantISR: 1, changed: true}, // one node holds one replica
		{rf: 3, isr: 2, nodes: 2, wantRF: 2, wantISR: 2, changed: true}, // min ISR already fits
		{rf: 3, isr: 2, nodes: 5, wantRF: 3, wantISR: 2},                // nothing to fit
	} {
		w := &workload.Workload{ReplicationFactor: tc.rf, TopicConfig: map[string]string{"min.insync.replicas": "2"}}
		note := FitNodes(w, tc.nodes)
		if w.ReplicationFactor != tc.wantRF || w.TopicConfig["min.insync.replicas"] != string(rune('0'+tc.wantISR)) || (note != "") != tc.changed {
			t.Errorf("%d nodes: replication %d, min ISR %s, note %q", tc.nodes, w.ReplicationFactor, w.TopicConfig["min.insync.replicas"], note)
		}
	}
}

// The node count is the cluster's: it never reaches the workload.
func TestPointInputsLeavesNodes(t *testing.T) {
	p := results.SweepPoint{Params: results.Params{{Key: results.NodesParam, Value: "3"}, {Key: "acks", Value: "1"}}}
	if _, sets := PointInputs(nil, p); !slices.Equal(sets, []string{"acks=1"}) || p.Nodes() != 3 {
		t.Errorf("sets %v, nodes %d", sets, p.Nodes())
	}
}

func TestNodeSweepRefusesExternal(t *testing.T) {
	ns := NodeSweep{Spec: TargetSpec{Bootstrap: []string{"kafka:9092"}}}
	if err := ns.CheckNodes(); !errors.Is(err, ErrBadInput) {
		t.Errorf("external: %v", err)
	}
	ns.Spec = TargetSpec{Kind: results.KindEmbedded}
	if err := ns.CheckNodes(); err != nil {
		t.Errorf("embedded: %v", err)
	}
}
