package cluster

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/kbench/kbench/results"
)

// startProxied starts a proxied 3-node cluster for one test, in a temp
// dir, and stops it at the end. Needs Java and the jar cache, so it runs
// only with KBENCH_NET_TESTS=1.
func startProxied(t *testing.T) *Local {
	t.Helper()
	if os.Getenv("KBENCH_NET_TESTS") != "1" {
		t.Skip("KBENCH_NET_TESTS=1 starts a proxied local cluster (needs Java 17+ and Maven)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	l, err := StartLocal(ctx, LocalConfig{Dir: t.TempDir(), Network: results.NetworkProxied, Admin: testAdmin, Log: testWriter{t}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Errorf("stopping the proxied cluster: %v", err)
		}
	})
	return l
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

func TestProxiedCluster(t *testing.T) {
	l := startProxied(t)
	topic := testTopic(t, l)
	t.Log(topic, l.Bootstrap())
}
