package workload

import (
	"maps"
	"testing"

	"github.com/kbench/kbench/profiles"
)

// Profile precedence: workload file < tuning profile < Set.
func TestApplyTuning(t *testing.T) {
	for _, tc := range []struct {
		name   string
		file   Workload
		tuning profiles.Tuning
		sets   [][2]string
		want   Workload
	}{
		{
			// An empty profile changes nothing.
			name: "empty profile",
			file: Workload{PartitionsPerTopic: 4, ReplicationFactor: 3, Producer: map[string]string{"acks": "1"}},
			want: Workload{PartitionsPerTopic: 4, ReplicationFactor: 3, Producer: map[string]string{"acks": "1"}},
		},
		{
			// The profile's settings win over the file's; the file's other
			// settings stay.
			name: "profile over file",
			file: Workload{PartitionsPerTopic: 4, ReplicationFactor: 1,
				Producer:    map[string]string{"acks": "1", "linger.ms": "5"},
				Consumer:    map[string]string{"fetch.min.bytes": "1"},
				TopicConfig: map[string]string{"retention.ms": "1000"}},
			tuning: profiles.Tuning{Partitions: 16, ReplicationFactor: 3,
				Producer: map[string]string{"acks": "all"},
				Consumer: map[string]string{"fetch.min.bytes": "1024"},
				Topic:    map[string]string{"min.insync.replicas": "2"}},
			want: Workload{PartitionsPerTopic: 16, ReplicationFactor: 3,
				Producer:    map[string]string{"acks": "all", "linger.ms": "5"},
				Consumer:    map[string]string{"fetch.min.bytes": "1024"},
				TopicConfig: map[string]string{"retention.ms": "1000", "min.insync.replicas": "2"}},
		},
		{
			// Set after the profile wins over both.
			name:   "set over profile",
			file:   Workload{PartitionsPerTopic: 4, Producer: map[string]string{"acks": "1"}},
			tuning: profiles.Tuning{Partitions: 16, Producer: map[string]string{"acks": "all"}},
			sets:   [][2]string{{"acks", "0"}, {"partitionsPerTopic", "8"}},
			want:   Workload{PartitionsPerTopic: 8, Producer: map[string]string{"acks": "0"}},
		},
		{
			// Broker settings are not the workload's.
			name:   "broker settings ignored",
			file:   Workload{},
			tuning: profiles.Tuning{Broker: map[string]string{"num.io.threads": "16"}},
			want:   Workload{},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := tc.file
			tuning := tc.tuning
			w.ApplyTuning(&tuning)
			for _, kv := range tc.sets {
				if err := w.Set(kv[0], kv[1]); err != nil {
					t.Fatal(err)
				}
			}
			if w.PartitionsPerTopic != tc.want.PartitionsPerTopic || w.ReplicationFactor != tc.want.ReplicationFactor ||
				!maps.Equal(w.Producer, tc.want.Producer) || !maps.Equal(w.Consumer, tc.want.Consumer) ||
				!maps.Equal(w.TopicConfig, tc.want.TopicConfig) {
				t.Errorf("got partitions %d, rf %d, producer %v, consumer %v, topic %v; want %+v",
					w.PartitionsPerTopic, w.ReplicationFactor, w.Producer, w.Consumer, w.TopicConfig, tc.want)
			}
		})
	}
}

// The profile's maps are not shared with the workload, so a later Set
// cannot change the profile.
func TestApplyTuningCopies(t *testing.T) {
	tuning := profiles.Tuning{Producer: map[string]string{"acks": "all"}}
	w := Workload{}
	w.ApplyTuning(&tuning)
	if err := w.Set("acks", "1"); err != nil {
		t.Fatal(err)
	}
	if tuning.Producer["acks"] != "all" {
		t.Errorf("Set changed the profile: %v", tuning.Producer)
	}
}
