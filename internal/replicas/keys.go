package replicas

// keys names everything the Store keeps in the server, under
// skctl:<namespace>:. Callers' keys are hashes already (SHA-256, hex):
// no token or session ID is ever a key.
type keys struct {
	prefix string
	// revoked is the sorted set of revoked sessions, scored by when the
	// revocation may go (Unix ms).
	revoked string
	// refreshChannel carries each refresh leader's result, revokedChannel
	// each revocation.
	refreshChannel, revokedChannel string
}

func newKeys(namespace string) keys {
	p := "skctl:"
	if namespace != "" {
		p += namespace + ":"
	}
	return keys{prefix: p, revoked: p + "revoked", refreshChannel: p + "refresh", revokedChannel: p + "revoked"}
}

// refreshLock is the lock of one refresh token: held by the replica
// redeeming it, until it publishes or the lock expires.
func (k keys) refreshLock(key string) string { return k.prefix + "refresh:lock:" + key }

// refreshResult is the sealed outcome of one refresh token's redemption,
// kept for seconds.
func (k keys) refreshResult(key string) string { return k.prefix + "refresh:result:" + key }

// claim marks one single-use value (a sign-in transaction) as used.
func (k keys) claim(key string) string { return k.prefix + "claim:" + key }
