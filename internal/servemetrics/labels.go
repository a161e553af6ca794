package servemetrics

// The label values of the metrics whose labels are a closed set. Each is a
// type of its own, so that a caller cannot pass a free string (a path, an
// error message) where a class is wanted: a series per distinct string
// would grow without bound. A value outside its list is not counted (see
// the methods of Metrics).

// SignInOutcome is how a callback ended.
type SignInOutcome string

const (
	// SignInSuccess: the browser got a session.
	SignInSuccess SignInOutcome = "success"
	// SignInIdPError: the IdP sent the browser back with an error (the
	// user cancelled, or the IdP refused).
	SignInIdPError SignInOutcome = "idp_error"
	// SignInExpired: no sign-in in progress matched (stale or used link,
	// or the code expired at the IdP).
	SignInExpired SignInOutcome = "expired"
	// SignInMalformed: the callback's parameters were malformed.
	SignInMalformed SignInOutcome = "malformed"
	// SignInRejected: the tokens, or the iss parameter, did not verify.
	SignInRejected SignInOutcome = "rejected"
	// SignInIdPUnavailable: the IdP or its keys could not be reached in
	// time.
	SignInIdPUnavailable SignInOutcome = "idp_unavailable"
	// SignInFailed: any other failure (an IdP answer the app cannot use,
	// the IdP refusing the app's credentials, tokens too large for
	// cookies).
	SignInFailed SignInOutcome = "failed"
)

// SignInOutcomes lists every SignInOutcome.
func SignInOutcomes() []SignInOutcome {
	return []SignInOutcome{SignInSuccess, SignInIdPError, SignInExpired, SignInMalformed, SignInRejected, SignInIdPUnavailable, SignInFailed}
}

// RefreshOutcome is how a refresh-token redemption this process made at
// the IdP ended.
type RefreshOutcome string

const (
	// RefreshRedeemed: the IdP answered with new tokens.
	RefreshRedeemed RefreshOutcome = "redeemed"
	// RefreshRefused: the IdP refused the refresh token (invalid_grant
	// and other client errors): the user signs in again.
	RefreshRefused RefreshOutcome = "refused"
	// RefreshFailed: the IdP could not be reached, timed out or failed
	// (5xx): the session is kept and the next request tries again.
	RefreshFailed RefreshOutcome = "failed"
)

// RefreshOutcomes lists every RefreshOutcome.
func RefreshOutcomes() []RefreshOutcome {
	return []RefreshOutcome{RefreshRedeemed, RefreshRefused, RefreshFailed}
}

// AdoptionSource is whose refresh a request used instead of redeeming the
// refresh token itself.
type AdoptionSource string

const (
	// AdoptedFromRequest: another request of this process redeemed it.
	AdoptedFromRequest AdoptionSource = "request"
	// AdoptedFromReplica: another replica redeemed it, and shared the
	// result through Valkey.
	AdoptedFromReplica AdoptionSource = "replica"
)

// AdoptionSources lists every AdoptionSource.
func AdoptionSources() []AdoptionSource {
	return []AdoptionSource{AdoptedFromRequest, AdoptedFromReplica}
}

// JWKSOutcome is how a fetch of the IdP's key set ended.
type JWKSOutcome string

const (
	// JWKSSuccess: the IdP served a usable key set.
	JWKSSuccess JWKSOutcome = "success"
	// JWKSError: unreachable, a status other than 200, or no usable key.
	JWKSError JWKSOutcome = "error"
	// JWKSRateLimited: the reload budget was spent, so no request was
	// sent (a flood of tokens naming unknown keys shows here).
	JWKSRateLimited JWKSOutcome = "rate_limited"
)

// JWKSOutcomes lists every JWKSOutcome.
func JWKSOutcomes() []JWKSOutcome {
	return []JWKSOutcome{JWKSSuccess, JWKSError, JWKSRateLimited}
}

// IdPEndpoint is which endpoint of the IdP's discovery document a call
// went to.
type IdPEndpoint string

const (
	EndpointDiscovery IdPEndpoint = "discovery"
	EndpointToken     IdPEndpoint = "token"
	EndpointJWKS      IdPEndpoint = "jwks"
	EndpointUserinfo  IdPEndpoint = "userinfo"
	// EndpointOther is any URL that is none of the above.
	EndpointOther IdPEndpoint = "other"
)

// IdPEndpoints lists every IdPEndpoint.
func IdPEndpoints() []IdPEndpoint {
	return []IdPEndpoint{EndpointDiscovery, EndpointToken, EndpointJWKS, EndpointUserinfo, EndpointOther}
}

// idpCodes is how many code label values IdP calls have: the status
// classes 2xx to 5xx, and "error" when no response came (network error,
// timeout).
const idpCodes = 5

// idpCodeLabel is the code label value of index i (see idpCode).
func idpCodeLabel(i int) string {
	return [idpCodes]string{"2xx", "3xx", "4xx", "5xx", "error"}[i]
}

// idpCode is the index of a call's outcome among the code label values.
func idpCode(status int, err error) int {
	if err != nil || status < 200 || status > 599 {
		return idpCodes - 1
	}
	return status/100 - 2
}

// RedisOp is what serve was doing with Valkey (or Redis) when it failed.
type RedisOp string

const (
	// RedisRefresh: claiming, waiting for or publishing a shared refresh.
	RedisRefresh RedisOp = "refresh"
	// RedisRevoke: recording a revoked session.
	RedisRevoke RedisOp = "revoke"
	// RedisRevokedSync: the subscription (other replicas' revocations
	// and refresh results) and the reload of the revoked sessions.
	RedisRevokedSync RedisOp = "revoked_sync"
	// RedisCallback: marking a sign-in's callback as used, so that a
	// code sent to two replicas is redeemed once.
	RedisCallback RedisOp = "callback"
)

// RedisOps lists every RedisOp.
func RedisOps() []RedisOp {
	return []RedisOp{RedisRefresh, RedisRevoke, RedisRevokedSync, RedisCallback}
}
