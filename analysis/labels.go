package analysis

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kbench/kbench/results"
)

// maxLabelValue keeps a long setting (a list, a command) out of legends.
const maxLabelValue = 32

// runLabels names each run by what differs between the runs: its driver,
// profiles, workload, target rate and faults whenever they differ, then
// workload fields and client properties, e.g. "franz durable
// messageSize=1024". Past the first five, a setting that differs exactly
// where an earlier one does adds nothing and is left out (a profile change
// that also changes acks is labelled by the profile alone). Runs that differ in no
// setting are named by run.Name, else "run 1", "run 2"...; labels that
// would still repeat get the run's name in brackets, else " #1", " #2"...,
// so every legend entry is unique.
func runLabels(runs []*results.Run) []string {
	labels := make([]string, len(runs))
	if len(runs) == 0 {
		return labels
	}
	all := make([][]setting, len(runs))
	var names []string // setting names in first-seen order
	seen := map[string]bool{}
	for i, r := range runs {
		all[i] = append(settings(r), setting{"run", "faults", faultsText(r)})
		for _, s := range all[i] {
			if !seen[s.name()] && labelCandidate(s) {
				seen[s.name()] = true
				names = append(names, s.name())
			}
		}
	}
	// What a reader compares first is named whenever it differs, even
	// when another difference already tells the same runs apart.
	// Derived fields come last, so the field they derive from names the
	// difference.
	isDerived := func(n string) bool { return derived[strings.TrimPrefix(n, "workload.")] }
	rest := slices.DeleteFunc(names, func(n string) bool { return slices.Contains(headline, n) })
	names = append(slices.Clone(headline), slices.DeleteFunc(slices.Clone(rest), isDerived)...)
	names = append(names, slices.DeleteFunc(rest, func(n string) bool { return !isDerived(n) })...)
	var chosen [][]string // value vectors of the settings used so far
	parts := make([][]string, len(runs))
	for _, name := range names {
		values := make([]string, len(runs))
		for i := range runs {
			values[i], _ = lookup(all[i], name)
		}
		if allEqual(values) || !slices.Contains(headline, name) && samePartition(chosen, values) {
			continue
		}
		chosen = append(chosen, values)
		for i, v := range values {
			if name == "faults" && v == "" {
				continue // a run without faults says nothing of them
			}
			parts[i] = append(parts[i], labelPart(name, v))
		}
	}
	for i, r := range runs {
		switch {
		case len(parts[i]) > 0:
			labels[i] = strings.Join(parts[i], " ")
		case r.Name != "":
			labels[i] = r.Name
		default:
			labels[i] = fmt.Sprintf("run %d", i+1)
		}
	}
	return uniquify(labels, runs)
}

// headline are the settings a label names whenever they differ: the
// driver, the profiles, the workload, the target rate and the faults.
var headline = []string{"driver", "profiles", "workload.name", "target_rate", "faults"}

// labelCandidate leaves out settings that name rather than configure a run.
func labelCandidate(s setting) bool {
	return s.name() != "kbench"
}

// labelPart shows a driver or profile by its value alone and anything else
// as key=value without its section ("acks=all", not "producer.acks=all").
func labelPart(name, value string) string {
	if value == "" {
		value = "-"
	}
	if len(value) > maxLabelValue {
		value = value[:maxLabelValue-1] + "…"
	}
	switch name {
	case "driver", "profiles", "library", "cluster", "workload.name":
		return value
	}
	if i := strings.Index(name, "."); i >= 0 {
		name = name[i+1:]
	}
	return name + "=" + value
}

func allEqual(v []string) bool {
	for _, x := range v[1:] {
		if x != v[0] {
			return false
		}
	}
	return true
}

// samePartition reports whether values groups the runs exactly as one of
// chosen does, so it would tell no run apart that is not told apart already.
func samePartition(chosen [][]string, values []string) bool {
	for _, c := range chosen {
		if partitionsMatch(c, values) {
			return true
		}
	}
	return false
}

func partitionsMatch(a, b []string) bool {
	for i := range a {
		for j := i + 1; j < len(a); j++ {
			if (a[i] == a[j]) != (b[i] == b[j]) {
				return false
			}
		}
	}
	return true
}

// uniquify tells repeated labels apart by their runs' names, or by "#n"
// where the names repeat too.
func uniquify(labels []string, runs []*results.Run) []string {
	count := map[string]int{}
	for _, l := range labels {
		count[l]++
	}
	named := make([]string, len(labels))
	for i, l := range labels {
		named[i] = l
		if count[l] > 1 && runs[i].Name != "" && runs[i].Name != l {
			named[i] = l + " (" + runs[i].Name + ")"
		}
	}
	count = map[string]int{}
	for _, l := range named {
		count[l]++
	}
	n := map[string]int{}
	for i, l := range named {
		if count[l] > 1 {
			n[l]++
			named[i] = fmt.Sprintf("%s #%d", l, n[l])
		}
	}
	return named
}

// faultsText shows the faults a run injected as action@time each, e.g.
// "kill@20s,pause@35s"; "" for none.
func faultsText(r *results.Run) string {
	var out []string
	for _, f := range r.Faults {
		if f.Phase == results.PhaseInject {
			out = append(out, fmt.Sprintf("%s@%gs", f.Action, f.Began()))
		}
	}
	return strings.Join(out, ",")
}
