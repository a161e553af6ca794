package rest

import (
	"net/http"

	"github.com/skctl/skctl/internal/scalekitpb/connections/connectionspbconnect"
	"github.com/skctl/skctl/internal/scalekitpb/organizations/organizationspbconnect"
	"github.com/skctl/skctl/internal/scalekitpb/users/userspbconnect"
)

// SuccessStatus is the HTTP status a successful REST call of a procedure
// answers with. Scalekit's API reference documents 201 Created for four
// of the served creates and 200 for every other operation (CreateDomain
// included); grpc-gateway itself answers 200 to everything unless told
// otherwise, and whether the live service sends 201 is not confirmed. The
// mock follows the reference: an app written against it checks for the
// status it documents. The scalekitpb descriptor test checks this list
// against the success status in the SDK's descriptors.
func SuccessStatus(procedure string) int {
	switch procedure {
	case organizationspbconnect.OrganizationServiceCreateOrganizationProcedure,
		userspbconnect.UserServiceCreateUserAndMembershipProcedure,
		userspbconnect.UserServiceCreateMembershipProcedure,
		connectionspbconnect.ConnectionServiceCreateConnectionProcedure:
		return http.StatusCreated
	}
	return http.StatusOK
}
