package local

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kbench/kbench/cluster"
	"github.com/kbench/kbench/drivers"
)

// The SCRAM users of a SASL_SSL cluster: the brokers' own, and the one its
// client properties file logs in as.
const (
	brokerUser   = "kbench-broker"
	ClientUser   = "kbench"
	clientListen = "CLIENT"
)

// Files of a secured cluster, in Dir/security.
const (
	securityDir      = "security"
	caFile           = "ca.pem"
	brokerKeystore   = "broker.pem"
	clientKeystore   = "client.pem"
	ClientConfigFile = "client.properties"
)

// localSecrets are a secured cluster's generated passwords. The storage
// tool stores the SCRAM users at format time; afterwards they live only in
// the brokers' and the client's properties files.
type localSecrets struct {
	BrokerPassword, ClientPassword string
}

// setUpSecurity makes the CA, the certificates and the passwords of a
// secured cluster in dir/security, and returns the broker properties that
// secure the client listener. The client properties file is written by
// writeClientConfig once the ports are known.
func setUpSecurity(dir string, sec cluster.Security) (map[string]string, localSecrets, error) {
	var secrets localSecrets
	sdir := filepath.Join(dir, securityDir)
	if err := os.MkdirAll(sdir, 0o700); err != nil {
		return nil, secrets, fmt.Errorf("local cluster security: %w", err)
	}
	ca, caKey, err := newCA()
	if err != nil {
		return nil, secrets, err
	}
	if err := os.WriteFile(filepath.Join(sdir, caFile), pemCert(ca), 0o644); err != nil {
		return nil, secrets, fmt.Errorf("local cluster security: %w", err)
	}
	for _, f := range []struct {
		file, cn string
		server   bool
	}{{brokerKeystore, "kbench-broker", true}, {clientKeystore, ClientUser, false}} {
		if err := writeLeaf(filepath.Join(sdir, f.file), f.cn, f.server, ca, caKey); err != nil {
			return nil, secrets, err
		}
	}
	props := map[string]string{
		"listener.security.protocol.map": clientListen + ":" + strings.ToUpper(string(sec)) + ",CONTROLLER:PLAINTEXT",
		"inter.broker.listener.name":     clientListen,
		"ssl.keystore.type":              "PEM",
		"ssl.keystore.location":          filepath.Join(sdir, brokerKeystore),
		"ssl.truststore.type":            "PEM",
		"ssl.truststore.location":        filepath.Join(sdir, caFile),
	}
	switch sec {
	case cluster.SecuritySASLSSL:
		secrets = localSecrets{BrokerPassword: newPassword(), ClientPassword: newPassword()}
		props["sasl.enabled.mechanisms"] = drivers.MechScram512
		props["sasl.mechanism.inter.broker.protocol"] = drivers.MechScram512
		props["listener.name.client.scram-sha-512.sasl.jaas.config"] = scramJAAS(brokerUser, secrets.BrokerPassword)
	case cluster.SecurityMTLS:
		props["listener.security.protocol.map"] = clientListen + ":SSL,CONTROLLER:PLAINTEXT"
		props["ssl.client.auth"] = "required"
	}
	return props, secrets, nil
}

// secureListeners renames the client listener of a node's properties, so
// the protocol map can secure it.
func secureListeners(p map[string]string) {
	for _, k := range []string{"listeners", "advertised.listeners"} {
		p[k] = strings.ReplaceAll(p[k], "PLAINTEXT://", clientListen+"://")
	}
}

// scramArgs are the storage tool's arguments creating the SCRAM users.
func (s localSecrets) scramArgs() []string {
	if s.BrokerPassword == "" {
		return nil
	}
	var args []string
	for _, u := range [][2]string{{brokerUser, s.BrokerPassword}, {ClientUser, s.ClientPassword}} {
		args = append(args, "--add-scram", fmt.Sprintf("%s=[name=%s,password=%s]", drivers.MechScram512, u[0], u[1]))
	}
	return args
}

func scramJAAS(user, password string) string {
	return fmt.Sprintf(`org.apache.kafka.common.security.scram.ScramLoginModule required username="%s" password="%s";`, user, password)
}

// writeClientConfig writes the client properties file of a secured
// cluster, as a Java client (or --client-config) takes it.
func writeClientConfig(dir string, sec cluster.Security, secrets localSecrets, bootstrap []string) error {
	sdir := filepath.Join(dir, securityDir)
	props := map[string]string{
		"bootstrap.servers":       strings.Join(bootstrap, ","),
		"ssl.truststore.type":     "PEM",
		"ssl.truststore.location": filepath.Join(sdir, caFile),
	}
	switch sec {
	case cluster.SecuritySASLSSL:
		props["security.protocol"] = "SASL_SSL"
		props["sasl.mechanism"] = drivers.MechScram512
		props["sasl.jaas.config"] = scramJAAS(ClientUser, secrets.ClientPassword)
	case cluster.SecurityMTLS:
		props["security.protocol"] = "SSL"
		props["ssl.keystore.type"] = "PEM"
		props["ssl.keystore.location"] = filepath.Join(sdir, clientKeystore)
	}
	path := filepath.Join(sdir, ClientConfigFile)
	if err := writeProperties(path, props); err != nil {
		return err
	}
	return os.Chmod(path, 0o600) // it holds a password
}

// ClientConfigPath is the client properties file of a secured cluster,
// "" for a plaintext one.
func (l *Cluster) ClientConfigPath() string {
	if l.security == cluster.SecurityNone {
		return ""
	}
	return filepath.Join(l.dir, securityDir, ClientConfigFile)
}

// ClientProps returns the client properties every client of the cluster
// needs (its security), without bootstrap.servers; nil for a plaintext
// cluster.
func (l *Cluster) ClientProps() map[string]string {
	path := l.ClientConfigPath()
	if path == "" {
		return nil
	}
	props, err := drivers.ReadClientConfig(path)
	if err != nil {
		return nil
	}
	delete(props, "bootstrap.servers")
	return props
}

func newPassword() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func newCA() (*x509.Certificate, *ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("local cluster CA: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "kbench local CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().AddDate(1, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("local cluster CA: %w", err)
	}
	ca, err := x509.ParseCertificate(der)
	return ca, key, err
}

// writeLeaf writes a PEM keystore (PKCS#8 key, then the certificate and
// the CA) for a certificate of cn signed by ca, valid for 127.0.0.1 and
// localhost. The brokers' serves both sides (they replicate over TLS).
func writeLeaf(path, cn string, server bool, ca *x509.Certificate, caKey *ecdsa.PrivateKey) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("local cluster certificate: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().AddDate(1, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if server {
		tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageServerAuth)
		tmpl.DNSNames = []string{"localhost"}
		tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return fmt.Errorf("local cluster certificate: %w", err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("local cluster certificate: %w", err)
	}
	data := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})
	data = append(data, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	data = append(data, pemCert(ca)...)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return fmt.Errorf("local cluster certificate: %w", err)
	}
	return nil
}

func pemCert(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 126))
	return n
}
