package workload

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeWorkload writes a workload file and returns its path.
func writeWorkload(t *testing.T, doc string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "w.yaml")
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// The order of precedence: file < profile < sets < overrides, and a
// run's end given alone replaces the file's end of the other kind.
func TestBuildPrecedence(t *testing.T) {
	file := writeWorkload(t, "producer: {acks: '1', linger.ms: '7'}\npartitionsPerTopic: 2\nduration: 1m\nmessages: 100\n")
	rate, messages := 500.0, int64(50)
	for _, tc := range []struct {
		name     string
		profiles []string
		sets     []string
		o        Overrides
		check    func(w *Workload) bool
	}{
		// The file as it is.
		{"file", nil, nil, Overrides{}, func(w *Workload) bool {
			return w.Producer["acks"] == "1" && w.PartitionsPerTopic == 2 && w.Duration.D() == time.Minute && w.Messages == 100
		}},
		// durable sets acks=all over the file's; the file's linger stays.
		{"profile over file", []string{"durable"}, nil, Overrides{}, func(w *Workload) bool {
			return w.Producer["acks"] == "all" && w.Producer["linger.ms"] == "7"
		}},
		// A set wins over the profile (throughput lingers 20 ms).
		{"set over profile", []string{"throughput"}, []string{"linger.ms=3"}, Overrides{}, func(w *Workload) bool {
			return w.Producer["linger.ms"] == "3"
		}},
		// An override wins over a set.
		{"override over set", nil, []string{"producerRate=10"}, Overrides{Rate: &rate}, func(w *Workload) bool {
			return w.ProducerRate == 500
		}},
		// A duration given alone drops the file's messages.
		{"duration alone", nil, nil, Overrides{Duration: "30s"}, func(w *Workload) bool {
			return w.Duration.D() == 30*time.Second && w.Messages == 0
		}},
		// Messages given alone (here by a set) drop the file's duration.
		{"messages alone", nil, []string{"messages=20"}, Overrides{}, func(w *Workload) bool {
			return w.Messages == 20 && w.Duration == 0
		}},
		// Both given: both kept, the first reached ends the run.
		{"both", nil, []string{"duration=10s"}, Overrides{Messages: &messages}, func(w *Workload) bool {
			return w.Messages == 50 && w.Duration.D() == 10*time.Second
		}},
		// Faults and topics are added.
		{"faults and topics", nil, []string{"subscriptionsPerTopic=0"}, Overrides{Faults: []string{"at=1s,action=kill,target=broker:1"}, Topics: []string{"t"}},
			func(w *Workload) bool { return len(w.Faults) == 1 && w.ExistingTopics[0] == "t" && w.Topics == 1 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, tuning, err := Build(file, tc.profiles, tc.sets, tc.o)
			if err != nil {
				t.Fatal(err)
			}
			if tuning == nil || !tc.check(w) {
				t.Errorf("got %+v", w)
			}
		})
	}
}

// Every problem is listed at once; those of Build's own inputs are typed,
// so a caller can name them in its own terms.
func TestBuildListsEveryProblem(t *testing.T) {
	rate, messages := -1.0, int64(-3)
	_, _, err := Build("smoke", nil, []string{"foo", "acks=7"},
		Overrides{Rate: &rate, Duration: "soon", Messages: &messages, Faults: []string{"when=1"}})
	var be *BuildError
	if !errors.As(err, &be) {
		t.Fatalf("Build = %v, want a *BuildError", err)
	}
	inputs := map[Input]bool{}
	for _, p := range be.Problems {
		var ie *InputError
		if errors.As(p, &ie) {
			inputs[ie.Input] = true
		}
	}
	for _, in := range []Input{InputSet, InputRate, InputDuration, InputMessages, InputFault} {
		if !inputs[in] {
			t.Errorf("no *InputError for %s in %v", in, err)
		}
	}
	if !strings.Contains(err.Error(), "producer.acks: must be 0, 1 or all") {
		t.Errorf("the resolved workload's problems missing: %v", err)
	}
	if strings.Contains(err.Error(), "--") {
		t.Errorf("a library error names a flag: %v", err)
	}
}

// A bare name that is neither a file nor a shipped workload, and a
// profile that does not load, are refused alone.
func TestBuildInputs(t *testing.T) {
	var ie *InputError
	if _, _, err := Build("smok", nil, nil, Overrides{}); !errors.As(err, &ie) || ie.Input != InputFile || !strings.Contains(err.Error(), "did you mean smoke?") {
		t.Errorf("unknown name: %v", err)
	}
	if _, _, err := Build("smoke", []string{"nope"}, nil, Overrides{}); !errors.As(err, &ie) || ie.Input != InputProfile {
		t.Errorf("unknown profile: %v", err)
	}
	if w, _, err := Build("smoke", nil, nil, Overrides{}); err != nil || w.Name != "smoke" {
		t.Errorf("shipped workload: %v, %v", w, err)
	}
}
