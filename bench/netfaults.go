package bench

import (
	"github.com/kbench/kbench/cluster"
	"github.com/kbench/kbench/workload"
)

// clusterFault turns a scheduled fault on broker id into the target's
// terms; the spec has been validated.
func clusterFault(spec workload.FaultSpec, id int32, topics []string) cluster.Fault {
	links, _ := workload.ParseLinks(spec.Links)
	rate, _ := workload.ParseRate(spec.Rate)
	return cluster.Fault{Action: spec.Action, Broker: id, Command: spec.Command, UndoCommand: spec.Undo,
		Links: links, Delay: spec.Delay.D(), Jitter: spec.Jitter.D(), RateKBps: rate,
		Every: spec.Every.D(), Pause: spec.Pause.D(), Topics: topics}
}
