package fault

// RequireBearerHeader reports whether userinfo refuses a token sent in the
// body or the query (userinfo.require_bearer_header).
func (e *Env) RequireBearerHeader(client string) bool {
	return e.faults.On(UserinfoRequireBearerHeader, client)
}

// Userinfo changes the userinfo answer and reports whether to send it as a
// signed JWT (userinfo.signed_jwt).
func (e *Env) Userinfo(out map[string]any, client string) (signed bool) {
	if !e.faults.Any() {
		return false
	}
	if e.faults.On(UserinfoSubMismatch, client) {
		out["sub"] = "usr_00000000000000002"
	}
	return e.faults.On(UserinfoSignedJWT, client)
}

// RequireIDTokenHint reports whether logout without id_token_hint is
// refused (logout.require_id_token_hint).
func (e *Env) RequireIDTokenHint(client string) bool {
	return e.faults.On(LogoutRequireIDTokenHint, client)
}

// PostLogoutRefused notes a post-logout URI refused for not matching
// exactly: an exact match is the default, so
// logout.exact_post_logout_redirect_uri changes nothing but uses up its
// count here. It is kept for the scenario names.
func (e *Env) PostLogoutRefused(client string) {
	e.faults.On(LogoutExactPostLogoutRedirectURI, client)
}

// LogoutState is the state to send back after logout: dropped or changed
// under logout.drop_state and logout.change_state.
func (e *Env) LogoutState(state, client string) string {
	if e.faults.On(LogoutDropState, client) {
		state = ""
	}
	if e.faults.On(LogoutChangeState, client) {
		state = "state-the-app-never-sent"
	}
	return state
}
