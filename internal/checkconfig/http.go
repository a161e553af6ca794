package checkconfig

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// do sends one request to the environment; the body is capped by the
// client's transport. form, when set, is sent url-encoded.
func (st *state) do(ctx context.Context, method, u string, form url.Values) (*http.Response, []byte, error) {
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
	var de *net.DNSError
	var oe *net.OpError
	var ne net.Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &de):
		return "the host " + de.Name + " was not found (DNS)"
	case errors.As(err, &ne) && ne.Timeout(), errors.Is(err, context.DeadlineExceeded):
		return "timed out"
	case errors.As(err, &oe):
		return oe.Op + ": " + oe.Err.Error()
	}
	return "the request failed"
}
