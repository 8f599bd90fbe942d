package launch

import (
	"errors"
	"testing"

	"github.com/kbench/kbench/results"
)

func TestShards(t *testing.T) {
	local := TargetSpec{Kind: results.KindLocal}
	one, five := 1, 5
	cases := []struct {
		name  string
		spec  TargetSpec
		count int
		index *int
		env   string
		// want is the shard index wanted, -1 for no shard; field, the
		// InputError's field wanted instead ("" for none).
		want  int
		field string
	}{
		{"single run", local, 1, nil, "", -1, ""},
		{"given index", local, 3, &one, "2", 1, ""},
		// A Kubernetes Indexed Job gives the index in the environment.
		{"index from the environment", local, 3, nil, "2", 2, ""},
		{"index out of range", local, 3, &five, "", 0, "index"},
		{"no shards", local, 0, nil, "", 0, "count"},
		// Other processes cannot reach an in-process cluster.
		{"embedded", TargetSpec{Kind: results.KindEmbedded}, 3, &one, "", 0, "Kind"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(ShardEnv, tc.env)
			sh, err := Shards(tc.spec, tc.count, tc.index)
			if tc.field != "" {
				var ie *InputError
				if !errors.As(err, &ie) || ie.Field != tc.field {
					t.Errorf("Shards: %v, want an InputError on %s", err, tc.field)
				}
				return
			}
			switch {
			case err != nil:
				t.Errorf("Shards: %v", err)
			case tc.want < 0 && sh != nil:
				t.Errorf("Shards: %+v, want none", sh)
			case tc.want >= 0 && (sh == nil || sh.Index != tc.want || sh.Count != tc.count):
				t.Errorf("Shards: %+v, want %d of %d", sh, tc.want, tc.count)
			}
		})
	}
}

func TestShardFromEnvMissing(t *testing.T) {
	t.Setenv(ShardEnv, "x")
	_, err := Shards(TargetSpec{}, 3, nil)
	var ee *EnvError
	if !errors.As(err, &ee) || ee.Name != ShardEnv || ee.Value != "x" || !errors.Is(err, ErrBadInput) {
		t.Errorf("Shards: %v, want an EnvError with the value", err)
	}
}
