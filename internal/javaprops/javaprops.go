// Package javaprops reads Java properties text, the format of Kafka's client
// configuration files and of OpenMessaging Benchmark's config blocks.
package javaprops

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Parse parses the java.util.Properties text format: key=value,
// key:value or key value; # and ! comments; a backslash at a line's end
// continues it on the next line (whose leading blanks are dropped); \t, \n,
// \r, \f, \uXXXX and \<any> escapes. A later key wins. A key alone on its
// line is refused ("key=" sets an empty value). Blanks around a
// value are dropped, as Kafka's configuration trims every value it reads,
// and around a key, which no property name has. It returns every problem,
// one error per line, each starting "line N: " and naming no value: a
// value may be a secret. Text holding a control character other than
// blanks and line ends (a binary file) is refused with one error that
// says where.
func Parse(text string) (map[string]string, []error) {
	if i := strings.IndexFunc(text, isBinary); i >= 0 {
		return nil, []error{fmt.Errorf("line %d: byte %d is 0x%02x: not text; a properties file is key=value lines",
			strings.Count(text[:i], "\n")+1, i+1, text[i])}
	}
	props := map[string]string{}
	var errs []error
	lines := strings.Split(strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\r", "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		line := strings.TrimLeft(lines[i], " \t\f")
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		start := i + 1
		for endsInEscape(line) && i+1 < len(lines) {
			i++
			line = line[:len(line)-1] + strings.TrimLeft(lines[i], " \t\f")
		}
		if endsInEscape(line) {
			line = line[:len(line)-1]
		}
		key, value := splitProperty(line)
		if value == "" && !strings.ContainsAny(line[len(key):], "=:") {
			// java.util.Properties reads an empty value; no client
			// property is set so, and a mangled line reads so too.
			errs = append(errs, fmt.Errorf("line %d: %q is not key=value", start, strings.TrimSpace(line)))
			continue
		}
		k, err := unescape(key)
		if err != nil {
			errs = append(errs, fmt.Errorf("line %d: %w", start, err))
			continue
		}
		k = strings.TrimSpace(k)
		if k == "" {
			errs = append(errs, fmt.Errorf("line %d: a value with no key before it", start))
			continue
		}
		v, err := unescape(value)
		if err != nil {
			errs = append(errs, fmt.Errorf("line %d: %s: %w", start, k, err))
			continue
		}
		props[k] = strings.TrimSpace(v)
	}
	return props, errs
}

// isBinary says whether c is a control character that no properties
// text holds.
func isBinary(c rune) bool {
	return c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' || c == 0x7f
}

// endsInEscape reports whether line ends in an odd number of backslashes.
func endsInEscape(line string) bool {
	n := 0
	for i := len(line) - 1; i >= 0 && line[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}

// splitProperty splits a logical line at the first unescaped '=', ':' or
// blank; blanks around the separator are dropped.
func splitProperty(line string) (key, value string) {
	end := len(line)
	for i := 0; i < len(line); i++ {
		c := line[i]
		if c == '\\' {
			i++
			continue
		}
		if c == '=' || c == ':' || c == ' ' || c == '\t' || c == '\f' {
			end = i
			break
		}
	}
	key, rest := line[:end], line[end:]
	rest = strings.TrimLeft(rest, " \t\f")
	if rest != "" && (rest[0] == '=' || rest[0] == ':') {
		rest = strings.TrimLeft(rest[1:], " \t\f")
	}
	return key, rest
}

func unescape(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 == len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		switch s[i] {
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 'f':
			b.WriteByte('\f')
		case 'u':
			if i+5 > len(s) {
				return "", errors.New(`\u needs four hex digits`)
			}
			r, err := strconv.ParseUint(s[i+1:i+5], 16, 16)
			if err != nil {
				return "", errors.New(`\u needs four hex digits`)
			}
			b.WriteRune(rune(r))
			i += 4
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String(), nil
}

// ExpandEnv replaces ${NAME} in every value with the variable's value from
// lookup, and ${NAME:-DEFAULT} with DEFAULT when the variable is unset or
// empty, as a shell does (OpenMessaging Benchmark's driver files use it).
// An unset variable without a default is an error naming the property and
// the variable, never a value.
func ExpandEnv(props map[string]string, lookup func(string) (string, bool)) error {
	var errs []error
	for k, v := range props {
		if !strings.Contains(v, "${") {
			continue
		}
		var b strings.Builder
		for {
			i := strings.Index(v, "${")
			if i < 0 {
				b.WriteString(v)
				break
			}
			j := strings.IndexByte(v[i:], '}')
			if j < 0 {
				errs = append(errs, fmt.Errorf("%s: unclosed ${ in the value", k))
				break
			}
			name, def, hasDef := strings.Cut(v[i+2:i+j], ":-")
			val, ok := lookup(name)
			switch {
			case hasDef && val == "":
				val = def
			case !ok:
				errs = append(errs, fmt.Errorf("%s: environment variable %s is not set", k, name))
			}
			b.WriteString(v[:i])
			b.WriteString(val)
			v = v[i+j+1:]
		}
		props[k] = b.String()
	}
	return errors.Join(errs...)
}
