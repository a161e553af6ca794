#!/bin/sh
# protogen.sh regenerates internal/scalekitpb from proto/: the protobuf
# messages (protoc-gen-go) and the Connect handlers and clients
# (protoc-gen-connect-go) of the Scalekit management API subset that
# skctl mock-idp serves. Both plugins are built at the versions go.mod pins
# with its tool directive; protoc comes from the system
# (apt-get install protobuf-compiler).
#
# Run through: go generate ./internal/scalekitpb/
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

command -v protoc >/dev/null 2>&1 || {
	echo "protogen.sh: protoc not found; install it with: apt-get install protobuf-compiler" >&2
	exit 1
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

go build -o "$tmp/protoc-gen-go" google.golang.org/protobuf/cmd/protoc-gen-go
go build -o "$tmp/protoc-gen-connect-go" connectrpc.com/connect/cmd/protoc-gen-connect-go

module=github.com/skctl/skctl
out=internal/scalekitpb

# Remove what an earlier run generated, so that a .proto file that goes
# away takes its Go code with it.
find "$out" \( -name '*.pb.go' -o -name '*.connect.go' \) -exec rm -f {} +
find "$out" -depth -type d -empty -exec rmdir {} \;

# Only proto/scalekit is generated: proto/google/api declares the
# google.api.http option for protoc alone, and its Go code is Google's own
# annotations package (which vanguard reads the REST bindings with), not
# ours; two Go packages registering one proto file would clash at start.
protoc \
	--proto_path=proto \
	--plugin=protoc-gen-go="$tmp/protoc-gen-go" \
	--plugin=protoc-gen-connect-go="$tmp/protoc-gen-connect-go" \
	--go_out=. --go_opt=module="$module" \
	--connect-go_out=. --connect-go_opt=module="$module" \
	$(find proto/scalekit -name '*.proto' | sed 's|^proto/||' | LC_ALL=C sort)
