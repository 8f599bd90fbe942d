// Command kbench is a load benchmark for Apache Kafka. This package only
// parses flags and wires kbench's library packages together.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/pflag"

	"github.com/kbench/kbench/launch"
	"github.com/kbench/kbench/workload"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// Exit codes.
const (
	exitOK          = 0
	exitFailed      = 1   // the run or command failed
	exitUsage       = 2   // bad flags, workload, profile or cluster spec: nothing ran
	exitInterrupted = 130 // stopped by a signal; results were still written
)

// usageError marks bad input, which exits with exitUsage.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// errInterrupted is returned by a command stopped by a signal after it
// wrote what it had (launch.ErrInterrupted, for the runs launch makes).
var errInterrupted = errors.New("interrupted")

type command struct {
	name    string
	summary string
	// setup makes the command's flags and what it does once they are
	// parsed; shell completion reads the flags alone.
	setup func() (*pflag.FlagSet, func(ctx context.Context) error)
	// words are what the command takes as arguments when not files (the
	// cluster's subcommands), for completion.
	words []string
}

func commands() []command {
	return []command{
		{name: "run", summary: "run a workload against a cluster and write its result", setup: runCmd},
		{name: "sweep", summary: "run a matrix of settings, or search for the highest sustained rate", setup: sweepCmd},
		{name: "plot", summary: "draw charts of results as PNG or SVG", setup: plotCmd},
		{name: "report", summary: "write an HTML or markdown report of results", setup: reportCmd},
		{name: "plan", summary: "brokers needed for a target throughput and p99, fitted from a sweep", setup: planCmd},
		{name: "compare", summary: "judge new results against base results, for CI", setup: compareCmd},
		{name: "export", summary: "write results as CSV, HdrHistogram logs, OMB JSON or Prometheus text", setup: exportCmd},
		{name: "merge", summary: "merge the results of a distributed run's shards", setup: mergeCmd},
		{name: "cluster", summary: "start, inspect or stop a local Apache Kafka cluster", setup: clusterCmd, words: clusterSubcommands},
		{name: "completion", summary: "print a shell completion script (bash, zsh or fish)", setup: completionCmd, words: completionShells},
		{name: "version", summary: "print kbench's version and its client libraries", setup: versionCmd},
	}
}

func main() {
	os.Exit(realMain(os.Args[1:]))
}

func realMain(args []string) int {
	switch {
	case len(args) > 0 && args[0] == "--version":
		args = []string{"version"}
	case len(args) > 1 && args[0] == "help":
		// "kbench help run" is "kbench run --help".
		args = []string{args[1], "--help"}
	}
	if len(args) == 0 {
		printUsage(os.Stderr)
		return exitUsage
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printUsage(os.Stdout)
		return exitOK
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		// The first signal stops the command gracefully (results are
		// written); restoring the default then lets a second one end the
		// process at once.
		stopped := context.AfterFunc(ctx, func() {
			stop()
			fmt.Fprintln(os.Stderr, "kbench: stopping; interrupt again to quit at once")
		})
		defer stopped()
		fs, run := c.setup()
		err := parseFlags(fs, args[1:])
		if err == nil {
			err = run(ctx)
		}
		var ue usageError
		switch {
		case err == nil:
			return exitOK
		case errors.Is(err, pflag.ErrHelp):
			return exitOK
		case errors.Is(err, errInterrupted), errors.Is(err, launch.ErrInterrupted):
			fmt.Fprintln(os.Stderr, "kbench: interrupted; the result holds what was measured until then")
			return exitInterrupted
		case errors.As(err, &ue), errors.Is(err, launch.ErrBadInput), errors.Is(err, workload.ErrBadWorkload):
			fmt.Fprintf(os.Stderr, "kbench %s: %v\n", c.name, err)
			return exitUsage
		default: // launch.FailedError among them
			fmt.Fprintf(os.Stderr, "kbench %s: %v\n", c.name, err)
			return exitFailed
		}
	}
	fmt.Fprintf(os.Stderr, "kbench: unknown command %q\n\n", args[0])
	printUsage(os.Stderr)
	return exitUsage
}

// printUsage prints the list of commands to w: stdout when help was asked
// for, stderr after a usage error.
func printUsage(w io.Writer) {
	fmt.Fprintln(w, "kbench: a load benchmark for Apache Kafka\n\nUsage: kbench COMMAND [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-11s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'kbench help COMMAND' for a command's flags and examples; 'kbench --version' for the version.")
}

// newFlags makes a command's flag set with a usage text that shows
// examples. pflag prints it for --help only (errors are returned), so it
// goes to stdout; a command that prints it after a usage error sets the
// output to stderr first.
func newFlags(name, usage, examples string) *pflag.FlagSet {
	fs := pflag.NewFlagSet("kbench "+name, pflag.ContinueOnError)
	fs.SortFlags = false
	fs.SetOutput(os.Stdout)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: kbench %s\n\nFlags:\n%s\nExamples:\n%s", usage, fs.FlagUsages(), examples)
	}
	return fs
}

// parseFlags parses args, turning a flag error into a usage error.
func parseFlags(fs *pflag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	return nil
}
