package peers

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// producerTotalRE matches the final line of ProducerPerformance, e.g.
//
//	300000 records sent, 98231.8 records/sec (95.93 MB/sec), 150.23 ms avg latency,
//	600.00 ms max latency, 140 ms 50th, 280 ms 95th, 300 ms 99th, 310 ms 99.9th.
//
// Its "MB" is 2^20 bytes. Lines printed every 5 s during the run lack the
// percentiles, so only the total matches.
var producerTotalRE = regexp.MustCompile(`(?m)^(\d+) records sent, ([0-9.]+) records/sec \(([0-9.]+) MB/sec\), ` +
	`[0-9.]+ ms avg latency, [0-9.]+ ms max latency, ([0-9.]+) ms 50th, [0-9.]+ ms 95th, ([0-9.]+) ms 99th, ([0-9.]+) ms 99.9th\.`)

// parseProducerPerf reads the totals ProducerPerformance printed.
func parseProducerPerf(out string) (Sample, error) {
	m := producerTotalRE.FindAllStringSubmatch(out, -1)
	if len(m) == 0 {
		return Sample{}, errors.New("no final 'records sent ... 99.9th.' line in kafka-producer-perf-test's output")
	}
	f := floats(m[len(m)-1][1:])
	return Sample{
		Records: int64(f[0]), RecordsPerSec: f[1], MiBPerSec: f[2],
		Latency: &Latency{P50: f[3], P99: f[4], P999: f[5]},
	}, nil
}

// parseConsumerPerf reads ConsumerPerformance's one line of figures under
// its header. The rates are fetch.nMsg.sec and fetch.MB.sec, which leave
// out the group join (rebalance.time.ms): kbench's consumers have joined
// before anything is produced, so theirs leave it out too.
func parseConsumerPerf(out string) (Sample, error) {
	lines := strings.Split(out, "\n")
	for i, line := range lines {
		if !strings.HasPrefix(line, "start.time, end.time,") || i+1 >= len(lines) {
			continue
		}
		names := splitFields(line)
		values := splitFields(lines[i+1])
		if len(values) != len(names) {
			return Sample{}, fmt.Errorf("kafka-consumer-perf-test printed %d figures under a header of %d", len(values), len(names))
		}
		col := map[string]string{}
		for j, n := range names {
			col[n] = values[j]
		}
		f := floats([]string{col["data.consumed.in.nMsg"], col["fetch.nMsg.sec"], col["fetch.MB.sec"]})
		if f == nil {
			return Sample{}, fmt.Errorf("kafka-consumer-perf-test's figures are not numbers: %q", lines[i+1])
		}
		return Sample{Records: int64(f[0]), RecordsPerSec: f[1], MiBPerSec: f[2]}, nil
	}
	return Sample{}, errors.New("no 'start.time, end.time, ...' header in kafka-consumer-perf-test's output")
}

func splitFields(line string) []string {
	fs := strings.Split(strings.TrimSpace(line), ",")
	for i := range fs {
		fs[i] = strings.TrimSpace(fs[i])
	}
	return fs
}

// floats parses every string, or returns nil if one is not a number.
func floats(ss []string) []float64 {
	out := make([]float64, len(ss))
	for i, s := range ss {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil
		}
		out[i] = v
	}
	return out
}
