package analysis

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"sync"

	"github.com/stride-dev/stride/api/v1alpha1"
)

// maxTransports bounds the cache of transports; it is emptied when full.
const maxTransports = 64

// httpClients builds HTTP clients for providers: one shared transport (and its pool of
// connections) per TLS setting, and credentials read from Secrets on every request so that a
// rotated Secret takes effect at the next measurement.
type httpClients struct {
	secrets SecretReader

	mu         sync.Mutex
	transports map[transportKey]*http.Transport
}

type transportKey struct {
	insecure bool
	ca       [sha256.Size]byte
}

func newHTTPClients(secrets SecretReader) *httpClients {
	return &httpClients{secrets: secrets, transports: map[transportKey]*http.Transport{}}
}

// roundTripper returns a RoundTripper with the TLS settings and credentials of a provider.
func (c *httpClients) roundTripper(ctx context.Context, namespace string, auth *v1alpha1.ProviderAuth, tlsCfg *v1alpha1.TLSConfig) (http.RoundTripper, error) {
	var key transportKey
	var ca []byte
	if tlsCfg != nil {
		key.insecure = tlsCfg.InsecureSkipVerify
		if tlsCfg.CASecret != nil {
			pem, err := c.secret(ctx, namespace, *tlsCfg.CASecret, "CA bundle")
			if err != nil {
				return nil, err
			}
			ca = []byte(pem)
			key.ca = sha256.Sum256(ca)
		}
	}
	t, err := c.transport(key, ca)
	if err != nil {
		return nil, err
	}
	if auth == nil {
		return t, nil
	}
	a := &authRoundTripper{next: t}
	switch {
	case auth.BearerToken != nil:
		tok, err := c.secret(ctx, namespace, *auth.BearerToken, "bearer token")
		if err != nil {
			return nil, err
		}
		a.bearer = tok
	case auth.Basic != nil:
		user, err := c.secret(ctx, namespace, auth.Basic.Username, "user name")
		if err != nil {
			return nil, err
		}
		pass, err := c.secret(ctx, namespace, auth.Basic.Password, "password")
		if err != nil {
			return nil, err
		}
		a.user, a.pass, a.basic = user, pass, true
	default:
		return t, nil
	}
	return a, nil
}

func (c *httpClients) secret(ctx context.Context, namespace string, ref v1alpha1.SecretKeyRef, what string) (string, error) {
	if c.secrets == nil {
		return "", fmt.Errorf("read %s: no Secret reader configured", what)
	}
	v, err := c.secrets(ctx, namespace, ref)
	if err != nil {
		return "", fmt.Errorf("read %s from Secret %s key %s: %w", what, ref.Name, ref.Key, err)
	}
	return v, nil
}

func (c *httpClients) transport(key transportKey, ca []byte) (*http.Transport, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t, ok := c.transports[key]; ok {
		return t, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: key.insecure} //nolint:gosec // the user asks for it
	if len(ca) > 0 {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(ca) {
			return nil, errors.New("the CA bundle holds no PEM certificate")
		}
		cfg.RootCAs = pool
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = cfg
	t.MaxIdleConnsPerHost = 4
	if len(c.transports) >= maxTransports {
		for k, old := range c.transports {
			old.CloseIdleConnections()
			delete(c.transports, k)
		}
	}
	c.transports[key] = t
	return t, nil
}

// authRoundTripper adds credentials to each request.
type authRoundTripper struct {
	next       http.RoundTripper
	bearer     string
	user, pass string
	basic      bool
}

func (a *authRoundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	if a.basic {
		req.SetBasicAuth(a.user, a.pass)
	} else {
		req.Header.Set("Authorization", "Bearer "+a.bearer)
	}
	return a.next.RoundTrip(req)
}
