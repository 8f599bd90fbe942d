package franz

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/kbench/kbench/drivers"
)

func TestSecurityRefusals(t *testing.T) {
	for _, tc := range []struct {
		name  string
		props map[string]string
		key   string // the property the error names
	}{
		{"a PKCS12 keystore", map[string]string{"security.protocol": "SSL", "ssl.keystore.type": "PKCS12",
			"ssl.keystore.location": "/k.p12", "ssl.keystore.password": "hunter2"}, "ssl.keystore.type"},
		{"an MSK role to assume", map[string]string{"security.protocol": "SASL_SSL", "sasl.mechanism": "AWS_MSK_IAM",
			"sasl.jaas.config": `software.amazon.msk.auth.iam.IAMLoginModule required awsRoleArn="arn:aws:iam::1:role/r";`}, "sasl.jaas.config"},
	} {
		_, err := producerOpts(tc.props)
		var pe *drivers.PropertyError
		if !errors.As(err, &pe) || pe.Key != tc.key {
			t.Errorf("%s: err = %v, want one naming %s", tc.name, err, tc.key)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: the error shows a secret", tc.name)
		}
	}
	// What franz-go does take: static OAUTHBEARER tokens and MSK IAM.
	for _, props := range []map[string]string{
		{"security.protocol": "SASL_SSL", "sasl.mechanism": "OAUTHBEARER", "sasl.oauthbearer.token": "t"},
		{"security.protocol": "SASL_SSL", "sasl.mechanism": "AWS_MSK_IAM", "sasl.jaas.config": "software.amazon.msk.auth.iam.IAMLoginModule required;"},
	} {
		if _, err := consumerOpts(props); err != nil {
			t.Errorf("%v: %v", props, err)
		}
	}
}

func TestClientCredentials(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, secret, ok := r.BasicAuth()
		if r.Method != http.MethodPost || !ok || id != "kbench" || secret != "s3cret" ||
			r.FormValue("grant_type") != "client_credentials" || r.FormValue("scope") != "kafka" {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		w.Write([]byte(`{"access_token":"tok","token_type":"bearer","expires_in":3600}`))
	}))
	defer srv.Close()
	auth, err := clientCredentials(drivers.OIDC{TokenURL: srv.URL, ClientID: "kbench", ClientSecret: "s3cret", Scope: "kafka"})(context.Background())
	if err != nil || auth.Token != "tok" {
		t.Fatalf("token %q, err %v", auth.Token, err)
	}
	_, err = clientCredentials(drivers.OIDC{TokenURL: srv.URL, ClientID: "kbench", ClientSecret: "wrong"})(context.Background())
	if err == nil || strings.Contains(err.Error(), "wrong") {
		t.Errorf("a refused login: err = %v, want one without the secret", err)
	}
}
