package results

import "testing"

func TestFileName(t *testing.T) {
	for _, tc := range []struct {
		parts []string
		want  string
	}{
		// OpenMessaging Benchmark's workload names hold slashes and spaces.
		{[]string{"1 topic / 16 partitions / 1Kb", "franz", "20260101-120000-abcdef"}, "1-topic-16-partitions-1Kb-franz-20260101-120000-abcdef"},
		// Nothing climbs out of the directory.
		{[]string{"../../etc/passwd"}, "etc-passwd"},
		// An empty part is left out.
		{[]string{"", "smoke"}, "smoke"},
	} {
		if got := FileName(tc.parts...); got != tc.want {
			t.Errorf("FileName(%q) = %q, want %q", tc.parts, got, tc.want)
		}
	}
}
