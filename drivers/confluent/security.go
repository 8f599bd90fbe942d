package confluent

import (
	"strings"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/kbench/kbench/drivers"
)

// securityConfig maps the security properties onto librdkafka's settings
// in cm. Certificates and keys go inline (ssl.*.pem), so Java's PEM
// truststores and keystores work as librdkafka's own files do.
func securityConfig(cm kafka.ConfigMap, props map[string]string) []error {
	sec, err := drivers.ParseSecurity(Name, props)
	if err != nil {
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			return j.Unwrap()
		}
		return []error{err}
	}
	var errs []error
	fail := func(key, reason string) {
		errs = append(errs, &drivers.PropertyError{Driver: Name, Key: key, Reason: reason})
	}
	protocol := "plaintext"
	if t := sec.TLS; t != nil {
		protocol = "ssl"
		if t.CA != nil {
			cm["ssl.ca.pem"] = string(drivers.PEMBlocks(t.CA, func(typ string) bool { return typ == "CERTIFICATE" }))
		}
		if t.Cert != nil {
			cm["ssl.certificate.pem"] = string(drivers.PEMBlocks(t.Cert, func(typ string) bool { return typ == "CERTIFICATE" }))
			cm["ssl.key.pem"] = string(drivers.PEMBlocks(t.Key, func(typ string) bool { return strings.HasSuffix(typ, "PRIVATE KEY") }))
		}
		if t.KeyPassword != "" {
			cm["ssl.key.password"] = t.KeyPassword
		}
		if t.PKCS12 != "" {
			cm["ssl.keystore.location"] = t.PKCS12
			cm["ssl.keystore.password"] = t.PKCS12Password
		}
		cm["ssl.endpoint.identification.algorithm"] = "https"
		if t.NoHostnameCheck {
			cm["ssl.endpoint.identification.algorithm"] = "none"
		}
	}
	if a := sec.SASL; a != nil {
		protocol = "sasl_" + protocol
		cm["sasl.mechanisms"] = a.Mechanism
		switch a.Mechanism {
		case drivers.MechPlain, drivers.MechScram256, drivers.MechScram512:
			cm["sasl.username"], cm["sasl.password"] = a.User, a.Pass
		case drivers.MechOAuthBearer:
			if a.OIDC == nil {
				fail("sasl.oauthbearer.token", "confluent-kafka-go takes a static OAUTHBEARER token only through a token-refresh handler kbench does not run; use an OIDC client-credentials login (sasl.oauthbearer.token.endpoint.url), or the franz driver")
				break
			}
			cm["sasl.oauthbearer.method"] = "oidc"
			cm["sasl.oauthbearer.token.endpoint.url"] = a.OIDC.TokenURL
			cm["sasl.oauthbearer.client.id"] = a.OIDC.ClientID
			cm["sasl.oauthbearer.client.secret"] = a.OIDC.ClientSecret
			if a.OIDC.Scope != "" {
				cm["sasl.oauthbearer.scope"] = a.OIDC.Scope
			}
		case drivers.MechAWSMSKIAM:
			fail("sasl.mechanism", "librdkafka has no AWS_MSK_IAM; use the franz driver, or SCRAM on the MSK cluster")
		}
	}
	cm["security.protocol"] = protocol
	return errs
}
