package drivers

import (
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/kbench/kbench/internal/redact"
)

// Security is how a client authenticates and encrypts, read from Kafka's
// client properties by ParseSecurity. Each driver maps it onto its library
// and refuses, naming the property, what the library cannot do.
type Security struct {
	// TLS is nil for PLAINTEXT and SASL_PLAINTEXT.
	TLS *TLS
	// SASL is nil for PLAINTEXT and SSL.
	SASL *SASL
}

// TLS is a client's TLS settings.
type TLS struct {
	// CA holds PEM certificates to trust; nil trusts the system's roots.
	CA []byte
	// Cert and Key are the PEM client certificate chain and private key
	// for mutual TLS; nil for none.
	Cert, Key []byte
	// KeyPassword decrypts an encrypted Key (ssl.key.password).
	KeyPassword string
	// PKCS12 is a PKCS#12 keystore file for mutual TLS, and its password;
	// the Java client's ssl.keystore.type=PKCS12.
	PKCS12, PKCS12Password string
	// NoHostnameCheck: ssl.endpoint.identification.algorithm is empty, so
	// the broker's certificate is not matched against its host name.
	NoHostnameCheck bool
}

// SASL mechanisms.
const (
	MechPlain       = "PLAIN"
	MechScram256    = "SCRAM-SHA-256"
	MechScram512    = "SCRAM-SHA-512"
	MechOAuthBearer = "OAUTHBEARER"
	MechAWSMSKIAM   = "AWS_MSK_IAM"
)

// SASL is a client's SASL settings.
type SASL struct {
	// Mechanism is one of the Mech constants.
	Mechanism string
	// User and Pass are PLAIN and SCRAM credentials.
	User, Pass string
	// Token is a static OAUTHBEARER token (sasl.oauthbearer.token, or
	// the content of sasl.oauthbearer.token.file).
	Token string
	// OIDC is an OAUTHBEARER client-credentials grant; nil for none.
	OIDC *OIDC
	// AWSRole is an IAM role to assume for AWS_MSK_IAM (awsRoleArn);
	// credentials otherwise come from the AWS environment variables.
	AWSRole string
}

// OIDC is an OAuth 2 client-credentials grant (KIP-768).
type OIDC struct {
	TokenURL, ClientID, ClientSecret, Scope string
}

// Class names of the JAAS login modules the Java clients use.
const (
	jaasPlain  = "org.apache.kafka.common.security.plain.PlainLoginModule"
	jaasScram  = "org.apache.kafka.common.security.scram.ScramLoginModule"
	jaasOAuth  = "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule"
	jaasMSKIAM = "software.amazon.msk.auth.iam.IAMLoginModule"
)

// securityKeys are the properties ParseSecurity reads. The Java clients'
// callback handler classes are accepted where they name what kbench does
// itself (OIDC, MSK IAM).
var securityKeys = []string{
	"security.protocol", "sasl.mechanism", "sasl.jaas.config", "sasl.username", "sasl.password",
	"sasl.oauthbearer.token", "sasl.oauthbearer.token.file", "sasl.oauthbearer.token.endpoint.url",
	"sasl.oauthbearer.client.id", "sasl.oauthbearer.client.secret", "sasl.oauthbearer.scope",
	"sasl.login.callback.handler.class", "sasl.client.callback.handler.class",
	"ssl.ca.location", "ssl.certificate.location", "ssl.key.location", "ssl.key.password",
	"ssl.truststore.location", "ssl.truststore.type", "ssl.truststore.password", "ssl.truststore.certificates",
	"ssl.keystore.location", "ssl.keystore.type", "ssl.keystore.password", "ssl.keystore.key",
	"ssl.keystore.certificate.chain", "ssl.endpoint.identification.algorithm",
}

// IsSecurityKey reports whether ParseSecurity reads the property key.
func IsSecurityKey(key string) bool { return slices.Contains(securityKeys, key) }

// ParseSecurity reads the security properties of props (Java client names,
// and librdkafka's sasl.username, sasl.password and ssl.*.location), reading
// the files they name. Every problem is a *PropertyError of driver naming
// its property; no error carries a secret's value.
func ParseSecurity(driver string, props map[string]string) (Security, error) {
	s := &secParser{driver: driver, props: props}
	var sec Security
	useTLS, useSASL := false, false
	switch strings.ToUpper(props["security.protocol"]) {
	case "", "PLAINTEXT":
	case "SSL":
		useTLS = true
	case "SASL_PLAINTEXT":
		useSASL = true
	case "SASL_SSL":
		useTLS, useSASL = true, true
	default:
		s.fail("security.protocol", "must be PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL")
	}
	// As the Java clients do, TLS settings the protocol does not use are
	// ignored: a profile may carry them for another cluster. SASL
	// credentials without SASL are refused: they mean a forgotten
	// security.protocol far more often.
	if !useSASL {
		for _, k := range securityKeys {
			if _, set := props[k]; set && strings.HasPrefix(k, "sasl.") {
				protocol := props["security.protocol"]
				if protocol == "" {
					protocol = "unset, so PLAINTEXT"
				}
				s.fail("security.protocol", fmt.Sprintf("%s uses no SASL, but %s is set: set security.protocol=SASL_SSL (or SASL_PLAINTEXT), or remove the sasl.* properties", protocol, k))
				break
			}
		}
	}
	if useTLS {
		sec.TLS = s.tls()
	}
	if useSASL {
		sec.SASL = s.sasl()
	}
	return sec, s.err()
}

type secParser struct {
	driver string
	props  map[string]string
	errs   []error
}

func (s *secParser) fail(key, reason string) {
	s.errs = append(s.errs, &PropertyError{Driver: s.driver, Key: key, Value: redact.Value(key, s.props[key]), Reason: reason})
}

func (s *secParser) err() error {
	slices.SortStableFunc(s.errs, func(a, b error) int {
		return strings.Compare(a.(*PropertyError).Key, b.(*PropertyError).Key)
	})
	return errors.Join(s.errs...)
}

// file reads the file key names; ok is false when the key is unset or the
// file cannot be read (then it has failed).
func (s *secParser) file(key string) ([]byte, bool) {
	path, ok := s.props[key]
	if !ok {
		return nil, false
	}
	b, err := os.ReadFile(path)
	if err != nil {
		s.fail(key, fmt.Sprintf("cannot read the file: %v", err))
		return nil, false
	}
	return b, true
}

func (s *secParser) tls() *TLS {
	t := &TLS{}
	switch v := s.props["ssl.endpoint.identification.algorithm"]; strings.ToLower(v) {
	case "https":
	case "", "none":
		_, set := s.props["ssl.endpoint.identification.algorithm"]
		t.NoHostnameCheck = set
	default:
		s.fail("ssl.endpoint.identification.algorithm", "must be https or empty")
	}

	// Trusted certificates: librdkafka's ssl.ca.location, or a Java
	// truststore in PEM.
	if ca, ok := s.file("ssl.ca.location"); ok {
		t.CA = ca
	}
	if v, ok := s.props["ssl.truststore.certificates"]; ok {
		t.CA = append(t.CA, v...)
	}
	if _, ok := s.props["ssl.truststore.location"]; ok {
		switch typ := strings.ToUpper(s.props["ssl.truststore.type"]); typ {
		case "PEM":
			if ca, ok := s.file("ssl.truststore.location"); ok {
				t.CA = append(t.CA, ca...)
			}
		default:
			s.fail("ssl.truststore.location", fmt.Sprintf("a %s truststore cannot be read by kbench's drivers; convert it to PEM and set ssl.truststore.type=PEM (or ssl.ca.location)",
				cmpOr(typ, "JKS")))
		}
	}

	if t.CA != nil && !hasPEM(t.CA, "CERTIFICATE") {
		for _, k := range []string{"ssl.ca.location", "ssl.truststore.location", "ssl.truststore.certificates"} {
			if _, ok := s.props[k]; ok {
				s.fail(k, "holds no PEM certificate")
				break
			}
		}
	}

	// Client certificate: librdkafka's PEM files, a Java PEM keystore
	// (file or inline), or PKCS#12.
	if cert, ok := s.file("ssl.certificate.location"); ok {
		t.Cert = cert
	}
	if key, ok := s.file("ssl.key.location"); ok {
		t.Key = key
	}
	if v, ok := s.props["ssl.keystore.certificate.chain"]; ok {
		t.Cert = []byte(v)
	}
	if v, ok := s.props["ssl.keystore.key"]; ok {
		t.Key = []byte(v)
	}
	if _, ok := s.props["ssl.keystore.location"]; ok {
		switch typ := strings.ToUpper(s.props["ssl.keystore.type"]); typ {
		case "PEM":
			if b, ok := s.file("ssl.keystore.location"); ok {
				t.Cert, t.Key = b, b // one file holds both; each reader takes its blocks
			}
		case "PKCS12":
			t.PKCS12, t.PKCS12Password = s.props["ssl.keystore.location"], s.props["ssl.keystore.password"]
		default:
			s.fail("ssl.keystore.location", fmt.Sprintf("a %s keystore cannot be read by kbench's drivers; convert it to PEM (ssl.keystore.type=PEM) or PKCS12",
				cmpOr(typ, "JKS")))
		}
	}
	t.KeyPassword = s.props["ssl.key.password"]
	if (t.Cert == nil) != (t.Key == nil) && t.PKCS12 == "" {
		s.fail("ssl.key.location", "a client certificate needs both the certificate and its private key")
	}
	return t
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (s *secParser) sasl() *SASL {
	a := &SASL{Mechanism: strings.ToUpper(s.props["sasl.mechanism"])}
	a.User, a.Pass = s.props["sasl.username"], s.props["sasl.password"]
	if jaas, ok := s.props["sasl.jaas.config"]; ok {
		s.jaas(a, jaas)
	}
	switch a.Mechanism {
	case "":
		// The Java clients default to GSSAPI; a user and password say
		// PLAIN is meant, as librdkafka's users write it.
		if a.User == "" {
			s.fail("sasl.mechanism", "set the SASL mechanism: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER or AWS_MSK_IAM")
			return a
		}
		a.Mechanism = MechPlain
	case "GSSAPI":
		s.fail("sasl.mechanism", "Kerberos (GSSAPI) is not supported; use PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER or AWS_MSK_IAM")
		return a
	}
	switch a.Mechanism {
	case MechPlain, MechScram256, MechScram512:
		if a.User == "" || a.Pass == "" {
			s.fail("sasl.jaas.config", a.Mechanism+" needs a username and a password (in sasl.jaas.config, or sasl.username and sasl.password)")
		}
	case MechOAuthBearer:
		s.oauth(a)
	case MechAWSMSKIAM:
	default:
		s.fail("sasl.mechanism", "must be PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER or AWS_MSK_IAM")
	}
	return a
}

// jaas reads a sasl.jaas.config: one login module, "required", and its
// options.
func (s *secParser) jaas(a *SASL, text string) {
	class, opts, err := ParseJAAS(text)
	if err != nil {
		s.fail("sasl.jaas.config", err.Error())
		return
	}
	want := ""
	switch class {
	case jaasPlain:
		want = MechPlain
	case jaasScram:
		if a.Mechanism != MechScram256 && a.Mechanism != MechScram512 {
			s.fail("sasl.mechanism", "ScramLoginModule needs sasl.mechanism SCRAM-SHA-256 or SCRAM-SHA-512")
		}
		want = a.Mechanism
	case jaasOAuth:
		want = MechOAuthBearer
		if id, ok := opts["clientId"]; ok {
			a.OIDC = &OIDC{ClientID: id, ClientSecret: opts["clientSecret"], Scope: opts["scope"]}
		}
	case jaasMSKIAM:
		want = MechAWSMSKIAM
		a.AWSRole = opts["awsRoleArn"]
	default:
		s.fail("sasl.jaas.config", fmt.Sprintf("login module %s is not supported; use PlainLoginModule, ScramLoginModule, OAuthBearerLoginModule or MSK's IAMLoginModule", class))
		return
	}
	if a.Mechanism == "" {
		a.Mechanism = want
	}
	if a.Mechanism != want {
		s.fail("sasl.mechanism", fmt.Sprintf("%s does not go with the login module in sasl.jaas.config (%s)", a.Mechanism, class[strings.LastIndexByte(class, '.')+1:]))
	}
	if u, ok := opts["username"]; ok {
		a.User = u
	}
	if p, ok := opts["password"]; ok {
		a.Pass = p
	}
}

func (s *secParser) oauth(a *SASL) {
	if tok, ok := s.props["sasl.oauthbearer.token"]; ok {
		a.Token = tok
	}
	if b, ok := s.file("sasl.oauthbearer.token.file"); ok {
		a.Token = strings.TrimSpace(string(b))
	}
	if id, ok := s.props["sasl.oauthbearer.client.id"]; ok {
		a.OIDC = &OIDC{ClientID: id, ClientSecret: s.props["sasl.oauthbearer.client.secret"], Scope: s.props["sasl.oauthbearer.scope"]}
	}
	if a.OIDC != nil {
		a.OIDC.TokenURL = s.props["sasl.oauthbearer.token.endpoint.url"]
		if a.OIDC.TokenURL == "" {
			s.fail("sasl.oauthbearer.token.endpoint.url", "an OAuth client-credentials login needs the token endpoint's URL")
		}
	}
	if a.Token == "" && a.OIDC == nil {
		s.fail("sasl.mechanism", "OAUTHBEARER needs a token (sasl.oauthbearer.token or sasl.oauthbearer.token.file) or a client-credentials login (sasl.oauthbearer.token.endpoint.url with a client id and secret)")
	}
}

// ParseJAAS reads a one-module JAAS configuration as the Java clients'
// sasl.jaas.config holds it: `Class required key="value" key=value;`. Its
// errors never quote option values.
func ParseJAAS(text string) (class string, opts map[string]string, err error) {
	fields, err := jaasTokens(text)
	if err != nil {
		return "", nil, err
	}
	if len(fields) < 2 {
		return "", nil, errors.New(`want "LoginModuleClass required key=value ...;"`)
	}
	class = fields[0]
	switch fields[1] {
	case "required", "requisite", "sufficient", "optional":
	default:
		return "", nil, fmt.Errorf("after the login module %s, want a control flag such as required", class)
	}
	opts = map[string]string{}
	for i := 2; i < len(fields); i += 3 {
		if i+2 >= len(fields) || fields[i+1] != "=" {
			return "", nil, fmt.Errorf("option %d of the login module: want key=value", (i-2)/3+1)
		}
		opts[fields[i]] = fields[i+2]
	}
	return class, opts, nil
}

// jaasTokens splits JAAS text into words, "=" and quoted strings (quotes
// removed), up to the closing ';'.
func jaasTokens(text string) ([]string, error) {
	var out []string
	i := 0
	for i < len(text) {
		c := text[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == ';':
			if strings.TrimSpace(text[i+1:]) != "" {
				return nil, errors.New("kbench reads one login module; text follows the ';'")
			}
			return out, nil
		case c == '=':
			out = append(out, "=")
			i++
		case c == '"':
			var b strings.Builder
			j := i + 1
			for ; j < len(text) && text[j] != '"'; j++ {
				if text[j] == '\\' && j+1 < len(text) {
					j++
				}
				b.WriteByte(text[j])
			}
			if j == len(text) {
				return nil, errors.New("a quoted value is not closed")
			}
			out = append(out, b.String())
			i = j + 1
		default:
			j := i
			for j < len(text) && !strings.ContainsRune(" \t\n\r;=\"", rune(text[j])) {
				j++
			}
			out = append(out, text[i:j])
			i = j
		}
	}
	return nil, errors.New("the login module is not ended with ';'")
}

// hasPEM reports whether data holds a PEM block of the given type.
func hasPEM(data []byte, typ string) bool {
	return len(PEMBlocks(data, func(t string) bool { return t == typ })) > 0
}

// PEMBlocks returns the PEM blocks of data whose type keep accepts,
// re-encoded, in order; what is not PEM is dropped.
func PEMBlocks(data []byte, keep func(typ string) bool) []byte {
	var out []byte
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return out
		}
		if keep(b.Type) {
			out = append(out, pem.EncodeToMemory(b)...)
		}
	}
}
