package launch

import (
	"fmt"
	"os"
	"strconv"

	"github.com/kbench/kbench/distributed"
	"github.com/kbench/kbench/results"
)

// ShardEnv is the environment variable a shard's index comes from when it
// is not given: a Kubernetes Indexed Job sets it in each pod.
const ShardEnv = "JOB_COMPLETION_INDEX"

// EnvError is an environment variable that does not hold what it should.
type EnvError struct {
	Name, Value string
}

// Error names the variable and its value.
func (e *EnvError) Error() string {
	return fmt.Sprintf("%s=%q: want a shard index", e.Name, e.Value)
}

// Unwrap returns ErrBadInput.
func (e *EnvError) Unwrap() error { return ErrBadInput }

// ShardFromEnv reads this process's shard index from ShardEnv; an
// EnvError when it holds none.
func ShardFromEnv() (int, error) {
	v := os.Getenv(ShardEnv)
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, &EnvError{Name: ShardEnv, Value: v}
	}
	return n, nil
}

// Shards returns this process's shard of a distributed run of count
// shards on the target spec describes, or nil for a run of one. A nil
// index is read from ShardEnv (ShardFromEnv). Its errors are InputErrors
// on "count" (below 1), "index" (outside 0 to count-1) or Kind
// (ErrInProcess: an embedded target cannot be shared), or ShardFromEnv's.
func Shards(spec TargetSpec, count int, index *int) (*distributed.Shard, error) {
	switch {
	case count > 1 && spec.TargetKind() == results.KindEmbedded:
		return nil, badInput("Kind", ErrInProcess)
	case count < 1:
		return nil, badInput("count", fmt.Errorf("%d: want 1 or more", count))
	case count == 1:
		return nil, nil
	}
	if index == nil {
		n, err := ShardFromEnv()
		if err != nil {
			return nil, err
		}
		index = &n
	}
	if *index < 0 || *index >= count {
		return nil, badInput("index", fmt.Errorf("%d: want 0 to %d", *index, count-1))
	}
	return &distributed.Shard{Index: *index, Count: count}, nil
}
