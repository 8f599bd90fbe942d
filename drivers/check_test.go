package drivers

import "testing"

func TestDidYouMean(t *testing.T) {
	names := []string{"linger.ms", "batch.size", "acks", "fetch.min.bytes"}
	for _, tc := range []struct{ key, want string }{
		{"lingerms", "; did you mean linger.ms?"},    // the dot left out
		{"Linger.MS", "; did you mean linger.ms?"},   // case
		{"batch.sise", "; did you mean batch.size?"}, // one letter wrong
		{"fetch.min.byte", "; did you mean fetch.min.bytes?"},
		{"compression", ""}, // nothing close
		{"acks", ""},        // exact: no suggestion
	} {
		if got := DidYouMean(tc.key, names); got != tc.want {
			t.Errorf("DidYouMean(%q) = %q, want %q", tc.key, got, tc.want)
		}
	}
}
