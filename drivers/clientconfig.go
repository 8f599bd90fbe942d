package drivers

import (
	"errors"
	"fmt"
	"os"

	"github.com/kbench/kbench/internal/javaprops"
)

// ReadClientConfig reads a client properties file as Kafka's tools read
// --command-config (and as Confluent Cloud, MSK and Aiven hand them out),
// expanding ${NAME} from the environment in every value, so a secret can
// stay out of the file and out of ps.
func ReadClientConfig(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("client config: %w", err)
	}
	props, errs := javaprops.Parse(string(data))
	err = errors.Join(errs...)
	if err == nil {
		err = javaprops.ExpandEnv(props, os.LookupEnv)
	}
	if err != nil {
		return nil, fmt.Errorf("client config %s: %w", path, err)
	}
	return props, nil
}
