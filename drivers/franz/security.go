package franz

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/aws"
	"github.com/twmb/franz-go/pkg/sasl/oauth"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/kbench/kbench/drivers"
)

// security maps the security properties onto kgo options.
func (p *parser) security() {
	sec, err := drivers.ParseSecurity(Name, p.props)
	if err != nil {
		p.errs = append(p.errs, unjoin(err)...)
		return
	}
	if sec.TLS != nil {
		p.tls(sec.TLS)
	}
	if sec.SASL != nil {
		p.sasl(sec.SASL)
	}
}

func (p *parser) tls(t *drivers.TLS) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if t.CA != nil {
		cfg.RootCAs = x509.NewCertPool()
		cfg.RootCAs.AppendCertsFromPEM(t.CA)
	}
	switch {
	case t.PKCS12 != "":
		p.fail("ssl.keystore.type", "franz-go takes client certificates in PEM only (Go's standard library reads no PKCS#12); convert the keystore to PEM, or use the confluent driver")
	case t.Cert != nil:
		pair, err := tls.X509KeyPair(t.Cert, t.Key)
		switch {
		case err != nil && t.KeyPassword != "":
			p.fail("ssl.key.password", "franz-go cannot read an encrypted private key; decrypt it (PKCS#8 without a password), or use the confluent driver")
		case err != nil:
			p.fail("ssl.key.location", fmt.Sprintf("the client certificate and key do not load: %v", err))
		default:
			cfg.Certificates = []tls.Certificate{pair}
		}
	}
	if t.NoHostnameCheck {
		// Verify the chain as usual, only not the name, as the Java
		// client does with an empty identification algorithm.
		cfg.InsecureSkipVerify = true
		roots := cfg.RootCAs
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			opts := x509.VerifyOptions{Roots: roots, Intermediates: x509.NewCertPool()}
			for _, c := range cs.PeerCertificates[1:] {
				opts.Intermediates.AddCert(c)
			}
			_, err := cs.PeerCertificates[0].Verify(opts)
			return err
		}
	}
	p.add(kgo.DialTLSConfig(cfg))
}

func (p *parser) sasl(a *drivers.SASL) {
	switch a.Mechanism {
	case drivers.MechPlain:
		p.add(kgo.SASL(plain.Auth{User: a.User, Pass: a.Pass}.AsMechanism()))
	case drivers.MechScram256:
		p.add(kgo.SASL(scram.Auth{User: a.User, Pass: a.Pass}.AsSha256Mechanism()))
	case drivers.MechScram512:
		p.add(kgo.SASL(scram.Auth{User: a.User, Pass: a.Pass}.AsSha512Mechanism()))
	case drivers.MechOAuthBearer:
		if a.OIDC != nil {
			p.add(kgo.SASL(oauth.Oauth(clientCredentials(*a.OIDC))))
			return
		}
		p.add(kgo.SASL(oauth.Auth{Token: a.Token}.AsMechanism()))
	case drivers.MechAWSMSKIAM:
		if a.AWSRole != "" {
			p.fail("sasl.jaas.config", "awsRoleArn is not supported: assume the role outside kbench and give its credentials in AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN")
			return
		}
		p.add(kgo.SASL(aws.ManagedStreamingIAM(awsFromEnv)))
	}
}

// awsFromEnv reads AWS credentials from the standard environment variables
// at each login, so refreshed session credentials are picked up.
func awsFromEnv(context.Context) (aws.Auth, error) {
	a := aws.Auth{AccessKey: os.Getenv("AWS_ACCESS_KEY_ID"), SecretKey: os.Getenv("AWS_SECRET_ACCESS_KEY"),
		SessionToken: os.Getenv("AWS_SESSION_TOKEN")}
	if a.AccessKey == "" || a.SecretKey == "" {
		return a, errors.New("AWS_MSK_IAM needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment")
	}
	return a, nil
}

// clientCredentials fetches an OAuth token with the client-credentials
// grant (RFC 6749 4.4) at each login; kgo logs in again before a session
// the broker bounds expires.
func clientCredentials(o drivers.OIDC) func(context.Context) (oauth.Auth, error) {
	return func(ctx context.Context) (oauth.Auth, error) {
		form := url.Values{"grant_type": {"client_credentials"}}
		if o.Scope != "" {
			form.Set("scope", o.Scope)
		}
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, o.TokenURL, strings.NewReader(form.Encode()))
		if err != nil {
			return oauth.Auth{}, fmt.Errorf("OAuth token request: %w", err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(url.QueryEscape(o.ClientID), url.QueryEscape(o.ClientSecret))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return oauth.Auth{}, fmt.Errorf("OAuth token request to %s: %w", o.TokenURL, err)
		}
		defer resp.Body.Close()
		var body struct {
			AccessToken string `json:"access_token"`
		}
		if resp.StatusCode != http.StatusOK {
			return oauth.Auth{}, fmt.Errorf("OAuth token request to %s: %s", o.TokenURL, resp.Status)
		}
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.AccessToken == "" {
			return oauth.Auth{}, fmt.Errorf("OAuth token endpoint %s answered no access_token", o.TokenURL)
		}
		return oauth.Auth{Token: body.AccessToken}, nil
	}
}
