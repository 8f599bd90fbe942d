package results

import (
	"testing"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

func TestMergeHistCountsDrops(t *testing.T) {
	small := hdrhistogram.New(1, 1000, 3)
	src := NewHist()
	for _, v := range []int64{10, 500, 5000, 90000} { // the last two exceed small's range
		_ = src.RecordValue(v)
	}
	if got := MergeHist(small, src); got != 2 {
		t.Errorf("dropped %d, want 2", got)
	}
	if small.TotalCount() != 2 {
		t.Errorf("kept %d values, want 2", small.TotalCount())
	}
	if got := MergeHist(NewHist(), src); got != 0 {
		t.Errorf("same bounds dropped %d, want 0", got)
	}
}
