package webapp

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"golang.org/x/oauth2"
)

// failure is what an error page shows: a status, a fixed plain-language
// message and a way on. Library error text never reaches the page (J1).
type failure struct {
	status         int
	title, message string
	action         *link
}

var (
	signInAgain = &link{"/api/auth/login", "Sign in again"}
	tryAgain    = &link{"/", "Try again"}
)

// fail renders a failure with the request's correlation ID, which is also
// in the logs, so a user's report finds the log line (J1).
func (a *App) fail(w http.ResponseWriter, r *http.Request, f failure, reason string) {
	id := requestID(r.Context())
	a.log.Warn("request failed", "request_id", id, "path", r.URL.Path, "status", f.status, "reason", reason)
	a.countFailure(r, f)
	render(w, f.status, "error", pageData{Title: f.title, Message: f.message, Action: f.action, RequestID: id, SignedIn: a.hasSession(r)})
}

var errIdPUnavailable = failure{http.StatusServiceUnavailable, "Sign-in is unavailable",
	"We cannot reach the sign-in service right now. You have not been signed out; please try again in a moment.", tryAgain}

// idpFailure sorts an error of a call to the IdP into the page the user
// sees (B6, E4): a timeout is 504, an unreachable IdP 503, anything else
// the IdP got wrong 502.
func idpFailure(err error) failure {
	switch {
	case isTimeout(err):
		return failure{http.StatusGatewayTimeout, "Sign-in timed out", "The sign-in service took too long to answer. Please try again.", tryAgain}
	case isNetwork(err):
		return errIdPUnavailable
	default:
		return failure{http.StatusBadGateway, "Sign-in failed", "The sign-in service gave an answer this app cannot use. Please try again; if it keeps happening, tell the app's operators the reference below.", tryAgain}
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

func isNetwork(err error) bool {
	var ue *url.Error
	var oe *net.OpError
	return errors.As(err, &ue) || errors.As(err, &oe)
}

// oauthErrorCode returns the RFC 6749 error code of a token-endpoint
// error, or "".
func oauthErrorCode(err error) (string, int) {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		status := 0
		if re.Response != nil {
			status = re.Response.StatusCode
		}
		return re.ErrorCode, status
	}
	return "", 0
}

// safeReason describes an error for the logs without its text: library
// errors quote response bodies, which may hold tokens (J2).
func safeReason(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) { // its Error() quotes the body
		code, status := oauthErrorCode(err)
		if code == "" {
			code = "no error code"
		}
		return "token endpoint " + strconv.Itoa(status) + " " + code
	}
	var cert *tls.CertificateVerificationError
	switch {
	case err == nil:
		return ""
	case isTimeout(err):
		return "timeout"
	case errors.As(err, &cert): // never retried into trust: say why
		return "TLS: the IdP certificate did not verify"
	case isNetwork(err):
		var oe *net.OpError
		if errors.As(err, &oe) {
			return "network: " + oe.Op + " " + oe.Err.Error()
		}
		return "network error"
	}
	// Keep the fixed part of go-oidc's and our own messages: a package
	// prefix and one clause, never what follows (a body, a token).
	parts := strings.SplitN(err.Error(), ": ", 3)
	msg := parts[0]
	if len(parts) > 1 && (msg == "oidc" || msg == "oidcx" || msg == "oauth2" || msg == "discovery" || msg == "webapp" || msg == "refresh") {
		msg += ": " + parts[1]
	}
	if i := strings.IndexAny(msg, "\"{<'"); i >= 0 {
		msg = msg[:i]
	}
	if len(msg) > 120 {
		msg = msg[:120]
	}
	return strings.TrimSpace(msg)
}
