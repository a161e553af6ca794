package webapp

import "context"

// User is the signed-in user, put in the request context by the session
// middleware.
type User struct {
	Subject        string // sub: usr_… in Scalekit
	Email          string
	Name           string
	OrganizationID string // oid
	SessionID      string // sid: the IdP session
}

// DisplayName is the name, or else the email, or else the subject.
func (u *User) DisplayName() string {
	switch {
	case u.Name != "":
		return u.Name
	case u.Email != "":
		return u.Email
	}
	return u.Subject
}

type userKey struct{}

// UserFrom returns the signed-in user of a request, or nil.
func UserFrom(ctx context.Context) *User {
	u, _ := ctx.Value(userKey{}).(*User)
	return u
}

func withUser(ctx context.Context, u *User) context.Context {
	return context.WithValue(ctx, userKey{}, u)
}
