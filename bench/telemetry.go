package bench

import (
	"context"
	"fmt"
	"os"
	"sort"
	"time"

	"github.com/kbench/kbench/cluster"
	"github.com/kbench/kbench/results"
	"github.com/kbench/kbench/telemetry"
)

// BrokerMetricsOff is Config.BrokerMetrics's one word that turns broker
// sampling off.
const BrokerMetricsOff = "off"

// sampler reads kbench's own CPU and the brokers' figures once per
// interval, on the collector's boundaries, in a goroutine of its own: a
// slow scrape delays neither the collector nor any message.
type sampler struct {
	t0            time.Time
	warmup, every time.Duration
	src           cluster.MetricsSource // nil: kbench's CPU only
	tel           results.Telemetry
	series        *telemetry.Series
	lastTick      time.Duration
	// cpu is kbench's CPU seconds at lastTick; cpuOK false once it could
	// not be read.
	cpu   float64
	cpuOK bool
	// host is the machine's busy CPU seconds at lastTick, hostOK whether
	// it can be read.
	host   float64
	hostOK bool
	// failed counts each broker's intervals with an error, and keeps the
	// first.
	failed   map[int32]int
	firstErr map[int32]string

	stop, done chan struct{}
}

// checkBrokerMetrics refuses Config.BrokerMetrics that is neither off nor
// endpoint URLs.
func checkBrokerMetrics(urls []string) error {
	if len(urls) == 0 || len(urls) == 1 && urls[0] == BrokerMetricsOff {
		return nil
	}
	_, err := telemetry.NewScraper(urls, nil)
	return err
}

// startSampler starts sampling r's run from its start, r.t0.
func startSampler(r *run) *sampler {
	s := &sampler{t0: r.t0, warmup: r.warmup, every: r.w.Interval.D(), series: telemetry.NewSeries(),
		failed: map[int32]int{}, firstErr: map[int32]string{}, stop: make(chan struct{}), done: make(chan struct{})}
	urls := r.cfg.BrokerMetrics
	src, isSource := r.cfg.Target.(cluster.MetricsSource)
	switch {
	case len(urls) == 1 && urls[0] == BrokerMetricsOff:
		s.tel.Source = "off"
	case r.coord != nil && r.shard != 0:
		// One shard reads the brokers for the whole run: shard 0.
		s.tel.Source = "off"
	case len(urls) > 0:
		sc, err := telemetry.NewScraper(urls, r.cfg.Target.Describe().Nodes)
		if err == nil { // checked before the run
			s.src, s.tel.Source, s.tel.Endpoints = sc, "scrape", urls
		}
	case isSource:
		s.src, s.tel.Source = src, string(r.cfg.Target.Kind())
	default:
		s.tel.Source = "none"
	}
	// Brokers kbench started run beside it, on its cores.
	s.tel.SharedCores = r.cfg.Target.Kind() == results.KindLocal
	s.cpu, s.cpuOK = ownCPU()
	h, err := telemetry.HostCPU()
	s.host, s.hostOK = h, err == nil
	go func() {
		s.read(-1, 0) // the counters' baseline, off the producers' start
		s.loop()
	}()
	return s
}

func ownCPU() (float64, bool) {
	cpu, err := telemetry.ProcessCPU(os.Getpid())
	return cpu, err == nil
}

// loop samples at every multiple of the interval from the run's start,
// at the warm-up's end, and once more when stopped: the collector's
// boundaries.
func (s *sampler) loop() {
	defer close(s.done)
	for k := 1; ; {
		next := time.Duration(k) * s.every
		if s.warmup > s.lastTick && s.warmup < next {
			next = s.warmup
		} else {
			k++
		}
		timer := time.NewTimer(time.Until(s.t0.Add(next)))
		select {
		case <-timer.C:
			s.sample(next)
		case <-s.stop:
			timer.Stop()
			s.sample(time.Since(s.t0))
			return
		}
	}
}

// sample closes the interval ending at end.
func (s *sampler) sample(end time.Duration) {
	if end <= s.lastTick {
		return
	}
	start := s.lastTick
	s.lastTick = end
	d := (end - start).Seconds()
	if cpu, ok := ownCPU(); ok && s.cpuOK {
		ci := results.ClientInterval{Start: start.Seconds(), End: end.Seconds(), CPUCores: (cpu - s.cpu) / d}
		if h, err := telemetry.HostCPU(); err == nil && s.hostOK {
			ci.HostCPUCores = ptr((h - s.host) / d)
			s.host = h
		}
		s.tel.Client = append(s.tel.Client, ci)
		s.cpu = cpu
	} else {
		s.cpuOK = false
	}
	s.read(start.Seconds(), end.Seconds())
}

// read reads the brokers' figures, bounded by the interval, into the
// interval [start, end).
func (s *sampler) read(start, end float64) {
	if s.src == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), max(s.every*8/10, 200*time.Millisecond))
	defer cancel()
	rs := s.src.ReadMetrics(ctx)
	if start >= 0 {
		for _, r := range rs {
			if r.Err != nil {
				if s.failed[r.Broker] == 0 {
					s.firstErr[r.Broker] = r.Err.Error()
				}
				s.failed[r.Broker]++
			}
		}
	}
	s.series.Add(start, end, start < s.warmup.Seconds(), rs)
}

// finish stops sampling and records the telemetry in res, summarised
// over the measurement window (to the producers' end).
func (s *sampler) finish(res *results.Run, produceEnd time.Duration) {
	close(s.stop)
	<-s.done
	until := produceEnd.Seconds()
	tel := s.tel
	tel.Brokers = s.series.Intervals()
	tel.BrokerSummary = telemetry.Summarize(tel.Brokers, until)
	var cores, lengths, host []float64
	for _, c := range tel.Client {
		if c.Start >= s.warmup.Seconds() && c.Start < until {
			cores, lengths = append(cores, c.CPUCores), append(lengths, c.End-c.Start)
			if c.HostCPUCores != nil {
				host = append(host, *c.HostCPUCores)
			}
		}
	}
	tel.ClientCPU = telemetry.SummarizeValues(cores, lengths)
	if len(host) == len(cores) {
		tel.HostCPU = telemetry.SummarizeValues(host, lengths)
	}
	res.Telemetry = &tel

	ids := make([]int32, 0, len(s.failed))
	for id := range s.failed {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	total := map[int32]int{}
	for _, iv := range tel.Brokers {
		total[iv.Broker]++
	}
	for _, id := range ids {
		res.Notes = append(res.Notes, fmt.Sprintf("broker %d's figures were incomplete in %d of %d intervals (a missing figure is unknown, not 0): %s",
			id, s.failed[id], total[id], s.firstErr[id]))
	}
	if tel.Source == "none" && res.Cluster.Kind == results.KindExternal {
		res.Notes = append(res.Notes, "the brokers' figures are unknown: give --broker-metrics URL[,URL...] to scrape the Prometheus endpoints they run (the JMX exporter's, node_exporter's)")
	}
	if tel.SharedCores {
		res.Notes = append(res.Notes, fmt.Sprintf("the brokers ran on this machine beside kbench, sharing its %d CPUs: neither side's CPU is its own, and the run cannot show how throughput scales with brokers", res.Host.CPUs))
	}
}
