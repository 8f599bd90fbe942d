package sweep

import (
	"fmt"
	"strings"

	"github.com/kbench/kbench/results"
)

// ParseVary reads sweep dimensions written "key=v1,v2,...", one per spec.
// A key may be varied once; every value must be non-empty. Errors quote
// the spec at fault.
func ParseVary(specs []string) ([]results.Vary, error) {
	var out []results.Vary
	seen := map[string]bool{}
	for _, s := range specs {
		key, list, ok := strings.Cut(s, "=")
		key = strings.TrimSpace(key)
		if !ok || key == "" {
			return nil, fmt.Errorf("%q: want key=value1,value2,..., e.g. acks=1,all", s)
		}
		if seen[key] {
			return nil, fmt.Errorf("%s: the key is varied twice; list all its values together", key)
		}
		seen[key] = true
		v := results.Vary{Key: key}
		for _, val := range strings.Split(list, ",") {
			val = strings.TrimSpace(val)
			if val == "" {
				return nil, fmt.Errorf("%q: empty value; list values separated by commas, e.g. %s=1,all", s, key)
			}
			v.Values = append(v.Values, val)
		}
		out = append(out, v)
	}
	return out, nil
}

// Matrix returns every combination of the drivers, the profiles and the
// varied values, drivers outermost and the last Vary changing fastest. An
// empty profiles or drivers list counts as the single value "".
func Matrix(vary []results.Vary, profiles, drivers []string) []results.SweepPoint {
	if len(profiles) == 0 {
		profiles = []string{""}
	}
	if len(drivers) == 0 {
		drivers = []string{""}
	}
	var out []results.SweepPoint
	for _, d := range drivers {
		for _, prof := range profiles {
			params := []results.Params{nil}
			for _, v := range vary {
				var next []results.Params
				for _, prefix := range params {
					for _, val := range v.Values {
						kv := append(append(results.Params(nil), prefix...), results.ParamValue{Key: v.Key, Value: val})
						next = append(next, kv)
					}
				}
				params = next
			}
			for _, kv := range params {
				out = append(out, results.SweepPoint{Params: kv, Profile: prof, Driver: d})
			}
		}
	}
	return out
}
