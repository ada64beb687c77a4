package main

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"os"
	"testing"
)

// useTLSClient makes the test's HTTP helpers trust zbemu's local CA. It
// swaps the helpers' one client, so a test calling it must not call
// t.Parallel: it then runs before any parallel test starts.
func useTLSClient(t *testing.T, caPath string) {
	pem, err := os.ReadFile(caPath)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	old := httpClientFn
	httpClientFn = func() *http.Client { return c }
	t.Cleanup(func() { httpClientFn = old })
}
