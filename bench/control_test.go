package bench

import (
	"context"
	"maps"
	"strings"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/kbench/kbench/drivers"
	"github.com/kbench/kbench/workload"
)

// recordingDriver is memDriver that keeps the configuration of every
// client made with it.
type recordingDriver struct {
	memDriver
	mu        sync.Mutex
	producers []drivers.ProducerConfig
	consumers []drivers.ConsumerConfig
}

func (d *recordingDriver) NewProducer(ctx context.Context, cfg drivers.ProducerConfig) (drivers.Producer, error) {
	d.mu.Lock()
	d.producers = append(d.producers, cfg)
	d.mu.Unlock()
	return d.memDriver.NewProducer(ctx, cfg)
}

func (d *recordingDriver) NewConsumer(ctx context.Context, cfg drivers.ConsumerConfig) (drivers.Consumer, error) {
	d.mu.Lock()
	d.consumers = append(d.consumers, cfg)
	d.mu.Unlock()
	return d.memDriver.NewConsumer(ctx, cfg)
}

// A secured cluster's settings reach every client of a distributed run:
// its producers and consumers, the control topic's producer and consumer,
// and the consumer CollectShards reads the control topic with. The
// workload's tuning reaches only its own clients: a max.request.size too
// small for a shard's result must not reach the control producer.
func TestControlClientsSecured(t *testing.T) {
	secured := map[string]string{"security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-512",
		"sasl.username": "alice", "sasl.password": "hunter2", "ssl.ca.location": "/etc/kbench/ca.pem"}
	hasSecured := func(props map[string]string) bool {
		for k, v := range secured {
			if props[k] != v {
				return false
			}
		}
		return true
	}
	synctest.Test(t, func(t *testing.T) {
		w := smallWorkload(200)
		w.KeepTopics = true
		w.Producer, w.Consumer = maps.Clone(secured), maps.Clone(secured)
		w.Producer["max.request.size"] = "1000"
		cfg, c := memConfig(mustResolve(t, w))
		drv := &recordingDriver{memDriver: memDriver{c}}
		cfg.Driver, cfg.RunID = drv, "secured-1"
		out, err := RunShard(context.Background(), cfg, Shard{Count: 1})
		if err != nil || out.Merged == nil {
			t.Fatalf("shard: %v, merged %v", err, out.Merged)
		}
		if _, err := CollectShards(context.Background(), drv, cfg.Admin, cfg.Target.Bootstrap(), secured, w.TopicPrefix, cfg.RunID); err != nil {
			t.Fatal(err)
		}
		var control, merge int
		for _, p := range drv.producers {
			if !hasSecured(p.Props) {
				t.Errorf("producer %s: props %v lack the security settings", p.ClientID, p.Props)
			}
			tuned := p.Props["max.request.size"] != ""
			if strings.Contains(p.ClientID, "-control-") {
				control++
				if tuned {
					t.Errorf("control producer %s took the workload's max.request.size", p.ClientID)
				}
			} else if !tuned {
				t.Errorf("producer %s lost the workload's max.request.size", p.ClientID)
			}
		}
		for _, cc := range drv.consumers {
			if !hasSecured(cc.Props) {
				t.Errorf("consumer %s: props %v lack the security settings", cc.ClientID, cc.Props)
			}
			if strings.Contains(cc.ClientID, "-control-") {
				control++
			}
			if strings.HasPrefix(cc.ClientID, "kbench-merge-") {
				merge++
			}
		}
		if control != 2 || merge != 1 || len(drv.producers) < 2 || len(drv.consumers) < 3 {
			t.Errorf("%d control clients (want 2), %d merge readers (want 1), %d producers, %d consumers", control, merge, len(drv.producers), len(drv.consumers))
		}
	})
}

// The workload hash shards compare leaves secrets out, but not settings.
func TestWorkloadHashLeavesSecretsOut(t *testing.T) {
	with := func(k, v string) *workload.Workload {
		w := mustResolve(t, smallWorkload(100))
		w.Producer = map[string]string{"acks": "all", "sasl.username": "alice", "sasl.password": "hunter2"}
		w.Producer[k] = v
		return w
	}
	base := workloadHash(with("acks", "all"))
	if h := workloadHash(with("sasl.password", "another")); h != base {
		t.Errorf("another password changed the hash: %s, %s", h, base)
	}
	if h := workloadHash(with("acks", "1")); h == base {
		t.Error("acks=1 left the hash as it was")
	}
}
