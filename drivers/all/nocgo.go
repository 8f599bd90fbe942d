//go:build !cgo

package all

import "github.com/kbench/kbench/drivers"

// cgoNote explains a missing driver in builds without cgo.
const cgoNote = " (confluent needs a build with CGO_ENABLED=1)"

// cgoDrivers returns none: confluent-kafka-go needs cgo.
func cgoDrivers() []drivers.Driver { return nil }
