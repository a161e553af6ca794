package checkconfig

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/skctl/skctl/internal/config"
)

// do sends one request to the environment; the body is capped by the
// client's transport. form, when set, is sent url-encoded.
func (st *state) do(ctx context.Context, method, u string, form url.Values) (*http.Response, []byte, error) {
	return st.doWith(ctx, method, u, form, nil)
}

// doWith is do with extra request headers.
func (st *state) doWith(ctx context.Context, method, u string, form url.Values, header http.Header) (*http.Response, []byte, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, nil, err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("User-Agent", "skctl-check-config")
	resp, err := st.o.Client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}

// isUnreachable reports whether err means the IdP could not be reached at
// all: DNS, connection refused, a timeout.
func isUnreachable(err error) bool {
	var ne net.Error
	var de *net.DNSError
	var oe *net.OpError
	return errors.As(err, &de) || errors.As(err, &oe) || (errors.As(err, &ne) && ne.Timeout()) || errors.Is(err, context.DeadlineExceeded)
}

// describe says what went wrong with a request, without quoting a body.
func describe(err error) string {
	reason, _ := diagnose(err)
	return reason
}

// diagnose says what went wrong with a request, without quoting a body,
// and, when the failure calls for a fix of its own (a certificate this
// machine cannot trust), what to do; hint is "" otherwise, for the
// caller's.
func diagnose(err error) (reason, hint string) {
	var de *net.DNSError
	var oe *net.OpError
	var ne net.Error
	var ue *url.Error
	switch {
	case err == nil:
		return "", ""
	case errors.As(err, &de):
		return "the host " + de.Name + " was not found (DNS)", ""
	case errors.As(err, &ne) && ne.Timeout(), errors.Is(err, context.DeadlineExceeded):
		return "timed out", ""
	}
	if reason, hint := diagnoseTLS(err, hostOf(err)); reason != "" {
		return reason, hint
	}
	switch {
	case errors.As(err, &oe):
		return oe.Op + ": " + oe.Err.Error(), ""
	case errors.As(err, &ue):
		// The transport's own words (say, "http: server gave HTTP
		// response to HTTPS client"), without the URL, which may carry a
		// query.
		return "the request failed: " + ue.Err.Error(), ""
	}
	return "the request failed", ""
}

// hostOf is the host:port of the request that failed with err, or "".
func hostOf(err error) string {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return ""
	}
	u, perr := url.Parse(ue.URL)
	if perr != nil {
		return ""
	}
	return u.Host
}

// certName is the name people know a certificate's subject or issuer
// by: its common name, else the whole distinguished name.
func certName(n pkix.Name) string {
	if n.CommonName != "" {
		return n.CommonName
	}
	return n.String()
}

// trustHint is what to do about a certificate no authority of this
// machine vouches for.
const trustHint = "Scalekit environments have publicly trusted certificates, so check that " + config.EnvEnvironmentURL +
	" is the environment URL and that no proxy intercepts TLS; to trust a proxy's or a private CA, add it to this machine's trust store, or name its PEM file in SSL_CERT_FILE"

// diagnoseTLS names a certificate that failed verification, from the
// x509 error types, and what to do; "" when err is no such failure.
func diagnoseTLS(err error, host string) (reason, hint string) {
	var unknown x509.UnknownAuthorityError
	var invalid x509.CertificateInvalidError
	var hostname x509.HostnameError
	var verification *tls.CertificateVerificationError
	prefix := "TLS: the certificate of " + host
	switch {
	case errors.As(err, &unknown):
		if c := unknown.Cert; c != nil && bytes.Equal(c.RawIssuer, c.RawSubject) {
			return prefix + " is self-signed (" + certName(c.Subject) + ")", trustHint
		}
		issuer := "unknown"
		if unknown.Cert != nil {
			issuer = certName(unknown.Cert.Issuer)
		}
		return prefix + " is signed by an authority this machine does not trust (" + issuer + ")", trustHint
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		clock := "check this machine's clock; if it is right, the server's certificate must be renewed"
		// The handshake judged the certificate by this machine's real
		// clock, so this does too.
		if c := invalid.Cert; c != nil && time.Now().Before(c.NotBefore) {
			return prefix + " is not valid until " + c.NotBefore.UTC().Format(time.RFC3339), clock
		}
		if c := invalid.Cert; c != nil {
			return prefix + " has expired (on " + c.NotAfter.UTC().Format(time.RFC3339) + ")", clock
		}
		return prefix + " has expired or is not valid yet", clock
	case errors.As(err, &hostname):
		names := "no host name"
		if c := hostname.Certificate; c != nil {
			var all []string
			all = append(all, c.DNSNames...)
			for _, ip := range c.IPAddresses {
				all = append(all, ip.String())
			}
			if len(all) > 0 {
				names = strings.Join(all, ", ")
			}
		}
		return prefix + " is for " + names + ", not " + hostname.Host,
			"use the host name the certificate is for in " + config.EnvEnvironmentURL + " (a Scalekit environment's, e.g. acme.scalekit.dev); if it is already right, a proxy or DNS entry sends it elsewhere"
	case errors.As(err, &invalid):
		return prefix + " is invalid: " + invalid.Error(), "the server's certificate must be fixed"
	case errors.As(err, &verification):
		return prefix + " could not be verified: " + verification.Err.Error(), trustHint
	}
	return "", ""
}
