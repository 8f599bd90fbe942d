package franz_test

import (
	"testing"

	"github.com/kbench/kbench/drivers/drivertest"
	"github.com/kbench/kbench/drivers/franz"
)

func TestConformance(t *testing.T) {
	for _, target := range drivertest.Targets(t, franz.Driver{}) {
		t.Run(target.Name, func(t *testing.T) {
			drivertest.Run(t, franz.Driver{}, target.Bootstrap, target.Admin)
		})
	}
}

func BenchmarkProduce(b *testing.B) { drivertest.BenchProduce(b, franz.Driver{}) }
