package mockidp_test

import (
	"testing"

	"connectrpc.com/connect"

	"github.com/skctl/skctl/internal/mockidp"
	"github.com/skctl/skctl/internal/mockidp/testenv"
	organizationspb "github.com/skctl/skctl/internal/scalekitpb/organizations"
)

// mgGetAcme asks for the seeded Acme Corp: a read any management
// credential may make.
func mgGetAcme(c *mgAPI) error {
	_, err := c.getOrg(acmeOrg)
	return err
}

// TestMgmtAuthMissingToken: a call without a bearer token is
// Unauthenticated with Scalekit's ErrorInfo (UNAUTHENTICATED, "Token
// empty"), the answer on which the Node SDK fetches a token and retries;
// the mock counted the call, so the answer is its, not a transport's.
func TestMgmtAuthMissingToken(t *testing.T) {
	t.Parallel()
	for _, p := range []mgProto{mgHTTP1, mgH2C} {
		t.Run(p.String(), func(t *testing.T) {
			t.Parallel()
			env := startEnv(t, mockidp.Options{})
			counter := mgCounter(mgOrgService + "GetOrganization")
			before := mgCounters(env)[counter]
			err := mgGetAcme(newMgAPI(t, env, mgOver(p), mgNoToken()))
			mgWantErr(t, "GetOrganization without a token", err, connect.CodeUnauthenticated, "UNAUTHENTICATED", "Token empty")
			if got := mgCounters(env)[counter] - before; got != 1 {
				t.Errorf("counter %s grew by %d, want 1", counter, got)
			}
			// The same call with the default app's token succeeds: the
			// refusal was for the missing token.
			if err := mgGetAcme(newMgAPI(t, env, mgOver(p))); err != nil {
				t.Fatalf("GetOrganization with the default app's token: %v%s", err, mgDescribe(err))
			}
		})
	}
}

// mgAuthHeader calls GetOrganization with a raw Authorization header.
func mgAuthHeader(t *testing.T, env *testenv.Env, value string) error {
	c := newMgAPI(t, env, mgNoToken())
	req := connect.NewRequest(&organizationspb.GetOrganizationRequest{
		Identities: &organizationspb.GetOrganizationRequest_Id{Id: acmeOrg}})
	req.Header().Set("Authorization", value)
	_, err := c.orgs.GetOrganization(mgCtx(t), req)
	return err
}

// TestMgmtAuthBadCredentials: what is not a management credential of this
// environment is refused, each for its reason.
func TestMgmtAuthBadCredentials(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	appToken := mgClientToken(t, env.URL, app1ID, app1Secret)

	t.Run("basic scheme", func(t *testing.T) {
		// The client's secret as Basic auth is not a bearer token.
		err := mgAuthHeader(t, env, "Basic "+app1ID+":"+app1Secret)
		mgWantErr(t, "GetOrganization with Basic auth", err, connect.CodeUnauthenticated, "UNAUTHENTICATED", "Token empty")
	})
	t.Run("bearer without a token", func(t *testing.T) {
		err := mgAuthHeader(t, env, "Bearer   ")
		mgWantErr(t, "GetOrganization with an empty bearer", err, connect.CodeUnauthenticated, "UNAUTHENTICATED", "Token empty")
	})
	t.Run("garbage", func(t *testing.T) {
		err := mgAuthHeader(t, env, "Bearer not-a-jwt")
		mgWantErr(t, "GetOrganization with a garbage token", err, connect.CodeUnauthenticated, "UNAUTHENTICATED", "Token invalid")
	})
	t.Run("lower-case scheme", func(t *testing.T) {
		// The scheme is case-insensitive (RFC 9110 §11.1).
		if err := mgAuthHeader(t, env, "bearer "+appToken); err != nil {
			t.Fatalf("GetOrganization with \"bearer <token>\": %v%s", err, mgDescribe(err))
		}
	})
	t.Run("another environment's token", func(t *testing.T) {
		// Same fixtures, same client, other keys and issuer.
		other := startEnv(t, mockidp.Options{})
		err := mgGetAcme(newMgAPI(t, env, mgToken(mgClientToken(t, other.URL, app1ID, app1Secret))))
		mgWantErr(t, "GetOrganization with another environment's token", err, connect.CodeUnauthenticated, "UNAUTHENTICATED", "Token invalid")
	})
	t.Run("user access token", func(t *testing.T) {
		// A signed-in user's access token, issued to the same app, is not
		// a client_credentials token.
		a := newApp(t, env, app1ID, app1Secret, app1Redirect)
		tok := a.login(newBrowser(t), "ada@acme.test")
		err := mgGetAcme(newMgAPI(t, env, mgToken(tok.AccessToken)))
		mgWantErr(t, "GetOrganization with a user's access token", err, connect.CodeUnauthenticated, "UNAUTHENTICATED", "Token invalid")
		// And the ID token is no better.
		raw, _ := tok.Extra("id_token").(string)
		err = mgGetAcme(newMgAPI(t, env, mgToken(raw)))
		mgWantErr(t, "GetOrganization with a user's ID token", err, connect.CodeUnauthenticated, "UNAUTHENTICATED", "")
	})
	t.Run("organization M2M client", func(t *testing.T) {
		// A valid client_credentials token of an organization's M2M
		// client: PermissionDenied, so that an SDK does not fetch another
		// token of the same client and retry.
		tok := mgClientToken(t, env.URL, m2mID, m2mSecret)
		err := mgGetAcme(newMgAPI(t, env, mgToken(tok)))
		mgWantErr(t, "GetOrganization with the M2M client's token", err, connect.CodePermissionDenied, "PERMISSION_DENIED", "management API")
	})
	t.Run("control", func(t *testing.T) {
		if err := mgGetAcme(newMgAPI(t, env, mgToken(appToken))); err != nil {
			t.Fatalf("GetOrganization with the default app's token: %v%s", err, mgDescribe(err))
		}
	})
}

// TestMgmtAuthExpiredToken: a token the environment issued stops working
// when its clock passes the token's exp (M2M tokens live 86399 s), with
// "Token expired", the answer on which an SDK fetches a new one; a new
// token works at once.
func TestMgmtAuthExpiredToken(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	c := newMgAPI(t, env)
	if err := mgGetAcme(c); err != nil {
		t.Fatalf("GetOrganization with a fresh token: %v%s", err, mgDescribe(err))
	}
	mgAdvance(t, env, "25h")
	mgWantErr(t, "GetOrganization 25 h later with the same token", mgGetAcme(c), connect.CodeUnauthenticated, "UNAUTHENTICATED", "Token expired")
	if err := mgGetAcme(newMgAPI(t, env)); err != nil {
		t.Fatalf("GetOrganization with a new token after the clock moved: %v%s", err, mgDescribe(err))
	}
}

// TestMgmtUnimplemented: a procedure the mock does not serve answers
// Unimplemented naming it (what an SDK shows as "not implemented"), not
// a 404 page, and is counted as grpc.unimplemented; it is authenticated
// like any other.
func TestMgmtUnimplemented(t *testing.T) {
	t.Parallel()
	env := startEnv(t, mockidp.Options{})
	c := newMgAPI(t, env)
	procs := []string{
		"/scalekit.v1.users.UserService/SearchUsers",
		"/scalekit.v1.roles.RolesService/ListRoles",
		// A method of a served service that the mock lacks.
		mgOrgService + "NoSuchMethod",
	}
	before := mgCounters(env)["grpc.unimplemented"]
	for _, proc := range procs {
		for _, p := range []mgProto{mgHTTP1, mgH2C} {
			cl := newMgAPI(t, env, mgOver(p))
			call := connect.NewClient[mgEmpty, mgEmpty](cl.http, env.URL+proc, connect.WithGRPC())
			_, err := call.CallUnary(mgCtx(t), connect.NewRequest(&mgEmpty{}))
			mgWantErr(t, proc+" over "+p.String(), err, connect.CodeUnimplemented, "UNIMPLEMENTED", proc)
		}
	}
	if got := mgCounters(env)["grpc.unimplemented"] - before; got != int64(2*len(procs)) {
		t.Errorf("grpc.unimplemented grew by %d, want %d", got, 2*len(procs))
	}

	// Without a token the same call is Unauthenticated first, as it is
	// for a served procedure.
	nt := newMgAPI(t, env, mgNoToken())
	call := connect.NewClient[mgEmpty, mgEmpty](nt.http, env.URL+procs[0], connect.WithGRPC())
	_, err := call.CallUnary(mgCtx(t), connect.NewRequest(&mgEmpty{}))
	mgWantErr(t, procs[0]+" without a token", err, connect.CodeUnauthenticated, "UNAUTHENTICATED", "Token empty")

	// A served procedure is not counted as unimplemented.
	mid := mgCounters(env)["grpc.unimplemented"]
	if err := mgGetAcme(c); err != nil {
		t.Fatal(err)
	}
	if got := mgCounters(env)["grpc.unimplemented"]; got != mid {
		t.Errorf("grpc.unimplemented grew by %d on a served procedure", got-mid)
	}
}
