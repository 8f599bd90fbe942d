package javaprops

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	text := "# Confluent Cloud style\n" +
		"bootstrap.servers=pkc-1.example.com:9092\n" +
		"security.protocol : SASL_SSL\n" +
		"sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule \\\n" +
		"    required username=\"alice\" \\\n" +
		"    password=\"${KB_TEST_PASS}\";\n" +
		"! another comment\n" +
		"sasl.mechanism PLAIN\r\n" +
		"odd\\=key=a\\tb\\u0041\n"
	props, errs := Parse(text)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if err := ExpandEnv(props, func(k string) (string, bool) {
		return map[string]string{"KB_TEST_PASS": "hunter2"}[k], k == "KB_TEST_PASS"
	}); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"bootstrap.servers": "pkc-1.example.com:9092",
		"security.protocol": "SASL_SSL",
		"sasl.jaas.config":  `org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="hunter2";`,
		"sasl.mechanism":    "PLAIN",
		"odd=key":           "a\tbA",
	}
	for k, v := range want {
		if props[k] != v {
			t.Errorf("%s = %q, want %q", k, props[k], v)
		}
	}
	if len(props) != len(want) {
		t.Errorf("got %d properties, want %d: %v", len(props), len(want), props)
	}
}

// ${NAME:-DEFAULT} takes the default when NAME is unset or empty.
func TestExpandEnvDefault(t *testing.T) {
	props := map[string]string{"a": "user='${KB_UNSET:-benchmark}'", "b": "${KB_SET:-x}", "c": "${KB_EMPTY:-y}"}
	env := map[string]string{"KB_SET": "v", "KB_EMPTY": ""}
	if err := ExpandEnv(props, func(k string) (string, bool) { v, ok := env[k]; return v, ok }); err != nil {
		t.Fatal(err)
	}
	if props["a"] != "user='benchmark'" || props["b"] != "v" || props["c"] != "y" {
		t.Errorf("got %v", props)
	}
}

func TestExpandEnvUnset(t *testing.T) {
	err := ExpandEnv(map[string]string{"sasl.password": "${KB_NOT_SET}"}, func(string) (string, bool) { return "", false })
	if err == nil || !strings.Contains(err.Error(), "sasl.password") || !strings.Contains(err.Error(), "KB_NOT_SET") {
		t.Fatalf("err = %v, want one naming the property and the variable", err)
	}
}

// Each problem names its line, where a continued line starts, and never a
// value.
func TestParseErrors(t *testing.T) {
	_, errs := Parse("a=1\n=orphan\nb=x\\\n  \\u12\nc=\\uZZZZ\nnonsense")
	want := []string{"line 2: a value with no key before it", `line 3: b: \u needs four hex digits`, `line 5: c: \u needs four hex digits`, `line 6: "nonsense" is not key=value`}
	if len(errs) != len(want) {
		t.Fatalf("errors %v, want %d", errs, len(want))
	}
	for i, err := range errs {
		if err.Error() != want[i] {
			t.Errorf("error %d = %q, want %q", i, err, want[i])
		}
	}
}

// Blanks around keys and values are dropped; "key=" is an empty value.
func TestParseTrims(t *testing.T) {
	props, errs := Parse("acks = all  \n\\ linger.ms=5\t\nssl.endpoint.identification.algorithm=\n")
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if props["acks"] != "all" || props["linger.ms"] != "5" || props["ssl.endpoint.identification.algorithm"] != "" || len(props) != 3 {
		t.Errorf("got %q", props)
	}
}

// A binary file is refused with one short error saying where, not a line
// of its bytes per line.
func TestParseBinary(t *testing.T) {
	text := "a=1\nb=2\x00\x01\x02" + strings.Repeat("\xff\x00garbage\n", 2000)
	_, errs := Parse(text)
	if len(errs) != 1 {
		t.Fatalf("%d errors, want 1", len(errs))
	}
	if msg := errs[0].Error(); len(msg) > 120 || !strings.Contains(msg, "line 2") || !strings.Contains(msg, "byte 8") || !strings.Contains(msg, "not text") {
		t.Errorf("error %q: want a short one naming line 2, byte 8 and not text", msg)
	}
}
