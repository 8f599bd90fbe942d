package results

import (
	"fmt"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Histogram bounds used throughout kbench: 1 µs to at least 1 hour (a run
// longer than that sizes its histograms to hold it, NewHistUpTo), 3
// significant digits.
const (
	histMinUS   = 1
	histMaxUS   = 3600 * 1000 * 1000
	histSigFigs = 3
)

// NewHist returns an empty latency histogram in microseconds.
func NewHist() *hdrhistogram.Histogram {
	return hdrhistogram.New(histMinUS, histMaxUS, histSigFigs)
}

// NewHistUpTo returns an empty latency histogram in microseconds that holds
// values up to d, and at least up to an hour.
func NewHistUpTo(d time.Duration) *hdrhistogram.Histogram {
	return hdrhistogram.New(histMinUS, max(histMaxUS, d.Microseconds()), histSigFigs)
}

// EncodeHist returns h in HdrHistogram's compressed base64 form.
func EncodeHist(h *hdrhistogram.Histogram) (string, error) {
	b, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		return "", fmt.Errorf("encode histogram: %w", err)
	}
	return string(b), nil
}

// DecodeHist parses a histogram written by EncodeHist; "" gives an empty one.
func DecodeHist(s string) (*hdrhistogram.Histogram, error) {
	if s == "" {
		return NewHist(), nil
	}
	h, err := hdrhistogram.Decode([]byte(s))
	if err != nil {
		return nil, fmt.Errorf("decode histogram: %w", err)
	}
	return h, nil
}

// MergeHist adds src's counts to dst and returns how many values dst could
// not hold: values outside its range, or counts overflowing its total.
func MergeHist(dst, src *hdrhistogram.Histogram) (dropped int64) {
	return dst.Merge(src)
}

// MergedHist decodes the encoded histograms and merges them into one sized
// to hold the widest of them, so merging drops nothing; "" entries are
// skipped. It returns the first decoding error with what it could merge.
func MergedHist(encoded ...string) (*hdrhistogram.Histogram, error) {
	var hs []*hdrhistogram.Histogram
	var firstErr error
	top := int64(histMaxUS)
	for _, e := range encoded {
		if e == "" {
			continue
		}
		h, err := DecodeHist(e)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		hs = append(hs, h)
		top = max(top, h.HighestTrackableValue())
	}
	out := hdrhistogram.New(histMinUS, top, histSigFigs)
	for _, h := range hs {
		out.Merge(h)
	}
	return out, firstErr
}

// LatencyOf summarises a microsecond histogram in milliseconds.
func LatencyOf(h *hdrhistogram.Histogram) Latency {
	if h == nil || h.TotalCount() == 0 {
		return Latency{}
	}
	ms := func(us int64) float64 { return float64(us) / 1000 }
	return Latency{
		P50:   ms(h.ValueAtQuantile(50)),
		P95:   ms(h.ValueAtQuantile(95)),
		P99:   ms(h.ValueAtQuantile(99)),
		P999:  ms(h.ValueAtQuantile(99.9)),
		Max:   ms(h.Max()),
		Mean:  h.Mean() / 1000,
		Count: h.TotalCount(),
	}
}
