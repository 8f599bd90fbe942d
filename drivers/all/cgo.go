//go:build cgo

package all

import (
	"github.com/kbench/kbench/drivers"
	"github.com/kbench/kbench/drivers/confluent"
)

// cgoNote adds nothing: this build has every driver.
const cgoNote = ""

// cgoDrivers returns the drivers that need cgo.
func cgoDrivers() []drivers.Driver { return []drivers.Driver{confluent.Driver{}} }
