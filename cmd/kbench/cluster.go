package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/pflag"

	"github.com/kbench/kbench/cluster"
	"github.com/kbench/kbench/cluster/local"
	"github.com/kbench/kbench/drivers/all"
	"github.com/kbench/kbench/profiles"
)

const clusterExamples = `  # start a 3-node Apache Kafka cluster on 127.0.0.1 and keep it running
  kbench cluster up
  # a 5-node cluster with the durable profile's broker settings
  kbench cluster up --nodes 5 --profile durable
  # a cluster whose clients log in with SCRAM-SHA-512 over TLS, and its
  # ready client properties file
  kbench cluster up --security sasl_ssl
  kbench cluster status
  # its bootstrap addresses, for other tools
  kbench cluster bootstrap
  # stop it (also cleans up after a kbench that crashed)
  kbench cluster down
`

func clusterCmd() (*pflag.FlagSet, func(ctx context.Context) error) {
	fs := newFlags("cluster", "cluster up|status|bootstrap|down [flags]", clusterExamples)
	var (
		dir      string
		nodes    int
		heapMB   int
		basePort int
		profs    []string
		security string
	)
	fs.StringVar(&dir, "dir", "", "state directory of the cluster (default: a directory in kbench's cache)")
	fs.IntVar(&nodes, "nodes", 3, "up: number of nodes, each a broker and a controller")
	fs.IntVar(&heapMB, "heap", 512, "up: Java heap of each broker, MiB")
	fs.IntVar(&basePort, "base-port", 0, "up: first port (clients on base+i, controllers after them); 0 picks free ports")
	fs.StringSliceVar(&profs, "profile", nil, "up: tuning profiles whose broker settings the brokers start with")
	fs.StringVar(&security, "security", "", "up: secure the client listener: sasl_ssl (SCRAM-SHA-512 over TLS) or mtls (client certificates); kbench makes the CA and certificates")
	completeWith(fs, "profile", true, profiles.TuningNames()...)
	completeWith(fs, "security", false, string(cluster.SecuritySASLSSL), string(cluster.SecurityMTLS))
	return fs, func(ctx context.Context) error {
		if fs.NArg() != 1 {
			fs.SetOutput(os.Stderr)
			fs.Usage()
			return usagef("want one of %s", strings.Join(clusterSubcommands, ", "))
		}
		if dir == "" {
			d, err := local.DefaultDir()
			if err != nil {
				return err
			}
			dir = d
		}
		// The cluster checks its brokers with franz-go's admin client; this
		// command has no --driver.
		admin := all.ProbeAdmin
		switch fs.Arg(0) {
		case "up":
			if nodes < 1 {
				return usagef("--nodes %d: a cluster needs at least 1 node", nodes)
			}
			tuning, err := loadTuning(profs)
			if err != nil {
				return err
			}
			l, err := local.Start(ctx, local.Config{
				Dir: dir, Nodes: nodes, HeapMB: heapMB, BasePort: basePort,
				BrokerProps: tuning.Broker, Log: os.Stderr, Detached: true, Admin: admin,
				Security: cluster.Security(security),
			})
			if err != nil {
				return err
			}
			printStatus(l.Status(ctx))
			fmt.Printf("bootstrap: %s\n", strings.Join(l.Bootstrap(), ","))
			if path := l.ClientConfigPath(); path != "" {
				fmt.Printf("client properties: %s\n", path)
			}
			return nil
		case "status":
			l, err := local.Open(dir, admin)
			if err != nil {
				return noCluster(err)
			}
			defer l.Close()
			st := l.Status(ctx)
			printStatus(st)
			if !local.AllUp(st) {
				return fmt.Errorf("not every node is up")
			}
			return nil
		case "bootstrap":
			l, err := local.Open(dir, admin)
			if err != nil {
				return noCluster(err)
			}
			fmt.Println(strings.Join(l.Bootstrap(), ","))
			return nil
		case "down":
			for _, d := range local.CleanRuns(ctx, dir) {
				fmt.Printf("removed the data of a killed run's cluster in %s (its logs are kept)\n", d)
			}
			l, err := local.Open(dir, admin)
			if err != nil {
				// No readable state: still kill whatever pid files name.
				pids, lerr := local.StopLeftover(dir)
				if lerr != nil {
					return noCluster(err)
				}
				fmt.Printf("stopped %d leftover broker process(es)\n", len(pids))
				return nil
			}
			if err := l.Down(ctx); err != nil {
				return err
			}
			fmt.Println("local cluster stopped")
			return nil
		}
		return usagef("unknown cluster command %q: want one of %s", fs.Arg(0), strings.Join(clusterSubcommands, ", "))
	}
}

// clusterSubcommands are what 'kbench cluster' does.
var clusterSubcommands = []string{"up", "status", "bootstrap", "down"}

func printStatus(st []local.NodeStatus) {
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tADDRESS\tCONTROLLER\tPID\tSTATE\tREGISTERED")
	for _, n := range st {
		state := "down"
		switch {
		case n.Paused:
			state = "paused"
		case n.Up:
			state = "up"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\t%v\n", n.ID, n.Address, n.Controller, n.PID, state, n.Registered)
	}
	tw.Flush()
}

// noCluster adds to local.Open's error how to get a cluster.
func noCluster(err error) error {
	if errors.Is(err, local.ErrNoCluster) {
		return fmt.Errorf("%w; start one with 'kbench cluster up'", err)
	}
	return err
}
