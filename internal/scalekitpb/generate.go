// Package scalekitpb is the root of the Go code generated from proto/: the
// protobuf messages and Connect handlers of the part of Scalekit's
// management API (scalekit.v1.*) that skctl mock-idp serves. Each
// scalekit.v1 package has its own Go package below this one (for example
// organizations → organizationspb, with the Connect code in
// organizations/organizationspbconnect). The generated files are committed;
// regenerate them after changing a .proto file.
package scalekitpb

//go:generate sh ../../scripts/protogen.sh
