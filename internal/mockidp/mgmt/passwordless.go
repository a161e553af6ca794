package mgmt

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"connectrpc.com/connect"

	"github.com/skctl/skctl/internal/mockidp/mailbox"
	"github.com/skctl/skctl/internal/mockidp/passwordless"
	pwlpb "github.com/skctl/skctl/internal/scalekitpb/auth/passwordless"
)

// maxFieldBytes bounds the strings a request keeps (state, the magic
// link's URI).
const maxFieldBytes = 2048

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
	life := passwordless.DefaultLife
	if in.ExpiresIn != nil {
		life = time.Duration(in.GetExpiresIn()) * time.Second
		if life <= 0 || life > passwordless.MaxLife {
			return nil, invalid("expires_in", "must be between 1 and 86400 seconds")
		}
	}
	uri := in.GetMagiclinkAuthUri()
	if uri != "" {
		if u, err := url.Parse(uri); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, invalid("magiclink_auth_uri", "must be an absolute http(s) URL of your app, where the link lands with ?link_token=")
		}
	}
	typ, err := s.a.sendType(uri)
	if err != nil {
		return nil, err
	}
	template := in.GetTemplate()
	if template == pwlpb.TemplateType_UNSPECIFIED {
		template = pwlpb.TemplateType_SIGNIN
	}
	sent, err := s.a.pwl.Send(passwordless.Params{Email: email, State: in.GetState(), Template: int32(template),
		Type: typ, LinkBase: uri, Life: life}, s.a.d.NewID("pwl_"), s.a.d.Now())
	if err != nil {
		return nil, passwordlessError(err)
	}
	s.a.deliver(sent)
	return connect.NewResponse(sendResponse(sent)), nil
}

// ResendPasswordlessEmail sends a new code (and link) for a request.
func (s *passwordlessService) ResendPasswordlessEmail(ctx context.Context, req *connect.Request[pwlpb.ResendPasswordlessRequest]) (*connect.Response[pwlpb.SendPasswordlessResponse], error) {
	id := req.Msg.GetAuthRequestId()
	if id == "" {
		return nil, required("auth_request_id")
	}
	r, err := s.a.pwl.Resend(id, s.a.d.Now())
	if err != nil {
		return nil, passwordlessError(err)
	}
	s.a.deliver(r)
	return connect.NewResponse(sendResponse(r)), nil
}

func (s *passwordlessService) VerifyPasswordlessEmail(ctx context.Context, req *connect.Request[pwlpb.VerifyPasswordLessRequest]) (*connect.Response[pwlpb.VerifyPasswordLessResponse], error) {
	in := req.Msg
	var (
		r   passwordless.Request
		err error
	)
	now := s.a.d.Now()
	switch {
	case in.GetLinkToken() != "":
		r, err = s.a.pwl.VerifyLink(in.GetLinkToken(), in.GetAuthRequestId(), now)
	case in.GetCode() != "":
		if in.GetAuthRequestId() == "" {
			return nil, required("auth_request_id")
		}
		r, err = s.a.pwl.VerifyCode(in.GetAuthRequestId(), in.GetCode(), now)
	default:
		return nil, required("code")
	}
	if err != nil {
		var ref *passwordless.Refusal
		if errors.As(err, &ref) && ref.Reason == passwordless.Spent {
			s.a.settle(ref.Request.ID, mailbox.Spent, now)
		}
		return nil, passwordlessError(err)
	}
	s.a.settle(r.ID, mailbox.Used, now)
	template := pwlpb.TemplateType(r.Template)
	return connect.NewResponse(&pwlpb.VerifyPasswordLessResponse{
		Email: r.Email, State: optional(r.State), Template: &template, PasswordlessType: passwordlessType(r),
	}), nil
}

// sendType is what a send's email carries: the environment's type, or,
// when the fixtures leave it to the mock, a code and a link when the call
// gives a page for the link to land on and a code alone when it does not.
// A type with a link needs that page: Scalekit documents
// magiclink_auth_uri as required for LINK and LINK_OTP, so its absence
// is the field's error (Scalekit does not document the status; the mock
// answers InvalidArgument, as for every missing field).
func (a *API) sendType(uri string) (passwordless.Type, error) {
	typ := a.d.PasswordlessType
	switch {
	case typ == "" && uri != "":
		return passwordless.LinkOTP, nil
	case typ == "":
		return passwordless.OTP, nil
	case typ.SendsLink() && uri == "":
		return "", invalid("magiclink_auth_uri", fmt.Sprintf("is required: this environment's passwordless type is %s (a magic link%s, set by the fixtures' passwordless.type), "+
			"and the link lands on your app's page: pass magiclink_auth_uri (magiclinkAuthUri in the Node SDK), the absolute URL where your app reads ?link_token=", typ, alsoCode(typ)))
	}
	return typ, nil
}

func alsoCode(t passwordless.Type) string {
	if t.SendsCode() {
		return " and a code"
	}
	return " alone"
}

func sendResponse(r passwordless.Request) *pwlpb.SendPasswordlessResponse {
	return &pwlpb.SendPasswordlessResponse{
		AuthRequestId:    r.ID,
		ExpiresAt:        r.Expires.Unix(),
		ExpiresIn:        uint32(r.Life / time.Second),
		PasswordlessType: passwordlessType(r),
	}
}

// passwordlessType is the enum value of what the request's email
// carried.
func passwordlessType(r passwordless.Request) pwlpb.PasswordlessType {
	switch r.Type {
	case passwordless.Link:
		return pwlpb.PasswordlessType_LINK
	case passwordless.LinkOTP:
		return pwlpb.PasswordlessType_LINK_OTP
	}
	return pwlpb.PasswordlessType_OTP
}

// passwordlessError is the gRPC status of a refusal. Scalekit documents
// none of them; the mock answers a wrong code (or an unknown request or
// link) InvalidArgument naming the field, a used, expired or spent one
// FailedPrecondition, and the rate limit ResourceExhausted, which the
// Node SDK never retries.
func passwordlessError(err error) error {
	var ref *passwordless.Refusal
	if !errors.As(err, &ref) {
		return err
	}
	switch ref.Reason {
	case passwordless.Unknown:
		return invalid("auth_request_id", "is not a passwordless request of this environment")
	case passwordless.NoCode:
		return invalid("code", "this request's email carried a magic link and no code (the environment's passwordless type is LINK): verify with the link's link_token")
	case passwordless.LinkUnknown:
		return invalid("link_token", "is not a link this environment sent, or was replaced by a resend")
	case passwordless.WrongCode:
		return invalid("code", fmt.Sprintf("is not the code sent; %d attempts left", ref.Left))
	case passwordless.Spent:
		return withInfo(connect.CodeFailedPrecondition, "too many wrong codes: this request is spent; send a new email", nil)
	case passwordless.Used:
		return withInfo(connect.CodeFailedPrecondition, "this code or link was already used: send a new email", nil)
	case passwordless.Expired:
		return withInfo(connect.CodeFailedPrecondition, "this code or link has expired: send a new email", nil)
	case passwordless.RateLimited:
		return withInfo(connect.CodeResourceExhausted, fmt.Sprintf("too many emails to %s: at most %d a minute; wait and try again", ref.Email, passwordless.EmailsPerWindow), nil)
	case passwordless.Full:
		return withInfo(connect.CodeResourceExhausted, "too many passwordless requests are pending, the most the mock keeps: wait for some to be verified or to expire", nil)
	}
	return err
}

// deliver puts the email in the mailbox.
func (a *API) deliver(r passwordless.Request) {
	if a.d.Mail == nil {
		return
	}
	subject := "Your sign-in code is " + r.Code
	if r.Code == "" {
		subject = "Your sign-in link"
	}
	a.d.Mail.Deliver(mailbox.Message{To: r.Email, Kind: mailbox.Passwordless, Code: r.Code, Link: r.Link,
		Created: a.d.Now(), Expires: r.Expires, Subject: subject, Request: r.ID})
}

// settle marks what became of a request's email on the mailbox page.
func (a *API) settle(id string, st mailbox.Status, at time.Time) {
	if a.d.Mail != nil {
		a.d.Mail.Settle(id, st, at)
	}
}
