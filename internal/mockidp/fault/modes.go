package fault

// The modes, one constant each: a mode is named in code only by its
// constant, so a typo does not compile, and the registry (registry.go) is
// built from the same constants. docs/failure-modes.md describes each.
const (
	// Modes of the discovery document.
	DiscoveryIssuerMismatch    Mode = "discovery.issuer_mismatch"
	DiscoveryJWKSURIRandom     Mode = "discovery.jwks_uri_random"
	DiscoveryNoPKCE            Mode = "discovery.no_pkce"
	DiscoveryIssParamSupported Mode = "discovery.iss_param_supported"
	DiscoveryStatus            Mode = "discovery.status"
	DiscoverySlow              Mode = "discovery.slow"
	DiscoveryHang              Mode = "discovery.hang"
	DiscoveryReset             Mode = "discovery.reset"
	DiscoveryMalformed         Mode = "discovery.malformed"
	DiscoveryHuge              Mode = "discovery.huge"
	DiscoveryMissingFields     Mode = "discovery.missing_fields"
	DiscoveryHTTPEndpoints     Mode = "discovery.http_endpoints"
	DiscoveryAlgs              Mode = "discovery.algs"

	// Modes of the authorize redirect.
	AuthzError           Mode = "authz.error"
	AuthzNoCode          Mode = "authz.no_code"
	AuthzNoState         Mode = "authz.no_state"
	AuthzWrongState      Mode = "authz.wrong_state"
	AuthzDuplicateParams Mode = "authz.duplicate_params"
	AuthzHugeCode        Mode = "authz.huge_code"
	AuthzIssWrong        Mode = "authz.iss_wrong"
	AuthzIssMissing      Mode = "authz.iss_missing"
	AuthzCodeInjection   Mode = "authz.code_injection"
	AuthzRequirePKCE     Mode = "authz.require_pkce"
	AuthzRejectPlain     Mode = "authz.reject_plain"

	// Modes of codes.
	CodeSingleUse Mode = "code.single_use"

	// Modes of the token endpoint (code exchange).
	TokenStatus         Mode = "token.status"
	TokenSlow           Mode = "token.slow"
	TokenHang           Mode = "token.hang"
	TokenHTMLBody       Mode = "token.html_body"
	TokenMalformed      Mode = "token.malformed"
	TokenInvalidGrant   Mode = "token.invalid_grant"
	TokenInvalidClient  Mode = "token.invalid_client"
	TokenMissingIDToken Mode = "token.missing_id_token"
	TokenTokenType      Mode = "token.token_type"
	TokenRequireBasic   Mode = "token.require_basic"
	TokenReset          Mode = "token.reset"
	TokenHuge           Mode = "token.huge"
	TokenExpiresIn      Mode = "token.expires_in"

	// Modes of ID tokens.
	IDTIssWrong          Mode = "idt.iss_wrong"
	IDTAudWrong          Mode = "idt.aud_wrong"
	IDTAudMissing        Mode = "idt.aud_missing"
	IDTAudMultiNoAzp     Mode = "idt.aud_multi_no_azp"
	IDTAzpWrong          Mode = "idt.azp_wrong"
	IDTAudMultiUntrusted Mode = "idt.aud_multi_untrusted"
	IDTSubMissing        Mode = "idt.sub_missing"
	IDTIatMissing        Mode = "idt.iat_missing"
	IDTIatFuture         Mode = "idt.iat_future"
	IDTIatOld            Mode = "idt.iat_old"
	IDTExpPast           Mode = "idt.exp_past"
	IDTExpMissing        Mode = "idt.exp_missing"
	IDTNbfFuture         Mode = "idt.nbf_future"
	IDTNonceWrong        Mode = "idt.nonce_wrong"
	IDTNonceMissing      Mode = "idt.nonce_missing"
	IDTAtHashWrong       Mode = "idt.at_hash_wrong"
	IDTSigBadRS256       Mode = "idt.sig_bad_rs256"
	IDTAlgNone           Mode = "idt.alg_none"
	IDTAlgHS256          Mode = "idt.alg_hs256"
	IDTKidAbsentSingle   Mode = "idt.kid_absent_single"
	IDTKidAbsentMulti    Mode = "idt.kid_absent_multi"
	IDTKidUnknown        Mode = "idt.kid_unknown"
	IDTMalformed         Mode = "idt.malformed"
	IDTSigBadES256       Mode = "idt.sig_bad_es256"
	IDTMultiSig          Mode = "idt.multi_sig"
	IDTHuge              Mode = "idt.huge"

	// Modes of access tokens.
	ATExpShort      Mode = "at.exp_short"
	ATAudOther      Mode = "at.aud_other"
	ATIssWrong      Mode = "at.iss_wrong"
	ATSigBad        Mode = "at.sig_bad"
	ATSameAsIDToken Mode = "at.same_as_id_token"
	ATAudMissing    Mode = "at.aud_missing"
	ATKidUnknown    Mode = "at.kid_unknown"
	ATOpaque        Mode = "at.opaque"
	ATAlgNone       Mode = "at.alg_none"
	ATExpPast       Mode = "at.exp_past"
	ATHuge          Mode = "at.huge"
	ATTyp           Mode = "at.typ"

	// Modes of the key set.
	JWKSRotateAfterFirstToken Mode = "jwks.rotate_after_first_token"
	JWKSRotateBeforeSign      Mode = "jwks.rotate_before_sign"
	JWKSUnparseableExtraKey   Mode = "jwks.unparseable_extra_key"
	JWKSUnsupportedAlgKey     Mode = "jwks.unsupported_alg_key"
	JWKSStatus                Mode = "jwks.status"
	JWKSEmpty                 Mode = "jwks.empty"
	JWKSSlow                  Mode = "jwks.slow"
	JWKSHang                  Mode = "jwks.hang"
	JWKSFlap                  Mode = "jwks.flap"
	JWKSMalformed             Mode = "jwks.malformed"
	JWKSHuge                  Mode = "jwks.huge"
	JWKSDuplicateKid          Mode = "jwks.duplicate_kid"
	JWKSDropOldKey            Mode = "jwks.drop_old_key"

	// Modes of the refresh grant.
	RefreshRotate            Mode = "refresh.rotate"
	RefreshInvalidGrant      Mode = "refresh.invalid_grant"
	RefreshNoNewRefreshToken Mode = "refresh.no_new_refresh_token"
	RefreshIDTokenIssChanged Mode = "refresh.id_token_iss_changed"
	RefreshIDTokenSubChanged Mode = "refresh.id_token_sub_changed"
	RefreshIDTokenAbsent     Mode = "refresh.id_token_absent"
	RefreshStatus            Mode = "refresh.status"
	RefreshDelay             Mode = "refresh.delay"
	RefreshReuseDetection    Mode = "refresh.reuse_detection"
	RefreshInvalidClient     Mode = "refresh.invalid_client"
	RefreshSlow              Mode = "refresh.slow"
	RefreshHang              Mode = "refresh.hang"
	RefreshReset             Mode = "refresh.reset"

	// Modes of userinfo.
	UserinfoSubMismatch         Mode = "userinfo.sub_mismatch"
	UserinfoStatus              Mode = "userinfo.status"
	UserinfoSlow                Mode = "userinfo.slow"
	UserinfoSignedJWT           Mode = "userinfo.signed_jwt"
	UserinfoRequireBearerHeader Mode = "userinfo.require_bearer_header"

	// Modes of logout.
	LogoutDropState                  Mode = "logout.drop_state"
	LogoutChangeState                Mode = "logout.change_state"
	LogoutRequireIDTokenHint         Mode = "logout.require_id_token_hint"
	LogoutExactPostLogoutRedirectURI Mode = "logout.exact_post_logout_redirect_uri"
	LogoutStatus                     Mode = "logout.status"

	// Modes of the environment.
	IdPClockOffset Mode = "idp.clock_offset"

	// Modes of the management API (gRPC).
	GRPCUnavailable       Mode = "grpc.unavailable"
	GRPCSlow              Mode = "grpc.slow"
	GRPCResourceExhausted Mode = "grpc.resource_exhausted"
	GRPCReset             Mode = "grpc.reset"

	// Modes of every endpoint.
	NetLatency          Mode = "net.latency"
	NetTLSSelfsigned    Mode = "net.tls_selfsigned"
	NetHang             Mode = "net.hang"
	NetReset            Mode = "net.reset"
	NetTruncate         Mode = "net.truncate"
	Net429              Mode = "net.429"
	NetWrongContentType Mode = "net.wrong_content_type"
)
