package fault

import (
	"bytes"
	"net"
	"net/url"
	"strings"

	"github.com/skctl/skctl/internal/mockidp/wire"
)

// Discovery changes the discovery document as the discovery.* modes say.
func (e *Env) Discovery(d *wire.Discovery) {
	if e.faults.Has(DiscoveryIssuerMismatch) {
		d.Issuer += "/other-issuer"
	}
	if e.faults.Has(DiscoveryNoPKCE) {
		d.CodeChallengeMethodsSupported = nil
	}
	if e.faults.Has(DiscoveryIssParamSupported) {
		d.IssParameterSupported = true
	}
	if e.faults.On(DiscoveryHTTPEndpoints, "") {
		base := insecureBase(e.issuer)
		d.AuthorizationEndpoint = base + "/oauth/authorize"
		d.TokenEndpoint = base + "/oauth/token"
		d.UserinfoEndpoint = base + "/userinfo"
		d.JWKSURI = base + e.keysPath
		d.EndSessionEndpoint = base + "/oidc/logout"
	}
	if e.faults.On(DiscoveryMissingFields, "") {
		d.JWKSURI, d.TokenEndpoint = "", ""
	}
	if p, ok := e.faults.Take(DiscoveryAlgs, ""); ok {
		d.IDTokenSigningAlgValuesSupported = []string{}
		for a := range strings.SplitSeq(p, ",") {
			if a = strings.TrimSpace(a); a != "" {
				d.IDTokenSigningAlgValuesSupported = append(d.IDTokenSigningAlgValuesSupported, a)
			}
		}
	}
}

// DiscoveryBody changes the encoded document: cut off mid-document, or
// grown past what an app should read.
func (e *Env) DiscoveryBody(doc []byte) []byte {
	malformed, huge := e.faults.On(DiscoveryMalformed, ""), e.faults.On(DiscoveryHuge, "")
	switch {
	case malformed:
		return doc[:len(doc)/2] // 200, application/json, cut off mid-document
	case huge:
		return padJSONObject(doc, "x_skctl_padding", hugeSize)
	}
	return doc
}

// hugeSize is the size past which the *.huge modes' documents grow: an
// app should bound what it reads from the IdP (I2).
const hugeSize = 2 << 20

// padJSONObject adds a string member of n bytes to the JSON object doc, so
// that it stays valid JSON but grows past n bytes.
func padJSONObject(doc []byte, name string, n int) []byte {
	end := bytes.LastIndexByte(doc, '}')
	if end < 0 {
		return doc
	}
	out := make([]byte, 0, len(doc)+n+len(name)+16)
	out = append(out, bytes.TrimRight(doc[:end], " \n")...)
	out = append(out, ",\n  \""+name+"\": \""...)
	out = append(out, bytes.Repeat([]byte("x"), n)...)
	out = append(out, "\"\n}"...)
	return out
}

// insecureBase is the issuer moved to plain http on another host that
// still reaches the mock where it can (127.0.0.1 and localhost swap), for
// discovery.http_endpoints: an app that does not check the endpoints it
// discovers still signs in, so the test sees that it did not (I4).
func insecureBase(issuer string) string {
	u, err := url.Parse(issuer)
	if err != nil {
		return "http://insecure.invalid"
	}
	host := u.Hostname()
	switch host {
	case "127.0.0.1", "::1":
		host = "localhost"
	case "localhost":
		host = "127.0.0.1"
	default:
		host = "insecure." + host
	}
	if port := u.Port(); port != "" {
		host = net.JoinHostPort(host, port)
	}
	u.Scheme, u.Host = "http", host
	return u.String()
}
