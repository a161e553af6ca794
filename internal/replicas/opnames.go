package replicas

// Kind is what a failed operation was for, as metrics count it: fewer
// values than the operations themselves, so a dashboard groups them the
// way an operator thinks of the shared state.
type Kind string

const (
	// KindRefresh: claiming, waiting for or publishing a shared refresh.
	KindRefresh Kind = "refresh"
	// KindRevoke: storing a sign-out's revocation.
	KindRevoke Kind = "revoke"
	// KindSync: the subscription (other replicas' revocations and
	// refresh results) and the reload of the revoked set.
	KindSync Kind = "revoked_sync"
	// KindClaim: marking a sign-in's callback as used.
	KindClaim Kind = "callback"
)

// Kinds lists every Kind.
func Kinds() []Kind { return []Kind{KindRefresh, KindRevoke, KindSync, KindClaim} }

// opName names one operation in the logs ("op" of the outage warning).
type opName string

const (
	opClaim         opName = "claim"
	opRefreshLock   opName = "refresh lock"
	opRefreshResult opName = "refresh result"
	opRefreshUnlock opName = "refresh unlock"
	opRevoke        opName = "revoke"
	opReload        opName = "reload revocations"
	opSubscribe     opName = "subscribe"
)

// kind is what the operation is for.
func (o opName) kind() Kind {
	switch o {
	case opClaim:
		return KindClaim
	case opRefreshLock, opRefreshResult, opRefreshUnlock:
		return KindRefresh
	case opRevoke:
		return KindRevoke
	}
	return KindSync
}
