package telemetry

import (
	"context"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kbench/kbench/results"
)

// An excerpt of what a broker's JMX exporter (the example Kafka rules)
// and node_exporter serve.
const exposition = `# TYPE process_cpu_seconds_total counter
process_cpu_seconds_total 12.5
process_resident_memory_bytes 4.194304e+08
jvm_gc_collection_seconds_sum{gc="G1 Young Generation"} 1.5
jvm_gc_collection_seconds_sum{gc="G1 Old Generation"} 0.5
kafka_server_brokertopicmetrics_bytesin_total 1000
kafka_server_kafkarequesthandlerpool_requesthandleravgidle_percent 0.93
kafka_network_socketserver_networkprocessoravgidle_percent 0.8
kafka_network_requestmetrics_totaltimems{request="Produce",quantile="0.99"} 42
kafka_network_requestmetrics_totaltimems{request="Produce",quantile="0.50"} 3
kafka_network_requestmetrics_totaltimems{request="FetchConsumer",quantile="0.99"} 500
kafka_server_replicamanager_underreplicatedpartitions 2
kafka_log_log_size{topic="a",partition="0"} 100
kafka_log_log_size{topic="a",partition="1"} 50
node_cpu_seconds_total{cpu="0",mode="idle"} 100
node_cpu_seconds_total{cpu="0",mode="user"} 30
node_cpu_seconds_total{cpu="1",mode="idle"} 90
node_cpu_seconds_total{cpu="1",mode="system"} 10
node_disk_io_time_seconds_total{device="sda"} 5
node_disk_io_time_seconds_total{device="sdb"} 1
node_network_receive_bytes_total{device="lo"} 999999
node_network_receive_bytes_total{device="eth0"} 2000
some_other_metric 7
`

// Parse reads each figure through the table: labels selected, series
// added up, the busiest disk kept apart, CPUs counted, scales applied.
func TestParse(t *testing.T) {
	r := NewReading(1, time.Unix(0, 0))
	if err := r.Parse(strings.NewReader(exposition)); err != nil {
		t.Fatal(err)
	}
	gauges := map[results.Metric]float64{
		results.RSSMiB:               400,
		results.RequestHandlerIdle:   0.93,
		results.NetworkProcessorIdle: 0.8,
		results.ProduceTotalP99Ms:    42,
		results.FetchTotalP99Ms:      500,
		results.UnderReplicated:      2,
		results.LogDirBytes:          150,
		results.HostCPUs:             2,
	}
	for m, want := range gauges {
		if got, ok := r.Gauges[m]; !ok || got != want {
			t.Errorf("%s = %v (present %v), want %v", m, got, ok, want)
		}
	}
	sums := map[results.Metric]float64{
		results.CPUCores:     12.5,
		results.GCMsPerS:     2000,
		results.BytesInPerS:  1000,
		results.HostCPUCores: 40, // user and system, not idle
		results.NetRxBps:     2000,
	}
	for m, want := range sums {
		got := 0.0
		for _, v := range r.Counters[m] {
			got += v
		}
		if got != want {
			t.Errorf("%s's series add up to %v, want %v", m, got, want)
		}
	}
	if len(r.Counters[results.DiskBusy]) != 2 {
		t.Errorf("disk busy series %v: want one per disk", r.Counters[results.DiskBusy])
	}
	if _, ok := r.Gauges[results.UnderMinISR]; ok {
		t.Error("a figure the endpoint does not serve is present")
	}
}

// The request handlers' idle counter wins over the example rules' gauge,
// whichever comes first in the text.
func TestParseFirstRowWins(t *testing.T) {
	r := NewReading(1, time.Unix(0, 0))
	text := "kafka_server_kafkarequesthandlerpool_requesthandleravgidle_percent 0.5\n" +
		"kafka_server_kafkarequesthandlerpool_requesthandleravgidlepercent_total 3e9\n"
	if err := r.Parse(strings.NewReader(text)); err != nil {
		t.Fatal(err)
	}
	if _, ok := r.Gauges[results.RequestHandlerIdle]; ok {
		t.Error("the gauge was kept beside the counter")
	}
	if len(r.Counters[results.RequestHandlerIdle]) != 1 {
		t.Errorf("counter series %v", r.Counters[results.RequestHandlerIdle])
	}
}

// Counters become rates over the time between readings (the busiest
// series for disks), gauges stay, a reset counter has no figure, and the
// first reading is only a baseline.
func TestSeries(t *testing.T) {
	t0 := time.Unix(1000, 0)
	read := func(at time.Duration, cpu, disk1, disk2, urp float64) Reading {
		r := NewReading(1, t0.Add(at))
		r.SetCounter(results.CPUCores, cpu)
		r.Counters[results.DiskBusy] = map[string]float64{"a": disk1, "b": disk2}
		r.Gauges[results.UnderReplicated] = urp
		return r
	}
	s := NewSeries()
	s.Add(-1, 0, false, []Reading{read(0, 10, 0, 0, 0)})
	s.Add(0, 2, true, []Reading{read(2*time.Second, 13, 1.8, 0.4, 1)})
	s.Add(2, 4, false, []Reading{read(4*time.Second, 2, 2.0, 1.0, 0)}) // restarted: CPU reset
	ivs := s.Intervals()
	if len(ivs) != 2 {
		t.Fatalf("%d intervals, want 2 (the baseline is none)", len(ivs))
	}
	if v := ivs[0].Values; v[results.CPUCores] != 1.5 || math.Abs(v[results.DiskBusy]-0.9) > 1e-9 || v[results.UnderReplicated] != 1 || !ivs[0].Warmup {
		t.Errorf("first interval %+v: want 1.5 cores, disk 0.9 busy, 1 under-replicated, warm-up", ivs[0])
	}
	if _, ok := ivs[1].Values[results.CPUCores]; ok {
		t.Errorf("a reset counter has a figure: %v", ivs[1].Values)
	}
	if math.Abs(ivs[1].Values[results.DiskBusy]-0.3) > 1e-9 {
		t.Errorf("disk busy %v, want the busiest disk's 0.3", ivs[1].Values[results.DiskBusy])
	}

	sum := Summarize(ivs, 10)
	if len(sum) != 1 || sum[0].Intervals != 1 {
		t.Fatalf("summary %+v: want broker 1 over its one measured interval", sum)
	}
	if st := sum[0].Stats[results.UnderReplicated]; st.Max != 0 {
		t.Errorf("the warm-up's figures were summarised: %+v", st)
	}
}

// Summarize's means, extremes and totals.
func TestSummarize(t *testing.T) {
	ivs := []results.BrokerInterval{
		{Broker: 2, Start: 0, End: 1, Values: map[results.Metric]float64{results.BytesInPerS: 100, results.RequestHandlerIdle: 0.5}},
		{Broker: 2, Start: 1, End: 3, Values: map[results.Metric]float64{results.BytesInPerS: 200, results.RequestHandlerIdle: 0.1}},
		{Broker: 2, Start: 3, End: 4, Values: map[results.Metric]float64{results.BytesInPerS: 999}}, // after the producers
	}
	sum := Summarize(ivs, 3)
	b := sum[0].Stats[results.BytesInPerS]
	if b.Mean != 150 || b.Min != 100 || b.Max != 200 || b.Total != 500 {
		t.Errorf("bytes in %+v: want mean 150, min 100, max 200, total 500", b)
	}
	if idle := sum[0].Stats[results.RequestHandlerIdle]; idle.Total != 0 || idle.Min != 0.1 {
		t.Errorf("idle %+v: a share has no total", idle)
	}
}

// The scraper groups endpoints by host, names hosts after the brokers
// listening there, and turns a dead endpoint into an error in the
// reading, never a failure.
func TestScraper(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("process_cpu_seconds_total 3\n"))
	}))
	defer srv.Close()
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	sc, err := NewScraper([]string{srv.URL + "/metrics", dead.URL + "/metrics"}, []results.Node{{ID: 7, Address: "127.0.0.1:9092"}})
	if err != nil {
		t.Fatal(err)
	}
	rs := sc.ReadMetrics(context.Background())
	if len(rs) != 1 || rs[0].Broker != 7 || rs[0].Host != "127.0.0.1" {
		t.Fatalf("readings %+v: want one, of broker 7 on 127.0.0.1", rs)
	}
	if rs[0].Err == nil || rs[0].Counters[results.CPUCores] == nil {
		t.Errorf("reading %+v: want the live endpoint's figures and the dead one's error", rs[0])
	}
	if _, err := NewScraper([]string{"localhost:9100"}, nil); err == nil {
		t.Error("an address without a scheme was taken")
	}
}

// /proc gives this process's CPU and memory, and the machine's CPU.
func TestReadProcess(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	r := NewReading(0, time.Now())
	if err := r.ReadProcess(os.Getpid()); err != nil {
		t.Logf("partly read: %v", err) // /proc/PID/io may be closed to us
	}
	if r.Counters[results.CPUCores] == nil || r.Gauges[results.RSSMiB] <= 0 {
		t.Errorf("reading %+v: want CPU time and resident memory", r)
	}
	if busy, err := HostCPU(); err != nil || busy <= 0 {
		t.Errorf("HostCPU = %v, %v", busy, err)
	}
}

// DirSize counts what files take, not what they claim: a sparse file of
// 10 MB (as Kafka preallocates an index) takes next to nothing.
func TestDirSize(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.log"), make([]byte, 8192), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(dir, "a.index"))
	if err != nil {
		t.Fatal(err)
	}
	f.Truncate(10 << 20)
	f.Close()
	n, err := DirSize(dir)
	if err != nil || n < 8192 || n > 1<<20 {
		t.Errorf("DirSize = %d, %v: want about 8 KiB", n, err)
	}
}

// Every metric name of the table is in docs/results.md, and every figure
// it gives has a row there.
func TestTableDocumented(t *testing.T) {
	doc, err := os.ReadFile("../docs/results.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range table {
		if !strings.Contains(string(doc), "`"+m.name+"`") {
			t.Errorf("docs/results.md does not list %s", m.name)
		}
		if !strings.Contains(string(doc), "`"+string(m.metric)+"`") {
			t.Errorf("docs/results.md does not list %s", m.metric)
		}
	}
}
