package bench

import (
	"testing"
	"time"
)

// stampNow reads the same clock as stampTime(time.Now()), with one read.
func TestStampNowIsStampTime(t *testing.T) {
	for range 1000 {
		before := stampTime(time.Now())
		now := stampNow()
		after := stampTime(time.Now())
		if now < before || now > after {
			t.Fatalf("stampNow %d outside [%d, %d] read around it with stampTime", now, before, after)
		}
	}
}
