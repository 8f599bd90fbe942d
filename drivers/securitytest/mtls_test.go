// Package securitytest checks every driver against a local cluster whose
// client listener requires client certificates (mutual TLS).
package securitytest

import (
	"context"
	"fmt"
	"maps"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kbench/kbench/cluster"
	"github.com/kbench/kbench/cluster/clustertest"
	"github.com/kbench/kbench/cluster/local"
	"github.com/kbench/kbench/drivers"
	"github.com/kbench/kbench/drivers/all"
)

// mtls is the package's cluster, started by TestMain when KBENCH_LOCAL_DIR
// says Apache Kafka can run here; nil otherwise.
var mtls *local.Cluster

func TestMain(m *testing.M) {
	os.Exit(clustertest.Main(m, "mTLS", local.Config{Security: cluster.SecurityMTLS},
		func(l *local.Cluster) { mtls = l }))
}

func TestMutualTLS(t *testing.T) {
	if mtls == nil {
		t.Skip("no Apache Kafka here: set KBENCH_LOCAL_DIR (make test does)")
	}
	props := mtls.ClientProps()
	if props["ssl.keystore.location"] == "" || props["security.protocol"] != "SSL" {
		t.Fatalf("the cluster's client properties do not carry a client certificate: %v", props)
	}
	for _, name := range all.Names() {
		d, err := all.Get(name)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(name, func(t *testing.T) { produceConsume(t, d, props) })
		t.Run(name+"/without a certificate", func(t *testing.T) {
			noCert := maps.Clone(props)
			delete(noCert, "ssl.keystore.location")
			delete(noCert, "ssl.keystore.type")
			adm, err := d.NewAdmin(context.Background(), drivers.AdminConfig{Bootstrap: mtls.Bootstrap(), Props: noCert})
			if err != nil {
				t.Fatal(err)
			}
			defer adm.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if _, err := adm.Brokers(ctx); err == nil {
				t.Error("a client without a certificate was let in")
			} else {
				t.Logf("refused as it should be: %v", err)
			}
		})
	}
}

// produceConsume writes records through d with props and reads every one
// back.
func produceConsume(t *testing.T, d drivers.Driver, props map[string]string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	adm, err := d.NewAdmin(ctx, drivers.AdminConfig{Bootstrap: mtls.Bootstrap(), Props: props})
	if err != nil {
		t.Fatal(err)
	}
	defer adm.Close()
	topic := fmt.Sprintf("mtls-%s-%d", d.Name(), time.Now().UnixNano())
	if err := adm.CreateTopic(ctx, drivers.TopicSpec{Name: topic, Partitions: 2, ReplicationFactor: 3}); err != nil {
		t.Fatal(err)
	}
	defer adm.DeleteTopic(context.Background(), topic)

	p, err := d.NewProducer(ctx, drivers.ProducerConfig{Bootstrap: mtls.Bootstrap(), Props: props})
	if err != nil {
		t.Fatal(err)
	}
	const n = 200
	errs := make(chan error, n)
	for i := range n {
		p.Produce(ctx, &drivers.Record{Topic: topic, Partition: -1, Value: []byte(fmt.Sprint(i))},
			func(_ int32, _ int64, err error) { errs <- err })
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatalf("produce: %v", err)
		}
	}
	p.Close()

	c, err := d.NewConsumer(ctx, drivers.ConsumerConfig{Bootstrap: mtls.Bootstrap(), Group: topic, Topics: []string{topic}, Props: props})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	seen := map[string]bool{}
	for len(seen) < n {
		err := c.Poll(ctx, func(m *drivers.Message) { seen[string(m.Value)] = true })
		if err != nil && !strings.Contains(err.Error(), "context") {
			t.Fatalf("poll: %v", err)
		}
		if ctx.Err() != nil {
			t.Fatalf("read %d of %d records", len(seen), n)
		}
	}
}
