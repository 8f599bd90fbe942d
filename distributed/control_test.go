package distributed

import (
	"context"
	"maps"
	"strings"
	"sync"
	"testing"

	"github.com/kbench/kbench/bench"
	"github.com/kbench/kbench/cluster"
	"github.com/kbench/kbench/drivers"
	"github.com/kbench/kbench/drivers/franz"
	"github.com/kbench/kbench/results"
	"github.com/kbench/kbench/workload"
)

// recordingDriver is the franz driver, keeping the configuration of every
// client made with it; the clients it makes connect without the security
// settings, which the embedded cluster does not speak.
type recordingDriver struct {
	franz.Driver
	mu        sync.Mutex
	producers []drivers.ProducerConfig
	consumers []drivers.ConsumerConfig
}

// plain drops the security settings from props.
func plain(props map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range props {
		if !strings.HasPrefix(k, "security.") && !strings.HasPrefix(k, "sasl.") && !strings.HasPrefix(k, "ssl.") {
			out[k] = v
		}
	}
	return out
}

func (d *recordingDriver) NewProducer(ctx context.Context, cfg drivers.ProducerConfig) (drivers.Producer, error) {
	d.mu.Lock()
	d.producers = append(d.producers, cfg)
	d.mu.Unlock()
	cfg.Props = plain(cfg.Props)
	return d.Driver.NewProducer(ctx, cfg)
}

func (d *recordingDriver) NewConsumer(ctx context.Context, cfg drivers.ConsumerConfig) (drivers.Consumer, error) {
	d.mu.Lock()
	d.consumers = append(d.consumers, cfg)
	d.mu.Unlock()
	cfg.Props = plain(cfg.Props)
	return d.Driver.NewConsumer(ctx, cfg)
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
	c, err := cluster.StartEmbedded(1)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	admin, err := franz.Driver{}.NewAdmin(context.Background(), drivers.AdminConfig{Bootstrap: c.Bootstrap()})
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	{
		w := smallWorkload(200)
		w.KeepTopics = true
		w.Producer, w.Consumer = maps.Clone(secured), maps.Clone(secured)
		w.Producer["max.request.size"] = "100000"
		drv := &recordingDriver{}
		cfg := bench.Config{Workload: mustResolve(t, w), Driver: drv, Target: c, Admin: admin, RunID: "secured-1", Host: results.Host{Hostname: "h"}}
		out, err := Run(context.Background(), cfg, Shard{Count: 1})
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
				if p.Props["linger.ms"] != "0" {
					t.Errorf("control producer %s lingers (linger.ms %q): its clock pings would wait for it", p.ClientID, p.Props["linger.ms"])
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
	}
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
