package conformance

// accessTokenTests are the checks of the access token a Scalekit app makes
// on its protected requests (Scalekit's guides validate it in their
// middleware): each arms a flaw of the access token alone, the ID token
// staying valid.
func accessTokenTests() []Test {
	at := func(id, mode, bad, source string) Test {
		return Test{ID: id, Group: GroupAccessToken, Arms: []string{mode}, Expect: Refused, Bad: bad,
			Proves: "the app refuses a session whose access token " + bad[len("the access token "):],
			Source: source,
			Fix:    "Validate the access token on every protected request: its signature with the environment's key set (RS256), iss, aud containing the client ID, exp."}
	}
	return []Test{
		at("at-iss-wrong", "at.iss_wrong", "the access token names another issuer", "RFC 9068 §4; RFC 7519 §4.1.1"),
		at("at-aud-wrong", "at.aud_other", "the access token is for another client", "RFC 9068 §4; RFC 9700 §2.3 (audience-restricted tokens)"),
		at("at-expired", "at.exp_past", "the access token expired an hour ago", "RFC 9068 §4; RFC 7519 §4.1.4"),
		at("at-alg-none", "at.alg_none", "the access token is unsigned (alg none)", "RFC 9068 §4; RFC 8725 §3.1"),
		at("at-bad-signature", "at.sig_bad", "the access token is signed with another key under the real kid", "RFC 9068 §4; RFC 7515 §5.2"),
		{ID: "at-id-token-as-access-token", Group: GroupAccessToken, Arms: []string{"at.same_as_id_token"}, Expect: Refused,
			Bad:    "the ID token came back as the access token",
			Proves: "the app refuses an ID token posing as the access token",
			Source: "RFC 8725 §3.11 and §2.8 (substitution between token kinds); RFC 9068 §4",
			Fix:    "Tell an access token from an ID token by claims only one carries: an access token has jti and no nonce."},
	}
}
