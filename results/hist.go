package results

import hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

// MergeHist adds src's counts to dst and returns how many values fell
// outside dst's range and were dropped.
func MergeHist(dst, src *hdrhistogram.Histogram) (dropped int64) {
	return dst.Merge(src)
}
