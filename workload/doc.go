// Package workload is what a run is asked to do: the Workload type, its
// strict decoder (every unknown field or wrong value named by its path),
// defaults and validation with every limit they check, tuning profiles
// laid over it, and Build, the one order of precedence in which a workload
// file, tuning profiles and a caller's settings make a run's workload.
//
// The engine (package bench) runs a resolved Workload; nothing here
// touches a cluster.
package workload
