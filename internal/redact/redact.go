// Package redact decides which settings hold secrets and hides their
// values wherever kbench writes settings.
package redact

import (
	"encoding/json"
	"strings"
)

// Placeholder replaces a secret's value wherever kbench writes settings: the
// result records that the secret was set, never what it is.
const Placeholder = "(secret, set)"

// IsSecret reports whether a setting called key holds a secret. This is
// the one place kbench decides it: results, reports, sweep indexes, logs
// and error messages all ask here. key may be a client property
// ("sasl.jaas.config"), a workload path ("producer.sasl.password") or an
// environment-style name ("KAFKA_PASSWORD").
//
// A key is secret when one of its words (split at '.', '_', '-' and case
// changes) says password, secret, token, jaas or credential, when its last
// word ends in "key" (ssl.keystore.key, apiKey), or when it is a key in
// PEM (ssl.key.pem). A last word of location, type or mechanism names a
// file or a kind, not a secret, so ssl.keystore.location and
// ssl.key.location stay readable.
func IsSecret(key string) bool {
	words := splitWords(key)
	n := len(words)
	if n == 0 {
		return false
	}
	switch last := words[n-1]; {
	case n > 1 && (last == "location" || last == "type" || last == "mechanism"):
		return false
	case strings.HasSuffix(last, "key"):
		return true
	case last == "pem" && n > 1 && words[n-2] == "key":
		return true
	}
	for _, w := range words {
		for _, s := range []string{"password", "passwd", "secret", "token", "jaas", "credential"} {
			if strings.Contains(w, s) {
				return true
			}
		}
	}
	return false
}

// splitWords lower-cases key and splits it into words at separators and at
// lower-to-upper case changes ("clientSecret" is client, secret).
func splitWords(key string) []string {
	var words []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			words = append(words, cur.String())
			cur.Reset()
		}
	}
	prevLower := false
	for _, r := range key {
		switch {
		case r == '.' || r == '_' || r == '-' || r == ' ' || r == '/':
			flush()
			prevLower = false
			continue
		case r >= 'A' && r <= 'Z':
			if prevLower {
				flush()
			}
			r += 'a' - 'A'
			prevLower = false
		default:
			prevLower = r >= 'a' && r <= 'z' || r >= '0' && r <= '9'
		}
		cur.WriteRune(r)
	}
	flush()
	return words
}

// Value returns value, or Placeholder when key is secret and value is
// set.
func Value(key, value string) string {
	if value != "" && IsSecret(key) {
		return Placeholder
	}
	return value
}

// Props returns a copy of props with every secret's value replaced.
func Props(props map[string]string) map[string]string {
	if props == nil {
		return nil
	}
	out := make(map[string]string, len(props))
	for k, v := range props {
		out[k] = Value(k, v)
	}
	return out
}

// JSON returns doc with the value of every string member whose
// dotted path ("producer.sasl.password") is secret replaced, at any depth. A document that does not
// parse is returned as it is: nothing kbench writes is such.
func JSON(doc json.RawMessage) json.RawMessage {
	if len(doc) == 0 {
		return doc
	}
	var v any
	dec := json.NewDecoder(strings.NewReader(string(doc)))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return doc
	}
	out, err := json.Marshal(redactAny("", v))
	if err != nil {
		return doc
	}
	return out
}

func redactAny(path string, v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			p := k
			if path != "" {
				p = path + "." + k
			}
			if s, ok := e.(string); ok && s != "" && IsSecret(p) {
				v[k] = Placeholder
				continue
			}
			v[k] = redactAny(p, e)
		}
	case []any:
		for i, e := range v {
			v[i] = redactAny(path, e)
		}
	}
	return v
}
