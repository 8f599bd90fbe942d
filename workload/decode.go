package workload

import (
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/kbench/kbench/drivers"
)

// decodeNode decodes a YAML mapping into the struct fields given, strictly:
// every unknown key and every value of the wrong type is added to errs with
// its path. yaml.v3's own strict mode stops at line numbers; users asked for
// field paths, which is what this walk gives.
func decodeNode(node *yaml.Node, fields map[string]reflect.Value, path string, errs *Problems) {
	node = resolve(node)
	if node.Kind != yaml.MappingNode {
		errs.Addf(orRoot(path), "want a mapping of fields, got %s", describe(node))
		return
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(node.Content); i += 2 {
		key, val := node.Content[i].Value, node.Content[i+1]
		fp := join(path, key)
		if key == "" {
			fp = join(path, `""`) // a path still names the empty key
		}
		if twice(node.Content[i], seen, fp, errs) {
			continue
		}
		f, ok := fields[key]
		if !ok {
			errs.Addf(fp, "unknown field%s", suggest(key, fields))
			continue
		}
		decodeValue(val, f, fp, errs)
	}
}

func decodeValue(node *yaml.Node, v reflect.Value, path string, errs *Problems) {
	node = resolve(node)
	if node.Kind == yaml.ScalarNode && node.Tag == "!!null" {
		v.Set(reflect.Zero(v.Type()))
		return
	}
	if v.Type() == reflect.TypeOf(Duration(0)) {
		if node.Kind != yaml.ScalarNode {
			errs.Addf(path, "want a duration such as 30s or 5m, got %s", describe(node))
			return
		}
		d, err := ParseDuration(node.Value)
		if err != nil {
			errs.Addf(path, "%v", err)
			return
		}
		v.SetInt(int64(d))
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		decodeNode(node, fieldsOf(v.Addr().Interface()), path, errs)
	case reflect.Map:
		if node.Kind != yaml.MappingNode {
			errs.Addf(path, "want a mapping of property: value, got %s", describe(node))
			return
		}
		if v.IsNil() {
			v.Set(reflect.MakeMap(v.Type()))
		}
		seen := map[string]int{}
		for i := 0; i+1 < len(node.Content); i += 2 {
			k, val := node.Content[i].Value, resolve(node.Content[i+1])
			if twice(node.Content[i], seen, join(path, k), errs) {
				continue
			}
			if val.Kind != yaml.ScalarNode {
				errs.Addf(join(path, k), "want a single value, got %s", describe(val))
				continue
			}
			v.SetMapIndex(reflect.ValueOf(k), reflect.ValueOf(val.Value))
		}
	case reflect.Slice:
		if node.Kind != yaml.SequenceNode {
			if v.Type().Elem().Kind() == reflect.String && node.Kind == yaml.ScalarNode {
				// A single command line string stands for a one-word list.
				v.Set(reflect.ValueOf(strings.Fields(node.Value)))
				return
			}
			errs.Addf(path, "want a list, got %s", describe(node))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(node.Content), len(node.Content))
		for i, item := range node.Content {
			decodeValue(item, s.Index(i), path+"["+strconv.Itoa(i)+"]", errs)
		}
		v.Set(s)
	default:
		if node.Kind != yaml.ScalarNode {
			errs.Addf(path, "want %s, got %s", kindName(v.Kind()), describe(node))
			return
		}
		if err := node.Decode(v.Addr().Interface()); err != nil {
			errs.Addf(path, "want %s, got %q", kindName(v.Kind()), node.Value)
		}
	}
}

// twice reports a mapping key seen before in the same mapping (seen maps
// keys to their lines): YAML would keep the last value and hide the first.
func twice(key *yaml.Node, seen map[string]int, path string, errs *Problems) bool {
	if first, ok := seen[key.Value]; ok {
		errs.Addf(path, "given twice (lines %d and %d); keep one", first, key.Line)
		return true
	}
	seen[key.Value] = key.Line
	return false
}

// fieldsOf maps the yaml names of a struct's fields to the fields.
func fieldsOf(ptr any) map[string]reflect.Value {
	v := reflect.ValueOf(ptr).Elem()
	t := v.Type()
	fields := make(map[string]reflect.Value, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("yaml"), ",")
		if !sf.IsExported() || name == "" || name == "-" {
			continue
		}
		fields[name] = v.Field(i)
	}
	return fields
}

func resolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		return resolve(n.Content[0])
	}
	return n
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	default:
		return strconv.Quote(n.Value)
	}
}

func kindName(k reflect.Kind) string {
	switch k {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	default:
		return "a string"
	}
}

// suggest names the known field nearest to key: the commonest slips are
// case in OMB's camelCase names and a letter or two.
func suggest(key string, fields map[string]reflect.Value) string {
	return drivers.DidYouMean(key, slices.Collect(maps.Keys(fields)))
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func orRoot(path string) string {
	if path == "" {
		return "workload"
	}
	return path
}
