package cluster

import (
	"github.com/kbench/kbench/drivers"
	"github.com/kbench/kbench/drivers/franz"
)

// defaultAdmin connects kbench's admin driver to a local cluster, for the
// readiness and in-sync checks.
func defaultAdmin(bootstrap []string) (drivers.Admin, error) {
	return franz.NewAdmin(bootstrap)
}
