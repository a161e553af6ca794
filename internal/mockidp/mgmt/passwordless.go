package mgmt

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"math/big"
	"net/url"
	"strings"
	"sync"
	"time"

	"connectrpc.com/connect"

	"github.com/skctl/skctl/internal/mockidp/ids"
	"github.com/skctl/skctl/internal/mockidp/mailbox"
	pwlpb "github.com/skctl/skctl/internal/scalekitpb/auth/passwordless"
)

// Passwordless limits, as Scalekit documents them: a code or link lives
// five minutes unless expires_in says otherwise, an address gets at most
// two emails a minute (sends and resends together), and a request takes
// a few wrong codes before it is spent.
const (
	defaultPasswordlessLife = 5 * time.Minute
	maxPasswordlessLife     = 24 * time.Hour
	emailsPerMinute         = 2
	maxWrongCodes           = 5
	// maxPendingRequests bounds the requests kept: past it, a send is
	// refused until some are verified or expire, rather than the mock
	// growing without end.
	maxPendingRequests = 10000
	// maxFieldBytes bounds the strings a request keeps (state, the
	// magic link's URI).
	maxFieldBytes = 2048
)

// passwordlessRequest is one sent code or link, until verified, expired
// or spent.
type passwordlessRequest struct {
	email, state  string
	template      pwlpb.TemplateType
	kind          pwlpb.PasswordlessType
	code          string
	linkKey       string // ids.Key of the link token
	magicLinkURI  string // the app's landing page
	link          string // the landing page with the current link_token
	life          time.Duration
	expires       time.Time
	wrong         int
	used, invalid bool
}

// passwordlessState holds the requests and each address's recent emails.
type passwordlessState struct {
	mu      sync.Mutex
	swept   time.Time                       // the last sweep: at most one a second
	byID    map[string]*passwordlessRequest // by auth_request_id
	byLink  map[string]string               // link key → auth_request_id
	emailed map[string][]time.Time          // address → send times in the last minute
}

func newPasswordlessState() *passwordlessState {
	return &passwordlessState{byID: map[string]*passwordlessRequest{}, byLink: map[string]string{}, emailed: map[string][]time.Time{}}
}

// passwordlessService is PasswordlessService: headless magic links and
// one-time codes, delivered to the mock's mailbox instead of an inbox.
type passwordlessService struct{ a *API }

func (s *passwordlessService) SendPasswordlessEmail(ctx context.Context, req *connect.Request[pwlpb.SendPasswordlessRequest]) (*connect.Response[pwlpb.SendPasswordlessResponse], error) {
	in := req.Msg
	email := strings.ToLower(strings.TrimSpace(in.GetEmail()))
	if email == "" {
		return nil, required("email")
	}
	if !plausibleEmail(email) {
		return nil, invalid("email", "is not an email address")
	}
	if len(in.GetState()) > maxFieldBytes {
		return nil, invalid("state", "is longer than 2048 bytes")
	}
	if len(in.GetMagiclinkAuthUri()) > maxFieldBytes {
		return nil, invalid("magiclink_auth_uri", "is longer than 2048 bytes")
	}
	life := defaultPasswordlessLife
	if in.ExpiresIn != nil {
		life = time.Duration(in.GetExpiresIn()) * time.Second
		if life <= 0 || life > maxPasswordlessLife {
			return nil, invalid("expires_in", "must be between 1 and 86400 seconds")
		}
	}
	// A magic link needs the app's page to land on; without one the
	// email carries a code only.
	kind := pwlpb.PasswordlessType_OTP
	if uri := in.GetMagiclinkAuthUri(); uri != "" {
		if u, err := url.Parse(uri); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, invalid("magiclink_auth_uri", "must be an absolute http(s) URL of your app, where the link lands with ?link_token=")
		}
		kind = pwlpb.PasswordlessType_LINK_OTP
	}
	template := in.GetTemplate()
	if template == pwlpb.TemplateType_UNSPECIFIED {
		template = pwlpb.TemplateType_SIGNIN
	}
	r := &passwordlessRequest{email: email, state: in.GetState(), template: template, kind: kind, magicLinkURI: in.GetMagiclinkAuthUri(), life: life}
	id, sent, err := s.a.pwl.add(r, s.a.d.NewID("pwl_"), s.a.d.Now())
	if err != nil {
		return nil, err
	}
	s.a.deliver(sent)
	return connect.NewResponse(sendResponse(id, sent)), nil
}

// ResendPasswordlessEmail sends a new code (and link) for a request.
func (s *passwordlessService) ResendPasswordlessEmail(ctx context.Context, req *connect.Request[pwlpb.ResendPasswordlessRequest]) (*connect.Response[pwlpb.SendPasswordlessResponse], error) {
	id := req.Msg.GetAuthRequestId()
	if id == "" {
		return nil, required("auth_request_id")
	}
	r, err := s.a.pwl.renew(id, s.a.d.Now())
	if err != nil {
		return nil, err
	}
	s.a.deliver(r)
	return connect.NewResponse(sendResponse(id, r)), nil
}

func (s *passwordlessService) VerifyPasswordlessEmail(ctx context.Context, req *connect.Request[pwlpb.VerifyPasswordLessRequest]) (*connect.Response[pwlpb.VerifyPasswordLessResponse], error) {
	in := req.Msg
	var (
		r   *passwordlessRequest
		err error
	)
	now := s.a.d.Now()
	switch {
	case in.GetLinkToken() != "":
		r, err = s.a.pwl.verifyLink(in.GetLinkToken(), in.GetAuthRequestId(), now)
	case in.GetCode() != "":
		if in.GetAuthRequestId() == "" {
			return nil, required("auth_request_id")
		}
		r, err = s.a.pwl.verifyCode(in.GetAuthRequestId(), in.GetCode(), now)
	default:
		return nil, required("code")
	}
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&pwlpb.VerifyPasswordLessResponse{
		Email: r.email, State: optional(r.state), Template: &r.template, PasswordlessType: r.kind,
	}), nil
}

func sendResponse(id string, r *passwordlessRequest) *pwlpb.SendPasswordlessResponse {
	return &pwlpb.SendPasswordlessResponse{
		AuthRequestId:    id,
		ExpiresAt:        r.expires.Unix(),
		ExpiresIn:        uint32(r.life / time.Second),
		PasswordlessType: r.kind,
	}
}

// deliver puts the email in the mailbox.
func (a *API) deliver(r *passwordlessRequest) {
	if a.d.Mail == nil {
		return
	}
	m := mailbox.Message{To: r.email, Kind: "passwordless", Code: r.code, Created: a.d.Now(),
		Subject: "Your sign-in code is " + r.code}
	if r.kind != pwlpb.PasswordlessType_OTP {
		m.Link = r.link
	}
	a.d.Mail.Deliver(m)
}

// add records a new request, within the address's rate limit, with a
// fresh code and link.
func (p *passwordlessState) add(r *passwordlessRequest, id string, now time.Time) (string, *passwordlessRequest, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sweep(now)
	if len(p.byID) >= maxPendingRequests {
		return "", nil, withInfo(connect.CodeResourceExhausted, fmt.Sprintf("%d passwordless requests are pending, the most the mock keeps: wait for some to be verified or to expire", maxPendingRequests), nil)
	}
	if err := p.rateLimit(r.email, now); err != nil {
		return "", nil, err
	}
	p.byID[id] = r
	p.issue(id, r, now)
	cp := *r
	return id, &cp, nil
}

// renew issues a new code and link for a request; the old ones stop
// working, as with Scalekit's "issue new credentials on resend".
func (p *passwordlessState) renew(id string, now time.Time) (*passwordlessRequest, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r := p.byID[id]
	if r == nil {
		return nil, invalid("auth_request_id", "is not a passwordless request of this environment")
	}
	if err := r.usable(now); err != nil {
		return nil, err // used, spent or expired: FailedPrecondition
	}
	if err := p.rateLimit(r.email, now); err != nil {
		return nil, err
	}
	delete(p.byLink, r.linkKey)
	r.wrong = 0
	p.issue(id, r, now)
	cp := *r
	return &cp, nil
}

// issue gives a request a new code, link and expiry. The caller holds mu.
func (p *passwordlessState) issue(id string, r *passwordlessRequest, now time.Time) {
	r.code = sixDigits()
	r.expires = now.Add(r.life)
	if r.kind != pwlpb.PasswordlessType_OTP {
		token := ids.Token()
		r.linkKey = ids.Key(token)
		p.byLink[r.linkKey] = id
		u, _ := url.Parse(r.magicLinkURI) // checked at send
		q := u.Query()
		q.Set("link_token", token)
		u.RawQuery = q.Encode()
		r.link = u.String()
	}
}

// rateLimit allows emailsPerMinute emails per address. The caller holds
// mu.
func (p *passwordlessState) rateLimit(email string, now time.Time) error {
	recent := p.emailed[email][:0]
	for _, t := range p.emailed[email] {
		if now.Sub(t) < time.Minute {
			recent = append(recent, t)
		}
	}
	if len(recent) >= emailsPerMinute {
		p.emailed[email] = recent
		return withInfo(connect.CodeResourceExhausted, fmt.Sprintf("too many emails to %s: at most %d a minute; wait and try again", email, emailsPerMinute), nil)
	}
	p.emailed[email] = append(recent, now)
	return nil
}

func (p *passwordlessState) verifyCode(id, code string, now time.Time) (*passwordlessRequest, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r := p.byID[id]
	if err := r.usable(now); err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare([]byte(code), []byte(r.code)) != 1 {
		r.wrong++
		if r.wrong >= maxWrongCodes {
			r.invalid = true
			return nil, withInfo(connect.CodeFailedPrecondition, "too many wrong codes: this request is spent; send a new email", nil)
		}
		return nil, invalid("code", fmt.Sprintf("is not the code sent; %d attempts left", maxWrongCodes-r.wrong))
	}
	r.used = true
	cp := *r
	return &cp, nil
}

func (p *passwordlessState) verifyLink(token, id string, now time.Time) (*passwordlessRequest, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	linked, ok := p.byLink[ids.Key(token)]
	if !ok || (id != "" && id != linked) {
		return nil, invalid("link_token", "is not a link this environment sent, or was replaced by a resend")
	}
	r := p.byID[linked]
	if err := r.usable(now); err != nil {
		return nil, err
	}
	r.used = true
	cp := *r
	return &cp, nil
}

// usable says why a request can no longer be verified, if it cannot.
func (r *passwordlessRequest) usable(now time.Time) error {
	switch {
	case r == nil:
		return invalid("auth_request_id", "is not a passwordless request of this environment")
	case r.used:
		return withInfo(connect.CodeFailedPrecondition, "this code or link was already used: send a new email", nil)
	case r.invalid:
		return withInfo(connect.CodeFailedPrecondition, "too many wrong codes: this request is spent; send a new email", nil)
	case !now.Before(r.expires):
		return withInfo(connect.CodeFailedPrecondition, "this code or link has expired: send a new email", nil)
	}
	return nil
}

// sweep drops requests that can no longer be verified, and addresses
// that sent nothing in the last minute, at most once a second: a send
// never walks the whole state more often. The caller holds mu.
func (p *passwordlessState) sweep(now time.Time) {
	if !dueSweep(p.swept, now) {
		return
	}
	p.swept = now
	for id, r := range p.byID {
		if r.usable(now) != nil {
			delete(p.byID, id)
			delete(p.byLink, r.linkKey)
		}
	}
	for email, ts := range p.emailed {
		if len(ts) == 0 || now.Sub(ts[len(ts)-1]) >= time.Minute {
			delete(p.emailed, email)
		}
	}
}

func sixDigits() string {
	n, _ := rand.Int(rand.Reader, big.NewInt(1000000))
	return fmt.Sprintf("%06d", n.Int64())
}

// dueSweep reports whether a second has passed since the last sweep (or
// the clock went back, or none was made).
func dueSweep(last, now time.Time) bool {
	d := now.Sub(last)
	return last.IsZero() || d < 0 || d >= time.Second
}
