package bench

import (
	"context"

	"github.com/kbench/kbench/results"
)

// runFaults carries out the workload's fault schedule.
func (r *run) runFaults(ctx context.Context) {}

// undoFaults reverses faults still in place at the end of the run.
func (r *run) undoFaults() {}

func (r *run) faultEvents() []results.Fault {
	r.faultMu.Lock()
	defer r.faultMu.Unlock()
	return append([]results.Fault(nil), r.faults...)
}

// analyseFaults computes the failover metrics of each fault.
func (r *run) analyseFaults(res *results.Run) {}
