package analysis

import (
	"testing"

	"github.com/kbench/kbench/results"
)

// The last interval, cut short when the run ended, is no rate: 63 acks
// in 6.6 ms would draw a spike to 9,500 msgs/s. Warm-up is negative time,
// so a fault scheduled at=4s (6 s after a 2 s warm-up began) is drawn at 4.
func TestTimelineTimeBaseAndPartialInterval(t *testing.T) {
	r := &results.Run{
		Intervals: []results.Interval{
			{Start: 0, End: 1, Warmup: true, Acked: 1000},
			{Start: 1, End: 2, Warmup: true, Acked: 1000},
			{Start: 2, End: 3, Acked: 1000},
			{Start: 3, End: 4, Acked: 1000},
			{Start: 4, End: 4.0066, Acked: 63},
		},
		Faults: []results.Fault{{At: 6, Action: "kill", Broker: 1}},
	}
	fig, err := timeline([]*results.Run{r})
	if err != nil {
		t.Fatal(err)
	}
	top := fig.panels[0]
	if top.Y.Max > 1000*1.15+1 {
		t.Errorf("y axis reaches %.0f msgs/s: the partial interval was drawn", top.Y.Max)
	}
	if top.X.Min != -2 {
		t.Errorf("x axis starts at %g, want -2 (two seconds of warm-up before measurement)", top.X.Min)
	}
	if got := measureOffset(r); got != 2 {
		t.Errorf("measureOffset = %g, want 2", got)
	}
}

// A log axis inside one stretch between 1, 2 and 5 still has numbers.
func TestLogTicksLabelNarrowRange(t *testing.T) {
	labelled := 0
	for _, tk := range (logTicks{}).Ticks(3, 4.5) {
		if tk.Label != "" {
			labelled++
		}
	}
	if labelled < 2 {
		t.Errorf("%d labelled ticks between 3 and 4.5", labelled)
	}
}
