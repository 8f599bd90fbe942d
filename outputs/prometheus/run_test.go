package prometheus

import (
	"context"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kbench/kbench/bench"
	"github.com/kbench/kbench/cluster"
	"github.com/kbench/kbench/drivers"
	"github.com/kbench/kbench/drivers/franz"
	"github.com/kbench/kbench/workload"
)

// /metrics, scraped after a paced run has returned and while the server
// lingers, ends with the counts of the result, send lag included, and
// that scrape ends the linger.
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
	m := New("metrics-test", 0)
	srv, err := Serve(ln, m)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// Paced (5000 msgs/s), so every send has a send lag.
	w := &workload.Workload{Topics: 1, PartitionsPerTopic: 3, MessageSize: 100, ProducersPerTopic: 2,
		SubscriptionsPerTopic: 1, Messages: 5000, ProducerRate: 5000, Duration: workload.Duration(time.Minute), MaxInFlight: 100}
	if err := w.Resolve(); err != nil {
		t.Fatal(err)
	}
	res, err := bench.Run(ctx, bench.Config{Workload: w, Driver: franz.Driver{}, Target: c, Admin: admin,
		RunID: "metrics-test", Outputs: []bench.Output{m}})
	if err != nil {
		t.Fatal(err)
	}
	closed := make(chan error, 1)
	go func() { closed <- srv.Close(ctx, time.Minute) }()
	// Scrape until the server closes: a scrape begun after Close was
	// called ends the linger.
	var body string
	start := time.Now()
scrape:
	for {
		select {
		case err := <-closed:
			if err != nil {
				t.Error(err)
			}
			break scrape
		default:
		}
		if resp, err := http.Get("http://" + ln.Addr().String() + "/metrics"); err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			body = string(b)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("the server closed %s after the run, not at the scrape", d)
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
		if !strings.Contains(body, line) {
			t.Errorf("/metrics lacks %q", line)
		}
	}
	lag := regexp.MustCompile(`kbench_send_lag_seconds_count\{run_id="metrics-test",shard="0"\} (\d+)\n`).FindStringSubmatch(body)
	if lag == nil || lag[1] == "0" {
		t.Errorf("no send lag served after a paced run: %q", lag)
	}
	if s.ProducedMessages != 5000 || s.ConsumedMessages != 5000 {
		t.Errorf("produced %d, consumed %d; want 5000", s.ProducedMessages, s.ConsumedMessages)
	}
}
