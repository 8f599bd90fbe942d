package local

import (
	"crypto/tls"
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"

	"github.com/kbench/kbench/cluster"
	"github.com/kbench/kbench/drivers"
)

// TestSecurityFiles checks what a secured cluster is made of without
// starting one: the broker's certificate verifies for 127.0.0.1 against
// the CA, the client's for client authentication, and the client
// properties file reads back into the settings a driver takes.
func TestSecurityFiles(t *testing.T) {
	for _, sec := range cluster.Securities() {
		t.Run(string(sec), func(t *testing.T) {
			dir := t.TempDir()
			props, secrets, err := setUpSecurity(dir, sec)
			if err != nil {
				t.Fatal(err)
			}
			sdir := filepath.Join(dir, securityDir)
			caPEM, err := os.ReadFile(filepath.Join(sdir, caFile))
			if err != nil {
				t.Fatal(err)
			}
			roots := x509.NewCertPool()
			roots.AppendCertsFromPEM(caPEM)
			for _, c := range []struct {
				file  string
				usage x509.ExtKeyUsage
				host  string
			}{{brokerKeystore, x509.ExtKeyUsageServerAuth, "127.0.0.1"}, {clientKeystore, x509.ExtKeyUsageClientAuth, ""}} {
				data, err := os.ReadFile(filepath.Join(sdir, c.file))
				if err != nil {
					t.Fatal(err)
				}
				pair, err := tls.X509KeyPair(data, data)
				if err != nil {
					t.Fatalf("%s: %v", c.file, err)
				}
				leaf, _ := x509.ParseCertificate(pair.Certificate[0])
				if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, DNSName: c.host, KeyUsages: []x509.ExtKeyUsage{c.usage}}); err != nil {
					t.Errorf("%s does not verify: %v", c.file, err)
				}
			}
			if props["ssl.keystore.location"] != filepath.Join(sdir, brokerKeystore) || props["inter.broker.listener.name"] != clientListen {
				t.Errorf("broker properties: %v", props)
			}
			if err := writeClientConfig(dir, sec, secrets, []string{"127.0.0.1:9092"}); err != nil {
				t.Fatal(err)
			}
			client, err := drivers.ReadClientConfig(filepath.Join(sdir, ClientConfigFile))
			if err != nil {
				t.Fatal(err)
			}
			s, err := drivers.ParseSecurity("test", client)
			if err != nil {
				t.Fatal(err)
			}
			switch sec {
			case cluster.SecuritySASLSSL:
				if s.SASL == nil || s.SASL.Mechanism != drivers.MechScram512 || s.SASL.User != ClientUser || s.SASL.Pass != secrets.ClientPassword || s.TLS.CA == nil {
					t.Errorf("client settings: %+v %+v", s.TLS, s.SASL)
				}
				if len(secrets.scramArgs()) != 4 {
					t.Errorf("storage tool arguments: %d, want two --add-scram", len(secrets.scramArgs()))
				}
			case cluster.SecurityMTLS:
				if s.SASL != nil || s.TLS.Cert == nil || props["ssl.client.auth"] != "required" {
					t.Errorf("client settings: %+v %+v; broker %v", s.TLS, s.SASL, props)
				}
			}
		})
	}
}
