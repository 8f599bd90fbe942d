// Command peers runs the peers benchmark: Apache Kafka's
// kafka-producer-perf-test and kafka-consumer-perf-test against kbench with
// each driver, on one cluster (see internal/peers, its library). 'make
// bench-peers' starts a local cluster for it.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"github.com/kbench/kbench/cmd/peers/internal/peers"
	"github.com/kbench/kbench/drivers"
	"github.com/kbench/kbench/drivers/all"
	"github.com/kbench/kbench/internal/atomicfile"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:])
	stop()
	switch {
	case err == nil, errors.Is(err, pflag.ErrHelp):
	default:
		fmt.Fprintf(os.Stderr, "peers: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	s := peers.DefaultSettings()
	var (
		bootstrap, kbench, dir string
		driverNames            []string
		cfg                    = peers.Config{Settings: s, Log: os.Stderr}
	)
	fs := pflag.NewFlagSet("peers", pflag.ContinueOnError)
	fs.SortFlags = false
	fs.StringVar(&bootstrap, "bootstrap", "", "bootstrap addresses of the cluster, comma-separated (required)")
	fs.StringVar(&kbench, "kbench", "", "kbench binary to run (default: kbench beside this program)")
	fs.StringSliceVar(&driverNames, "drivers", all.Names(), "kbench drivers to run")
	fs.IntVar(&cfg.Repeats, "repeats", 3, "runs of each tool in each phase (at least 3)")
	fs.Float64Var(&cfg.Rate, "rate", 0, "records/s of the fixed-rate phase; 0 = half the slowest tool's unthrottled median")
	fs.BoolVar(&cfg.Consume, "consume", true, "add the consume phase")
	fs.Int64Var(&cfg.Settings.Records, "records", s.Records, "records per run")
	fs.IntVar(&cfg.Settings.RecordSize, "record-size", s.RecordSize, "bytes per record")
	fs.IntVar(&cfg.Settings.Partitions, "partitions", s.Partitions, "partitions of each topic")
	fs.IntVar(&cfg.Settings.ReplicationFactor, "replication-factor", s.ReplicationFactor, "replication factor of each topic")
	fs.StringVar(&cfg.Settings.Acks, "acks", s.Acks, "producer acks")
	fs.IntVar(&cfg.Settings.LingerMs, "linger-ms", s.LingerMs, "producer linger.ms")
	fs.IntVar(&cfg.Settings.BatchSize, "batch-size", s.BatchSize, "producer batch.size, bytes")
	fs.StringVar(&cfg.Settings.Compression, "compression", s.Compression, "producer compression.type")
	fs.Int64Var(&cfg.Settings.BufferMemory, "buffer-memory", s.BufferMemory, "producer buffer.memory, bytes; kbench's in-flight bound holds as many bytes")
	fs.StringVarP(&dir, "output", "o", "", "output directory (default kbench-results/peers-TIME)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if kbench == "" {
		self, err := os.Executable()
		if err != nil {
			return fmt.Errorf("finding kbench: %w; give --kbench", err)
		}
		kbench = filepath.Join(filepath.Dir(self), "kbench")
	}
	if dir == "" {
		dir = filepath.Join("kbench-results", "peers-"+time.Now().Format("20060102-150405"))
	}
	cfg.Bootstrap, cfg.Kbench, cfg.Drivers, cfg.Dir = splitList(bootstrap), kbench, driverNames, dir
	franz, err := all.Get("franz")
	if err != nil {
		return err
	}
	admin, err := franz.NewAdmin(ctx, drivers.AdminConfig{Bootstrap: cfg.Bootstrap})
	if err != nil {
		return fmt.Errorf("admin client for %s: %w", bootstrap, err)
	}
	defer admin.Close()
	cfg.Admin = admin

	rep, runErr := peers.Run(ctx, cfg)
	if rep == nil {
		return runErr
	}
	data, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.Write(filepath.Join(dir, "peers.json"), append(data, '\n'), 0o644); err != nil {
		return err
	}
	var table strings.Builder
	if err := peers.WriteTable(&table, rep); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "peers.txt"), []byte(table.String()), 0o644); err != nil {
		return err
	}
	fmt.Print(table.String())
	fmt.Fprintf(os.Stderr, "peers: report in %s (peers.json, peers.txt)\n", dir)
	return runErr
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
