// Package all lists the drivers kbench is built with.
package all

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/kbench/kbench/drivers"
	"github.com/kbench/kbench/drivers/franz"
)

// list returns a fresh list of the drivers, so callers cannot change it.
func list() []drivers.Driver {
	return append([]drivers.Driver{franz.Driver{}}, cgoDrivers()...)
}

// Names returns the names of the drivers in this build, sorted.
func Names() []string {
	var names []string
	for _, d := range list() {
		names = append(names, d.Name())
	}
	sort.Strings(names)
	return names
}

// Get returns the driver called name.
func Get(name string) (drivers.Driver, error) {
	for _, d := range list() {
		if d.Name() == name {
			return d, nil
		}
	}
	return nil, fmt.Errorf("unknown driver %q: valid drivers are %s%s", name, strings.Join(Names(), ", "), cgoNote)
}

// ProbeAdmin makes the admin clients a local cluster checks its own brokers
// with, whatever driver a run uses: franz-go's, because it asks exactly the
// broker it is given, where librdkafka's may route a request to another
// broker it has learnt of and so call a dead broker alive.
func ProbeAdmin(ctx context.Context, cfg drivers.AdminConfig) (drivers.Admin, error) {
	return franz.Driver{}.NewAdmin(ctx, cfg)
}
