package bench

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/kbench/kbench/cluster"
	"github.com/kbench/kbench/drivers"
	"github.com/kbench/kbench/results"
	"github.com/kbench/kbench/workload"
)

// checkFaults refuses, before anything runs, a schedule the target cannot
// carry out: an action it cannot perform, a broker it does not have, or a
// leader move the admin client cannot make.
func checkFaults(w *workload.Workload, t cluster.Target, admin drivers.Admin) error {
	if len(w.Faults) == 0 {
		return nil
	}
	f, ok := t.(cluster.Faulter)
	var p workload.Problems
	for i, spec := range w.Faults {
		path := "faults[" + strconv.Itoa(i) + "]"
		if !ok {
			p.Addf(path+".action", "the %s target cannot inject faults", t.Kind())
			continue
		}
		if err := f.Supports(spec.Action); err != nil {
			p.Addf(path+".action", "%v", err)
		} else if _, ok := admin.(drivers.LeaderMover); !ok && spec.Action == cluster.ActionLeaderMove {
			p.Addf(path+".action", "leader-move needs an admin client that can move partition leaders, and this driver's cannot; use the franz driver")
		}
		tgt, err := workload.ParseTarget(spec.Target)
		if err == nil && tgt.Kind == workload.TargetBroker && !slices.Contains(f.BrokerIDs(), tgt.Broker) {
			p.Addf(path+".target", "the cluster has no broker %d; its brokers are %v", tgt.Broker, f.BrokerIDs())
		}
		if err == nil && tgt.Kind == workload.TargetRandom && len(f.BrokerIDs()) == 0 {
			p.Addf(path+".target", "random needs the cluster's broker ids, which are not known; name a broker:ID")
		}
	}
	return p.Err()
}

// faultScheduler carries out a run's fault schedule and records what it
// did. Its goroutines record events under mu.
type faultScheduler struct {
	specs  []workload.FaultSpec
	seed   int64
	target cluster.Target
	admin  drivers.Admin
	topics []string
	t0     time.Time
	warmup time.Duration
	logf   func(format string, args ...any)
	// out is given each event.
	out fanout

	mu      sync.Mutex // guards events and pending
	evs     []results.Fault
	pending []*pendingUndo
}

func newFaultScheduler(r *run) *faultScheduler {
	specs := r.w.Faults
	if !r.faults {
		specs = nil // another shard carries out the schedule
	}
	return &faultScheduler{
		specs: specs, seed: r.w.Seed,
		target: r.cfg.Target, admin: r.cfg.Admin, topics: r.topics,
		t0: r.t0, warmup: r.warmup, logf: r.logf, out: r.cfg.Outputs,
	}
}

// pendingUndo is a fault in place, waiting to be undone.
type pendingUndo struct {
	once   sync.Once
	undo   cluster.Undo
	action cluster.Action
	target string
	broker int32
}

// run carries out the fault schedule: each fault at its time from the
// start of measurement, undone after its duration. It returns when the
// schedule is done or ctx ends; faults still in place are undone by
// undoAll.
func (s *faultScheduler) run(ctx context.Context) {
	if len(s.specs) == 0 {
		return
	}
	f, _ := s.target.(cluster.Faulter)
	rng := seededRand(s.seed, 1<<20)
	var wg sync.WaitGroup
	for _, spec := range s.specs {
		var pick int32 = -1
		if t, _ := workload.ParseTarget(spec.Target); t.Kind == workload.TargetRandom && f != nil {
			if ids := f.BrokerIDs(); len(ids) > 0 {
				pick = ids[rng.IntN(len(ids))]
			}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			at := s.warmup + spec.At.D()
			if !sleepCtx(ctx, time.Until(s.t0.Add(at))) {
				return
			}
			p := s.inject(ctx, f, spec, pick)
			if p == nil || spec.Duration == 0 {
				return
			}
			if sleepCtx(ctx, spec.Duration.D()) {
				s.recover(p)
			}
		}()
	}
	wg.Wait()
}

// inject performs one fault and records the event with two stamps: when
// it was requested (RequestedAt, before the target is looked up: what the
// action does can begin then, as a controlled stop moves leaders away
// first, and failover is measured from it), and when it took effect (At:
// the target found and the action returned, a killed broker exited, a
// moved leader leads elsewhere).
func (s *faultScheduler) inject(ctx context.Context, f cluster.Faulter, spec workload.FaultSpec, pick int32) *pendingUndo {
	ev := results.Fault{RequestedAt: time.Since(s.t0).Seconds(), Action: string(spec.Action), Target: spec.Target, Broker: -1, Phase: results.PhaseInject}
	p, err := s.doInject(ctx, f, spec, pick, &ev)
	ev.At = time.Since(s.t0).Seconds()
	if err != nil {
		ev.Error = err.Error()
		s.logf("fault %s %s: %v", spec.Action, spec.Target, err)
	} else {
		s.logf("fault at %.1fs: %s broker %d (%s)", ev.At, spec.Action, ev.Broker, spec.Target)
	}
	s.out.Fault(ev)
	s.mu.Lock()
	s.evs = append(s.evs, ev)
	if p != nil {
		s.pending = append(s.pending, p)
	}
	s.mu.Unlock()
	return p
}

func (s *faultScheduler) doInject(ctx context.Context, f cluster.Faulter, spec workload.FaultSpec, pick int32, ev *results.Fault) (*pendingUndo, error) {
	id, err := s.resolveTarget(ctx, f, spec.Target, pick)
	if err != nil {
		return nil, err
	}
	ev.Broker = id
	if spec.Action == cluster.ActionLeaderMove {
		return nil, s.moveLeaders(ctx, spec.Target, id)
	}
	if f == nil {
		return nil, fmt.Errorf("the %s target cannot inject faults", s.target.Kind())
	}
	undo, err := f.Inject(ctx, clusterFault(spec, id, s.topics))
	if undo == nil {
		return nil, err
	}
	// An undo comes with an error when the fault may have acted anyway.
	return &pendingUndo{undo: undo, action: spec.Action, target: spec.Target, broker: id}, err
}

// resolveTarget turns a fault target into a broker id, at the time of the
// fault: the leader and the controller are whoever they are then.
func (s *faultScheduler) resolveTarget(ctx context.Context, f cluster.Faulter, target string, pick int32) (int32, error) {
	if target == workload.TargetAll {
		return cluster.BrokerAll, nil
	}
	t, err := workload.ParseTarget(target)
	if err != nil {
		return -1, err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	switch t.Kind {
	case workload.TargetBroker:
		return t.Broker, nil
	case workload.TargetRandom:
		if pick < 0 {
			return -1, errors.New("random needs a target that lists its brokers")
		}
		return pick, nil
	case workload.TargetController:
		return s.admin.Controller(ctx)
	case workload.TargetLeader:
		parts, err := s.admin.Partitions(ctx, s.topics[t.Topic])
		if err != nil {
			return -1, fmt.Errorf("find leader of %s/%d: %w", s.topics[t.Topic], t.Partition, err)
		}
		for _, p := range parts {
			if p.Partition == t.Partition {
				if p.Leader < 0 {
					return -1, fmt.Errorf("%s/%d has no leader now", p.Topic, p.Partition)
				}
				return p.Leader, nil
			}
		}
		return -1, fmt.Errorf("%s has no partition %d", s.topics[t.Topic], t.Partition)
	}
	return -1, fmt.Errorf("unknown target %q", target)
}

// moveLeaders moves leadership away from broker id: of the one partition a
// leader:T/P target names, or of every partition of the run's topics that
// id leads.
func (s *faultScheduler) moveLeaders(ctx context.Context, target string, id int32) error {
	t, _ := workload.ParseTarget(target)
	lm, ok := s.admin.(drivers.LeaderMover)
	if !ok {
		return errors.New("the admin client cannot move partition leaders")
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if t.Kind == workload.TargetLeader {
		_, err := lm.MoveLeader(ctx, s.topics[t.Topic], t.Partition, id)
		return err
	}
	var errs []error
	for _, topic := range s.topics {
		parts, err := s.admin.Partitions(ctx, topic)
		if err != nil {
			return err
		}
		for _, p := range parts {
			if p.Leader == id {
				if _, err := lm.MoveLeader(ctx, topic, p.Partition, id); err != nil {
					errs = append(errs, err)
				}
			}
		}
	}
	return errors.Join(errs...)
}

// recover undoes a fault once and records the event, stamped when the
// undo returned: a restarted broker is then serving again.
func (s *faultScheduler) recover(p *pendingUndo) {
	p.once.Do(func() {
		ev := results.Fault{RequestedAt: time.Since(s.t0).Seconds(), Action: string(p.action), Target: p.target, Broker: p.broker, Phase: results.PhaseRecover}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		err := p.undo(ctx)
		ev.At = time.Since(s.t0).Seconds()
		if err != nil {
			ev.Error = err.Error()
			s.logf("undo %s of broker %d: %v", p.action, p.broker, err)
		} else {
			s.logf("fault undone at %.1fs: %s broker %d", ev.At, p.action, p.broker)
		}
		s.out.Fault(ev)
		s.mu.Lock()
		s.evs = append(s.evs, ev)
		s.mu.Unlock()
	})
}

// undoAll reverses faults still in place at the end of the run, so a run
// never leaves a broker down or frozen.
func (s *faultScheduler) undoAll() {
	s.mu.Lock()
	pending := slices.Clone(s.pending)
	s.mu.Unlock()
	for _, p := range pending {
		s.recover(p)
	}
}

// injected counts the faults that were carried out (or tried).
func (s *faultScheduler) injected() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, f := range s.evs {
		if f.Phase == results.PhaseInject {
			n++
		}
	}
	return n
}

// events returns the fault events in time order.
func (s *faultScheduler) events() []results.Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	ev := slices.Clone(s.evs)
	sort.SliceStable(ev, func(i, j int) bool { return ev[i].At < ev[j].At })
	return ev
}
