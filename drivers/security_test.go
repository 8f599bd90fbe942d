package drivers

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseJAAS(t *testing.T) {
	class, opts, err := ParseJAAS(`org.apache.kafka.common.security.scram.ScramLoginModule required username="al ice" password="p=\"w;d";`)
	if err != nil {
		t.Fatal(err)
	}
	if class != jaasScram || opts["username"] != "al ice" || opts["password"] != `p="w;d` {
		t.Fatalf("got %s %v", class, opts)
	}
	for _, bad := range []string{
		`Mod required user="x"`, // no ';'
		`Mod required user=;`,   // no value
		`Mod user="x";`,         // no control flag
		`Mod required a="b"; Other required;`,
	} {
		if _, _, err := ParseJAAS(bad); err == nil {
			t.Errorf("ParseJAAS(%q) took it", bad)
		}
	}
}

func TestParseSecurity(t *testing.T) {
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	os.WriteFile(ca, []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), 0o600)
	notPEM := filepath.Join(dir, "bad.pem")
	os.WriteFile(notPEM, []byte("hunter2"), 0o600)
	jaas := func(mod string) string {
		return mod + ` required username="alice" password="hunter2";`
	}
	for _, tc := range []struct {
		name  string
		props map[string]string
		// errKeys are the properties the errors name; none for success.
		errKeys []string
		check   func(Security) bool
	}{
		{"plaintext", map[string]string{}, nil, func(s Security) bool { return s.TLS == nil && s.SASL == nil }},
		{"SCRAM over TLS with a PEM truststore", map[string]string{"security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-512",
			"sasl.jaas.config": jaas(jaasScram), "ssl.truststore.type": "PEM", "ssl.truststore.location": ca}, nil,
			func(s Security) bool {
				return s.TLS.CA != nil && s.SASL.Mechanism == MechScram512 && s.SASL.User == "alice" && s.SASL.Pass == "hunter2"
			}},
		{"PLAIN from the login module alone", map[string]string{"security.protocol": "SASL_PLAINTEXT", "sasl.jaas.config": jaas(jaasPlain)}, nil,
			func(s Security) bool { return s.SASL.Mechanism == MechPlain && s.TLS == nil }},
		{"librdkafka's names", map[string]string{"security.protocol": "sasl_ssl", "sasl.mechanism": "PLAIN", "sasl.username": "a", "sasl.password": "b",
			"ssl.endpoint.identification.algorithm": ""}, nil,
			func(s Security) bool { return s.TLS.NoHostnameCheck && s.TLS.CA == nil && s.SASL.User == "a" }},
		{"MSK IAM", map[string]string{"security.protocol": "SASL_SSL", "sasl.mechanism": "AWS_MSK_IAM",
			"sasl.jaas.config": jaasMSKIAM + " required;", "sasl.client.callback.handler.class": "software.amazon.msk.auth.iam.IAMClientCallbackHandler"}, nil,
			func(s Security) bool { return s.SASL.Mechanism == MechAWSMSKIAM }},
		{"OIDC", map[string]string{"security.protocol": "SASL_SSL", "sasl.mechanism": "OAUTHBEARER",
			"sasl.jaas.config":                    jaasOAuth + ` required clientId="id" clientSecret="hunter2";`,
			"sasl.oauthbearer.token.endpoint.url": "https://idp/token"}, nil,
			func(s Security) bool {
				return s.SASL.OIDC.ClientSecret == "hunter2" && s.SASL.OIDC.TokenURL == "https://idp/token"
			}},
		{"a SASL setting without SASL is refused: a forgotten security.protocol", map[string]string{"security.protocol": "SSL", "sasl.jaas.config": jaas(jaasPlain)},
			[]string{"security.protocol"}, nil},
		{"SCRAM module with the PLAIN mechanism", map[string]string{"security.protocol": "SASL_SSL", "sasl.mechanism": "PLAIN", "sasl.jaas.config": jaas(jaasScram)},
			[]string{"sasl.mechanism"}, nil},
		{"a JKS truststore", map[string]string{"security.protocol": "SSL", "ssl.truststore.location": "/x.jks", "ssl.truststore.password": "hunter2"},
			[]string{"ssl.truststore.location"}, nil},
		{"a CA file that is no PEM", map[string]string{"security.protocol": "SSL", "ssl.ca.location": notPEM}, []string{"ssl.ca.location"}, nil},
		{"Kerberos", map[string]string{"security.protocol": "SASL_SSL", "sasl.mechanism": "GSSAPI"}, []string{"sasl.mechanism"}, nil},
		{"a bad login module", map[string]string{"security.protocol": "SASL_SSL", "sasl.jaas.config": `x required password="hunter2"`},
			[]string{"sasl.jaas.config", "sasl.mechanism"}, nil},
	} {
		sec, err := ParseSecurity("test", tc.props)
		var keys []string
		if err != nil {
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("%s: the error shows a secret: %v", tc.name, err)
			}
			for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
				var pe *PropertyError
				if !errors.As(e, &pe) {
					t.Errorf("%s: %v is no PropertyError", tc.name, e)
					continue
				}
				keys = append(keys, pe.Key)
			}
		}
		if strings.Join(keys, " ") != strings.Join(tc.errKeys, " ") {
			t.Errorf("%s: errors name %v, want %v (%v)", tc.name, keys, tc.errKeys, err)
			continue
		}
		if tc.check != nil && !tc.check(sec) {
			t.Errorf("%s: got %+v %+v", tc.name, sec.TLS, sec.SASL)
		}
	}
}

// SASL settings on a protocol without SASL are refused naming both keys:
// they are most often a forgotten security.protocol, which would send the
// run to the plaintext listener or fail with a protocol error.
func TestParseSecuritySASLWithoutSASLProtocol(t *testing.T) {
	for _, props := range []map[string]string{
		{"sasl.mechanism": "PLAIN", "sasl.username": "a", "sasl.password": "b"},
		{"security.protocol": "PLAINTEXT", "sasl.jaas.config": "x required;"},
		{"security.protocol": "SSL", "sasl.mechanism": "SCRAM-SHA-512"},
	} {
		_, err := ParseSecurity("test", props)
		if err == nil || !strings.Contains(err.Error(), "security.protocol") || !strings.Contains(err.Error(), "sasl.") || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%v: err = %v; want one naming security.protocol and the sasl property", props, err)
		}
	}
}
