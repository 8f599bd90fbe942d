package franz

import (
	"errors"
	"maps"
	"slices"

	"github.com/kbench/kbench/drivers"
)

var _ drivers.PropertyChecker = Driver{}

// CheckProperties maps the properties as NewProducer and NewConsumer
// would, without making a client; a problem of a property both roles
// share is reported once.
func (Driver) CheckProperties(producer, consumer map[string]string) error {
	_, perr := producerOpts(producer)
	_, cerr := consumerOpts(consumer)
	seen := map[string]bool{}
	var errs []error
	for _, err := range []error{perr, cerr} {
		for _, e := range unjoin(err) {
			if !seen[e.Error()] {
				seen[e.Error()] = true
				errs = append(errs, e)
			}
		}
	}
	return errors.Join(errs...)
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	if err != nil {
		return []error{err}
	}
	return nil
}

// knownNames lists every property the driver understands, for
// suggestions.
func knownNames() []string {
	all := maps.Clone(commonProps)
	maps.Copy(all, producerProps)
	maps.Copy(all, consumerProps)
	return slices.Sorted(maps.Keys(all))
}
