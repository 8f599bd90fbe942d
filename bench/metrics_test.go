package bench

import (
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kbench/kbench/bench/live"
	"github.com/kbench/kbench/cluster"
	"github.com/kbench/kbench/drivers"
	"github.com/kbench/kbench/drivers/franz"
)

// /metrics, served during a run, ends with the counts of the result.
func TestMetricsEqualResult(t *testing.T) {
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

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m := live.New("metrics-test", 0)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	serveCtx, stopServing := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- live.Serve(serveCtx, ln, m) }()

	w := smallWorkload(5000)
	w.PartitionsPerTopic, w.ProducersPerTopic = 3, 2
	res, err := Run(ctx, Config{Workload: mustResolve(t, w), Driver: franz.Driver{}, Target: c, Admin: admin,
		RunID: "metrics-test", Metrics: m})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get("http://" + ln.Addr().String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	stopServing()
	if err := <-served; err != nil {
		t.Error(err)
	}

	var sent int64
	for _, iv := range res.Intervals {
		sent += iv.Sent
	}
	s := res.Summary
	for name, want := range map[string]int64{
		"kbench_produced_messages_total":     sent,
		"kbench_acknowledged_messages_total": s.ProducedMessages,
		"kbench_acknowledged_bytes_total":    s.ProducedBytes,
		"kbench_consumed_messages_total":     s.ConsumedMessages,
		"kbench_consumed_bytes_total":        s.ConsumedBytes,
		// every acknowledgement's latency, warm-up included
		"kbench_publish_latency_seconds_count": s.ProducedMessages,
	} {
		line := name + `{run_id="metrics-test",shard="0"} ` + strconv.FormatInt(want, 10) + "\n"
		if !strings.Contains(string(body), line) {
			t.Errorf("/metrics lacks %q", line)
		}
	}
	if s.ProducedMessages != 5000 || s.ConsumedMessages != 5000 {
		t.Errorf("produced %d, consumed %d; want 5000", s.ProducedMessages, s.ConsumedMessages)
	}
}
