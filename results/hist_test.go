package results

import (
	"testing"
	"time"

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

func TestMergedHistHoldsTheWidest(t *testing.T) {
	long := NewHistUpTo(3 * time.Hour)
	if err := long.RecordValue((2 * time.Hour).Microseconds()); err != nil {
		t.Fatalf("a histogram sized for 3 h refused 2 h: %v", err)
	}
	short := NewHist()
	_ = short.RecordValue(1500)
	a, _ := EncodeHist(long)
	b, _ := EncodeHist(short)
	h, err := MergedHist(a, "", b)
	if err != nil {
		t.Fatal(err)
	}
	if h.TotalCount() != 2 {
		t.Errorf("merged %d values, want 2", h.TotalCount())
	}
	if got, want := h.Max(), (2 * time.Hour).Microseconds(); !h.ValuesAreEquivalent(got, want) {
		t.Errorf("max %d µs, want %d", got, want)
	}
}
