package results

import (
	"testing"
	"time"
)

// A result written before v1.2 gets its Shape from its stored workload;
// a newer one keeps the Shape it was written with.
func TestDecodeFillsShape(t *testing.T) {
	for _, tc := range []struct {
		name string
		doc  string
		want Shape
	}{
		// A v1.1 consumer-only run with half-second intervals.
		{"v1.1", `{"schema":"kbench.result/v1.1","workload":{"interval":"500ms","producersPerTopic":0,"subscriptionsPerTopic":2}}`,
			Shape{IntervalS: 0.5, SubscriptionsPerTopic: 2, ConsumerOnly: true}},
		// A v1 run with producers.
		{"v1", `{"schema":"kbench.result/v1","workload":{"interval":"1s","producersPerTopic":1}}`, Shape{IntervalS: 1}},
		// v1.2 carries its Shape; the workload is not read.
		{"v1.2", `{"schema":"kbench.result/v1.2","workload":{"interval":"9s"},"shape":{"interval_s":2}}`, Shape{IntervalS: 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Decode([]byte(tc.doc), "f.json")
			if err != nil {
				t.Fatal(err)
			}
			if r.Shape != tc.want {
				t.Errorf("shape %+v, want %+v", r.Shape, tc.want)
			}
		})
	}
	if _, err := Decode([]byte(`{"schema":"kbench.result/v1","workload":{"interval":"soon"}}`), "f.json"); err == nil {
		t.Error("an old result's unreadable interval was taken for the default")
	}
	if got := (Shape{}).Interval(); got != time.Second {
		t.Errorf("no interval: %s, want kbench's default 1s", got)
	}
}
