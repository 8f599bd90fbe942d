package local

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kbench/kbench/internal/poll"
)

// pollEvery is how often readiness is checked.
const pollEvery = 500 * time.Millisecond

// WaitReady waits until every node's process is running and the cluster's
// metadata lists every broker, or ctx is done. If a node's process has
// exited, it fails at once; otherwise the error names the brokers still
// missing and carries the tail of their logs.
func (l *Cluster) WaitReady(ctx context.Context) error {
	return l.waitUntil(ctx, func(ctx context.Context) (missing []int32, err error) {
		return l.unregistered(ctx)
	})
}

// WaitInSync waits until the cluster is ready (see WaitReady) and every
// partition of each topic has a leader and its full replica set in sync,
// as after a failed broker has caught up again.
func (l *Cluster) WaitInSync(ctx context.Context, topics ...string) error {
	return l.waitUntil(ctx, func(ctx context.Context) ([]int32, error) {
		missing, err := l.unregistered(ctx)
		if err != nil || len(missing) > 0 {
			return missing, err
		}
		adm, err := l.adminClient(ctx)
		if err != nil {
			return nil, err
		}
		var lagging []string
		for _, topic := range topics {
			parts, err := adm.Partitions(ctx, topic)
			if err != nil {
				return nil, fmt.Errorf("describing topic %s: %w", topic, err)
			}
			if len(parts) == 0 {
				return nil, fmt.Errorf("topic %s has no partitions yet", topic)
			}
			for _, p := range parts {
				if p.Leader < 0 || len(p.ISR) < len(p.Replicas) {
					lagging = append(lagging, fmt.Sprintf("%s-%d (leader %d, replicas %v, isr %v)",
						p.Topic, p.Partition, p.Leader, p.Replicas, p.ISR))
				}
			}
		}
		if len(lagging) > 0 {
			return nil, fmt.Errorf("partitions not fully in sync: %s", strings.Join(lagging, ", "))
		}
		return nil, nil
	})
}

// unregistered returns the brokers that do not yet serve requests, each
// asked on its own, or that the cluster's metadata does not list.
func (l *Cluster) unregistered(ctx context.Context) ([]int32, error) {
	ids := l.BrokerIDs()
	var missing []int32
	var errs []error
	for _, id := range ids {
		listed, err := l.answers(ctx, id)
		if err != nil {
			errs = append(errs, err)
			missing = append(missing, id)
			continue
		}
		for _, want := range ids {
			if !slices.Contains(listed, want) && !slices.Contains(missing, want) {
				missing = append(missing, want)
			}
		}
	}
	slices.Sort(missing)
	return slices.Compact(missing), errors.Join(errs...)
}

// answers asks broker id alone for the cluster's brokers. A restarted
// broker's port accepts connections well before it serves requests, and
// the others' metadata may still list it from before it died, so only
// its own answer shows it is back.
func (l *Cluster) answers(ctx context.Context, id int32) ([]int32, error) {
	port, err := l.clientPort(id)
	if err != nil {
		return nil, err
	}
	// A fresh client, so the request goes to this broker and no other.
	adm, err := l.connect(ctx, []string{addr(port)})
	if err != nil {
		return nil, fmt.Errorf("broker %d: %w", id, err)
	}
	defer adm.Close()
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	brokers, err := adm.Brokers(ctx)
	if err != nil {
		return nil, fmt.Errorf("broker %d at %s: %w", id, addr(port), err)
	}
	var ids []int32
	for _, b := range brokers {
		ids = append(ids, b.ID)
	}
	return ids, nil
}

// waitUntil polls check until it reports no missing broker and no error,
// failing at once if a node's process is gone.
func (l *Cluster) waitUntil(ctx context.Context, check func(context.Context) ([]int32, error)) error {
	var missing []int32
	var last error
	start := time.Now()
	err := poll.Until(ctx, pollEvery, func(ctx context.Context) (bool, error) {
		for _, id := range l.BrokerIDs() {
			if err := l.checkAlive(id); err != nil {
				return false, err
			}
		}
		missing, last = check(ctx)
		return last == nil && len(missing) == 0, nil
	})
	if err != nil && err == ctx.Err() {
		return l.notReady(time.Since(start), err, missing, last)
	}
	return err
}

// notReady builds the error of a readiness wait that ran out of time.
func (l *Cluster) notReady(waited time.Duration, cause error, missing []int32, last error) error {
	var b strings.Builder
	if last != nil {
		fmt.Fprintf(&b, "last check: %v", last)
	}
	if len(missing) > 0 {
		if b.Len() > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "brokers %v not registered", missing)
	}
	tails := missing
	if len(tails) == 0 && last != nil {
		// Nothing answered at all: the first node's log says the most.
		tails = l.BrokerIDs()[:1]
	}
	for _, id := range tails {
		fmt.Fprintf(&b, "\n%s", l.logTail(id))
	}
	return fmt.Errorf("not ready after %v (%w): %s", waited.Round(time.Second), cause, b.String())
}
