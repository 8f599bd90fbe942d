package confluent_test

import (
	"testing"

	"github.com/kbench/kbench/drivers/confluent"
	"github.com/kbench/kbench/drivers/drivertest"
)

func TestConformance(t *testing.T) {
	for _, target := range drivertest.Targets(t, confluent.Driver{}) {
		t.Run(target.Name, func(t *testing.T) {
			drivertest.Run(t, confluent.Driver{}, target.Bootstrap, target.Admin)
		})
	}
}

func BenchmarkProduce(b *testing.B) { drivertest.BenchProduce(b, confluent.Driver{}) }
