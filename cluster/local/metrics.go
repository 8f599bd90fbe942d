package local

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/kbench/kbench/results"
	"github.com/kbench/kbench/telemetry"
)

// jmxRulesFile is the JMX exporter's config, in the cluster's directory.
const jmxRulesFile = "jmx-exporter.yaml"

// agentArgs are the JVM flags that load the JMX exporter agent into node
// n's broker, serving on 127.0.0.1 only; none without an agent.
func (l *Cluster) agentArgs(n localNode) []string {
	if l.st.JMXAgent == "" || n.JMXPort == 0 {
		return nil
	}
	return []string{fmt.Sprintf("-javaagent:%s=127.0.0.1:%d:%s", l.st.JMXAgent, n.JMXPort, filepath.Join(l.dir, jmxRulesFile))}
}

// scrapeClient scrapes the brokers' agents (safe for concurrent use).
var scrapeClient = &http.Client{}

// ReadMetrics reads every broker's figures at once: Kafka's MBeans from
// its JMX exporter agent, its process's CPU, memory and I/O from /proc,
// and its data directory's size. A broker that is down (a fault) has its
// reading's Err say so.
func (l *Cluster) ReadMetrics(ctx context.Context) []telemetry.Reading {
	l.mu.Lock()
	nodes, agent := slices.Clone(l.st.Nodes), l.st.JMXAgent != ""
	l.mu.Unlock()
	out := make([]telemetry.Reading, len(nodes))
	var wg sync.WaitGroup
	for i, n := range nodes {
		wg.Go(func() { out[i] = l.readNode(ctx, n, agent) })
	}
	wg.Wait()
	return out
}

func (l *Cluster) readNode(ctx context.Context, n localNode, agent bool) telemetry.Reading {
	r := telemetry.NewReading(n.ID, time.Now())
	pid, up, err := l.pid(n.ID)
	if err != nil || !up {
		r.Err = fmt.Errorf("broker %d is not running", n.ID)
		return r
	}
	var errs []error
	if n.JMXPort != 0 && agent {
		errs = append(errs, r.Scrape(ctx, scrapeClient, "http://"+addr(n.JMXPort)+"/metrics"))
	} else {
		errs = append(errs, errors.New("no JMX exporter agent: Kafka's own figures are unknown"))
	}
	// Each node is a broker and a controller, and both request handler
	// pools mark Kafka's one aggregate idle meter, each with its share
	// over its own threads: it reads up to 2. The controller's pool,
	// which handles few requests, is taken as idle: 1 is taken off the
	// rate, by taking the elapsed time off the count.
	for k, idle := range r.Counters[results.RequestHandlerIdle] {
		r.Counters[results.RequestHandlerIdle][k] = idle - float64(r.At.UnixNano())/1e9
	}
	// After the scrape, so /proc's figures replace the agent's.
	errs = append(errs, r.ReadProcess(pid))
	if size, err := telemetry.DirSize(l.dataDir(n.ID)); err == nil {
		r.Gauges[results.LogDirBytes] = float64(size)
	} else {
		errs = append(errs, fmt.Errorf("sizing broker %d's log directory: %w", n.ID, err))
	}
	r.Err = errors.Join(errs...)
	return r
}
