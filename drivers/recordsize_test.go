package drivers

import "testing"

func TestBatchSize(t *testing.T) {
	cases := []struct {
		key, value int
		want       int64
	}{
		{0, 0, 61 + 1 + 6},                       // no key, empty value: the smallest batch
		{0, 100, 61 + 2 + 107},                   // a value length of 100 (zigzag 200) takes two bytes
		{5, 10, 61 + 1 + 3 + 1 + 5 + 1 + 10 + 1}, // a key: its length, then its bytes
		{0, 1000000, 61 + 3 + 1000008},           // 1 MB: three-byte lengths
	}
	for _, c := range cases {
		if got := BatchSize(c.key, c.value); got != c.want {
			t.Errorf("BatchSize(%d, %d) = %d, want %d", c.key, c.value, got, c.want)
		}
	}
}
