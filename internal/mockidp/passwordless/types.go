package passwordless

// Type is what a passwordless email carries, named as Scalekit's
// PasswordlessType enum: a one-time code (OTP), a magic link (LINK), or
// both (LINK_OTP). In Scalekit the environment's dashboard picks it; in
// the mock, the fixtures' passwordless.type.
type Type string

const (
	OTP     Type = "OTP"
	Link    Type = "LINK"
	LinkOTP Type = "LINK_OTP"
)

// Types lists the types, in the order the docs name them.
func Types() []Type { return []Type{OTP, Link, LinkOTP} }

// Valid reports whether t is one of the types.
func (t Type) Valid() bool { return t == OTP || t == Link || t == LinkOTP }

// SendsCode reports whether an email of this type carries a code.
func (t Type) SendsCode() bool { return t == OTP || t == LinkOTP }

// SendsLink reports whether an email of this type carries a magic link.
func (t Type) SendsLink() bool { return t == Link || t == LinkOTP }
