// Package workloads holds the workload files shipped with kbench, so a
// workload can be named ("smoke") as well as given by path.
package workloads

import (
	"embed"
	"io/fs"
	"sort"
	"strings"
)

//go:embed *.yaml
var files embed.FS

// Lookup returns the shipped workload called name (with or without .yaml).
func Lookup(name string) ([]byte, bool) {
	name = strings.TrimSuffix(name, ".yaml")
	data, err := files.ReadFile(name + ".yaml")
	return data, err == nil
}

// Names lists the shipped workloads.
func Names() []string {
	entries, _ := fs.ReadDir(files, ".")
	var names []string
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	sort.Strings(names)
	return names
}
