package scalekitpb_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/skctl/skctl/internal/mockidp/rest"

	// Every generated package, so that all our files are registered.
	_ "github.com/skctl/skctl/internal/scalekitpb/auth/passwordless"
	_ "github.com/skctl/skctl/internal/scalekitpb/auth/passwordless/passwordlesspbconnect"
	_ "github.com/skctl/skctl/internal/scalekitpb/commons"
	_ "github.com/skctl/skctl/internal/scalekitpb/connections"
	_ "github.com/skctl/skctl/internal/scalekitpb/connections/connectionspbconnect"
	_ "github.com/skctl/skctl/internal/scalekitpb/directories"
	_ "github.com/skctl/skctl/internal/scalekitpb/directories/directoriespbconnect"
	_ "github.com/skctl/skctl/internal/scalekitpb/domains"
	_ "github.com/skctl/skctl/internal/scalekitpb/domains/domainspbconnect"
	_ "github.com/skctl/skctl/internal/scalekitpb/errdetails"
	_ "github.com/skctl/skctl/internal/scalekitpb/events"
	_ "github.com/skctl/skctl/internal/scalekitpb/events/eventspbconnect"
	_ "github.com/skctl/skctl/internal/scalekitpb/organizations"
	_ "github.com/skctl/skctl/internal/scalekitpb/organizations/organizationspbconnect"
	_ "github.com/skctl/skctl/internal/scalekitpb/sessions"
	_ "github.com/skctl/skctl/internal/scalekitpb/sessions/sessionspbconnect"
	_ "github.com/skctl/skctl/internal/scalekitpb/users"
	_ "github.com/skctl/skctl/internal/scalekitpb/users/userspbconnect"
)

// schema is the shape of a set of proto files, as
// scripts/node-sdk/descriptors.mjs prints it. Full names start with a dot,
// as in a FileDescriptorProto.
type schema struct {
	SDK   string       `json:"sdk"`
	Files []schemaFile `json:"files"`
}

type schemaFile struct {
	Name     string          `json:"name"`
	Package  string          `json:"package"`
	Messages []schemaMessage `json:"messages"`
	Enums    []schemaEnum    `json:"enums"`
	Services []schemaService `json:"services"`
}

type schemaMessage struct {
	Name     string        `json:"name"`
	MapEntry bool          `json:"map_entry"`
	Fields   []schemaField `json:"fields"`
}

type schemaField struct {
	Name           string `json:"name"`
	Number         int32  `json:"number"`
	Type           int32  `json:"type"`
	Label          int32  `json:"label"`
	TypeName       string `json:"type_name"`
	Oneof          string `json:"oneof"`
	Proto3Optional bool   `json:"proto3_optional"`
}

type schemaEnum struct {
	Name   string            `json:"name"`
	Values []schemaEnumValue `json:"values"`
}

type schemaEnumValue struct {
	Name   string `json:"name"`
	Number int32  `json:"number"`
}

type schemaService struct {
	Name    string         `json:"name"`
	Methods []schemaMethod `json:"methods"`
}

type schemaMethod struct {
	Name   string `json:"name"`
	Input  string `json:"input"`
	Output string `json:"output"`
	// HTTP are the method's google.api.http REST bindings, the primary
	// one first.
	HTTP []schemaHTTP `json:"http"`
	// Success is the HTTP status Scalekit's API reference documents for
	// a successful call ("200", "201"); only the SDK's schema has it.
	Success string `json:"success,omitempty"`
}

type schemaHTTP struct {
	Method       string `json:"method"`
	Path         string `json:"path"`
	Body         string `json:"body"`
	ResponseBody string `json:"response_body"`
}

func (h schemaHTTP) String() string {
	s := h.Method + " " + h.Path
	if h.Body != "" {
		s += " body " + h.Body
	}
	if h.ResponseBody != "" {
		s += " response_body " + h.ResponseBody
	}
	return s
}

func bindings(hs []schemaHTTP) string {
	if len(hs) == 0 {
		return "none"
	}
	var out []string
	for _, h := range hs {
		out = append(out, h.String())
	}
	return "[" + strings.Join(out, "; ") + "]"
}

// wantPackages are the proto packages our generated code must register; a
// package missing from the imports above would otherwise go unchecked.
var wantPackages = []string{
	"scalekit.v1.auth.passwordless",
	"scalekit.v1.commons",
	"scalekit.v1.connections",
	"scalekit.v1.directories",
	"scalekit.v1.domains",
	"scalekit.v1.errdetails",
	"scalekit.v1.events",
	"scalekit.v1.organizations",
	"scalekit.v1.sessions",
	"scalekit.v1.users",
}

// TestDescriptorsMatchNodeSDK compares our hand-written schema with the one
// the installed @scalekit-sdk/node was generated from.
func TestDescriptorsMatchNodeSDK(t *testing.T) {
	sdk := sdkSchema(t)
	ours := ourSchema()

	var pkgs []string
	for _, f := range ours.Files {
		pkgs = append(pkgs, f.Package)
	}
	slices.Sort(pkgs)
	if !slices.Equal(pkgs, wantPackages) {
		t.Fatalf("registered scalekit packages = %v, want %v", pkgs, wantPackages)
	}

	if diffs := compareSchemas(ours, sdk); len(diffs) > 0 {
		t.Errorf("proto/ differs from %s in %d places:\n%s", sdk.SDK, len(diffs), strings.Join(diffs, "\n"))
	}
	// Every Scalekit method has a REST binding; one of ours without any
	// (compared equal to an SDK schema that lost them) would be missing
	// from the REST API.
	for _, f := range ours.Files {
		for _, s := range f.Services {
			for _, m := range s.Methods {
				if len(m.HTTP) == 0 {
					t.Errorf("%s method %s has no google.api.http binding", s.Name, m.Name)
				}
			}
		}
	}
}

// TestSuccessStatusMatchesReference checks the status the mock's REST API
// answers a successful call with (201 for some creates, 200 for the rest)
// against the one Scalekit's API reference documents for each served
// method, which the SDK's descriptors carry.
func TestSuccessStatusMatchesReference(t *testing.T) {
	sdk := sdkSchema(t)
	documented := map[string]string{}
	for _, f := range sdk.Files {
		for _, s := range f.Services {
			for _, m := range s.Methods {
				documented["/"+s.Name+"/"+m.Name] = m.Success
			}
		}
	}
	for _, f := range ourSchema().Files {
		for _, s := range f.Services {
			for _, m := range s.Methods {
				proc := "/" + s.Name + "/" + m.Name
				want := documented[proc]
				if want == "" {
					want = "200" // documented with no status: grpc-gateway's default
				}
				if got := strconv.Itoa(rest.SuccessStatus(proc)); got != want {
					t.Errorf("%s: the REST API answers %s, Scalekit's API reference documents %s", proc, got, want)
				}
			}
		}
	}
}

// TestOnlyWhatIsServed checks that every message and enum we declare is
// reachable from a method of our services or from errdetails.ErrorInfo (the
// error detail the mock sends): proto/ holds what the mock serves, no more.
func TestOnlyWhatIsServed(t *testing.T) {
	ours := ourSchema()
	fields := map[string][]schemaField{}
	var all []string
	var roots []string
	for _, f := range ours.Files {
		for _, m := range f.Messages {
			fields[m.Name] = m.Fields
			all = append(all, m.Name)
		}
		for _, e := range f.Enums {
			all = append(all, e.Name)
		}
		for _, s := range f.Services {
			for _, m := range s.Methods {
				roots = append(roots, m.Input, m.Output)
			}
		}
	}
	roots = append(roots, ".scalekit.v1.errdetails.ErrorInfo")
	seen := map[string]bool{}
	for len(roots) > 0 {
		n := roots[len(roots)-1]
		roots = roots[:len(roots)-1]
		if seen[n] {
			continue
		}
		seen[n] = true
		for _, f := range fields[n] {
			if f.TypeName != "" {
				roots = append(roots, f.TypeName)
			}
		}
		// A nested type is reachable only through its parent's name.
		for p := n; strings.Count(p, ".") > 3; {
			p = p[:strings.LastIndex(p, ".")]
			if _, ok := fields[p]; ok {
				roots = append(roots, p)
			}
		}
	}
	for _, n := range all {
		if !seen[n] {
			t.Errorf("%s is declared but no served method or ErrorInfo uses it", strings.TrimPrefix(n, "."))
		}
	}
}

// TestCompareSchemasReportsDifferences feeds compareSchemas a copy of our
// schema altered in known ways, to show that each kind of difference is
// reported, by name, on its own line.
func TestCompareSchemasReportsDifferences(t *testing.T) {
	ours := ourSchema()
	if diffs := compareSchemas(ours, copySchema(t, ours)); len(diffs) > 0 {
		t.Fatalf("a schema differs from its own copy:\n%s", strings.Join(diffs, "\n"))
	}

	sdk := copySchema(t, ours)
	sdk.SDK = "the altered copy"
	msg := func(name string) *schemaMessage {
		for i := range sdk.Files {
			for j := range sdk.Files[i].Messages {
				if sdk.Files[i].Messages[j].Name == name {
					return &sdk.Files[i].Messages[j]
				}
			}
		}
		t.Fatalf("no message %s", name)
		return nil
	}
	field := func(m *schemaMessage, name string) *schemaField {
		for i := range m.Fields {
			if m.Fields[i].Name == name {
				return &m.Fields[i]
			}
		}
		t.Fatalf("no field %s in %s", name, m.Name)
		return nil
	}

	user := msg(".scalekit.v1.users.User")
	field(user, "email").Number = 99
	field(user, "external_id").Proto3Optional = false
	field(user, "memberships").Label = int32(descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL)
	field(user, "user_profile").TypeName = ".scalekit.v1.commons.Role"
	field(user, "last_login_time").Type = int32(descriptorpb.FieldDescriptorProto_TYPE_STRING)
	org := msg(".scalekit.v1.organizations.Organization")
	org.Fields = append(org.Fields, schemaField{Name: "brand_new", Number: 42, Type: int32(descriptorpb.FieldDescriptorProto_TYPE_STRING), Label: 1})
	getOrg := msg(".scalekit.v1.organizations.GetOrganizationRequest")
	field(getOrg, "external_id").Oneof = "lookup"
	domain := msg(".scalekit.v1.domains.Domain")
	domain.Fields = slices.DeleteFunc(domain.Fields, func(f schemaField) bool { return f.Name == "txt_record_key" })
	for i := range sdk.Files {
		f := &sdk.Files[i]
		f.Messages = slices.DeleteFunc(f.Messages, func(m schemaMessage) bool { return m.Name == ".scalekit.v1.sessions.Location" })
		for j := range f.Enums {
			e := &f.Enums[j]
			if e.Name == ".scalekit.v1.commons.RegionCode" {
				e.Values[1].Number = 7
				e.Values = append(e.Values, schemaEnumValue{Name: "APAC", Number: 3})
			}
		}
		for j := range f.Services {
			s := &f.Services[j]
			if s.Name == "scalekit.v1.users.UserService" {
				for k := range s.Methods {
					switch s.Methods[k].Name {
					case "GetUser":
						s.Methods[k].Output = ".scalekit.v1.users.User"
					case "ListUsers":
						s.Methods[k].Name = "ListAllUsers"
					case "DeleteUser":
						s.Methods[k].HTTP[1].Path = "/api/v1/users/external/{external_id}"
					}
				}
			}
		}
	}

	diffs := compareSchemas(ours, sdk)
	want := []string{
		"scalekit.v1.users.User field email: number 5 here, 99 in the altered copy",
		"scalekit.v1.users.User field external_id: proto3_optional true here, false in the altered copy",
		"scalekit.v1.users.User field memberships: label LABEL_REPEATED here, LABEL_OPTIONAL in the altered copy",
		"scalekit.v1.users.User field user_profile: type_name .scalekit.v1.commons.UserProfile here, .scalekit.v1.commons.Role in the altered copy",
		"scalekit.v1.users.User field last_login_time: type TYPE_MESSAGE here, TYPE_STRING in the altered copy",
		"scalekit.v1.organizations.Organization field brand_new: missing here, number 42 in the altered copy",
		`scalekit.v1.organizations.GetOrganizationRequest field external_id: oneof "identities" here, "lookup" in the altered copy`,
		"scalekit.v1.domains.Domain field txt_record_key: number 6 here, missing in the altered copy",
		"scalekit.v1.sessions.Location: message declared here, missing in the altered copy",
		"scalekit.v1.commons.RegionCode value US: number 1 here, 7 in the altered copy",
		"scalekit.v1.commons.RegionCode value APAC: missing here, number 3 in the altered copy",
		"scalekit.v1.users.UserService method GetUser: output .scalekit.v1.users.GetUserResponse here, .scalekit.v1.users.User in the altered copy",
		"scalekit.v1.users.UserService method ListUsers: declared here, missing in the altered copy",
		"scalekit.v1.users.UserService method DeleteUser: REST bindings [DELETE /api/v1/users/{id}; DELETE /api/v1/users:external/{external_id}] here, [DELETE /api/v1/users/{id}; DELETE /api/v1/users/external/{external_id}] in the altered copy",
	}
	for _, w := range want {
		if !slices.Contains(diffs, w) {
			t.Errorf("difference not reported: %s", w)
		}
	}
	if len(diffs) != len(want) {
		t.Errorf("got %d differences, want %d:\n%s", len(diffs), len(want), strings.Join(diffs, "\n"))
	}
}

// compareSchemas lists every way ours differs from sdk, one line each.
// Everything we declare must be in sdk exactly; sdk may have more messages,
// enums, services and methods than ours, but not more fields or enum values
// in what we declare.
func compareSchemas(ours, sdk schema) []string {
	in := "in " + sdk.SDK
	sdkFiles := map[string]schemaFile{}
	sdkMessages := map[string]schemaMessage{}
	sdkEnums := map[string]schemaEnum{}
	sdkServices := map[string]schemaService{}
	fileOf := map[string]string{}
	for _, f := range sdk.Files {
		sdkFiles[f.Name] = f
		for _, m := range f.Messages {
			sdkMessages[m.Name] = m
			fileOf[m.Name] = f.Name
		}
		for _, e := range f.Enums {
			sdkEnums[e.Name] = e
			fileOf[e.Name] = f.Name
		}
		for _, s := range f.Services {
			sdkServices[s.Name] = s
			fileOf[s.Name] = f.Name
		}
	}

	var diffs []string
	add := func(format string, args ...any) { diffs = append(diffs, fmt.Sprintf(format, args...)) }
	sameFile := func(name, file string) {
		if got, ok := fileOf[name]; ok && got != file {
			add("%s: in file %s here, %s %s", strings.TrimPrefix(name, "."), file, got, in)
		}
	}

	for _, f := range ours.Files {
		sf, ok := sdkFiles[f.Name]
		switch {
		case !ok:
			add("file %s: declared here, missing %s", f.Name, in)
		case sf.Package != f.Package:
			add("file %s: package %s here, %s %s", f.Name, f.Package, sf.Package, in)
		}

		for _, m := range f.Messages {
			name := strings.TrimPrefix(m.Name, ".")
			sm, ok := sdkMessages[m.Name]
			if !ok {
				add("%s: message declared here, missing %s", name, in)
				continue
			}
			sameFile(m.Name, f.Name)
			if m.MapEntry != sm.MapEntry {
				add("%s: map_entry %t here, %t %s", name, m.MapEntry, sm.MapEntry, in)
			}
			diffs = append(diffs, compareFields(name, m.Fields, sm.Fields, in)...)
		}

		for _, e := range f.Enums {
			name := strings.TrimPrefix(e.Name, ".")
			se, ok := sdkEnums[e.Name]
			if !ok {
				add("%s: enum declared here, missing %s", name, in)
				continue
			}
			sameFile(e.Name, f.Name)
			sdkValues := map[string]int32{}
			for _, v := range se.Values {
				sdkValues[v.Name] = v.Number
			}
			ourValues := map[string]bool{}
			for _, v := range e.Values {
				ourValues[v.Name] = true
				n, ok := sdkValues[v.Name]
				switch {
				case !ok:
					add("%s value %s: number %d here, missing %s", name, v.Name, v.Number, in)
				case n != v.Number:
					add("%s value %s: number %d here, %d %s", name, v.Name, v.Number, n, in)
				}
			}
			for _, v := range se.Values {
				if !ourValues[v.Name] {
					add("%s value %s: missing here, number %d %s", name, v.Name, v.Number, in)
				}
			}
		}

		for _, s := range f.Services {
			ss, ok := sdkServices[s.Name]
			if !ok {
				add("%s: service declared here, missing %s", s.Name, in)
				continue
			}
			sameFile(s.Name, f.Name)
			sdkMethods := map[string]schemaMethod{}
			for _, m := range ss.Methods {
				sdkMethods[m.Name] = m
			}
			for _, m := range s.Methods {
				sm, ok := sdkMethods[m.Name]
				if !ok {
					add("%s method %s: declared here, missing %s", s.Name, m.Name, in)
					continue
				}
				if m.Input != sm.Input {
					add("%s method %s: input %s here, %s %s", s.Name, m.Name, m.Input, sm.Input, in)
				}
				if m.Output != sm.Output {
					add("%s method %s: output %s here, %s %s", s.Name, m.Name, m.Output, sm.Output, in)
				}
				if !slices.Equal(m.HTTP, sm.HTTP) {
					add("%s method %s: REST bindings %s here, %s %s", s.Name, m.Name, bindings(m.HTTP), bindings(sm.HTTP), in)
				}
			}
		}
	}
	return diffs
}

// compareFields compares the fields of one message both ways.
func compareFields(msg string, ours, sdk []schemaField, in string) []string {
	var diffs []string
	add := func(field, format string, args ...any) {
		diffs = append(diffs, fmt.Sprintf("%s field %s: ", msg, field)+fmt.Sprintf(format, args...))
	}
	sdkFields := map[string]schemaField{}
	for _, f := range sdk {
		sdkFields[f.Name] = f
	}
	ourFields := map[string]bool{}
	for _, f := range ours {
		ourFields[f.Name] = true
		s, ok := sdkFields[f.Name]
		if !ok {
			add(f.Name, "number %d here, missing %s", f.Number, in)
			continue
		}
		if f.Number != s.Number {
			add(f.Name, "number %d here, %d %s", f.Number, s.Number, in)
		}
		if f.Type != s.Type {
			add(f.Name, "type %s here, %s %s", typeName(f.Type), typeName(s.Type), in)
		}
		if f.Label != s.Label {
			add(f.Name, "label %s here, %s %s", labelName(f.Label), labelName(s.Label), in)
		}
		if f.TypeName != s.TypeName {
			add(f.Name, "type_name %s here, %s %s", orNone(f.TypeName), orNone(s.TypeName), in)
		}
		if f.Oneof != s.Oneof {
			add(f.Name, "oneof %q here, %q %s", f.Oneof, s.Oneof, in)
		}
		if f.Proto3Optional != s.Proto3Optional {
			add(f.Name, "proto3_optional %t here, %t %s", f.Proto3Optional, s.Proto3Optional, in)
		}
	}
	for _, s := range sdk {
		if !ourFields[s.Name] {
			add(s.Name, "missing here, number %d %s", s.Number, in)
		}
	}
	return diffs
}

func typeName(t int32) string {
	return descriptorpb.FieldDescriptorProto_Type(t).String()
}

func labelName(l int32) string {
	return descriptorpb.FieldDescriptorProto_Label(l).String()
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// ourSchema describes the scalekit files our generated packages registered,
// in the same shape descriptors.mjs prints.
func ourSchema() schema {
	var files []schemaFile
	protoregistry.GlobalFiles.RangeFiles(func(fd protoreflect.FileDescriptor) bool {
		if strings.HasPrefix(fd.Path(), "scalekit/") {
			files = append(files, fileSchema(protodesc.ToFileDescriptorProto(fd)))
		}
		return true
	})
	slices.SortFunc(files, func(a, b schemaFile) int { return strings.Compare(a.Name, b.Name) })
	return schema{SDK: "proto/", Files: files}
}

func fileSchema(fd *descriptorpb.FileDescriptorProto) schemaFile {
	pkg := "." + fd.GetPackage()
	f := schemaFile{Name: fd.GetName(), Package: fd.GetPackage()}
	f.Enums = enumSchemas(pkg, fd.GetEnumType(), nil)
	f.Messages = messageSchemas(pkg, fd.GetMessageType(), nil, &f.Enums)
	for _, s := range fd.GetService() {
		ss := schemaService{Name: fd.GetPackage() + "." + s.GetName()}
		for _, m := range s.GetMethod() {
			ss.Methods = append(ss.Methods, schemaMethod{Name: m.GetName(), Input: m.GetInputType(), Output: m.GetOutputType(), HTTP: httpSchema(m)})
		}
		f.Services = append(f.Services, ss)
	}
	return f
}

// httpSchema flattens a method's google.api.http option into its
// bindings, the primary one first, as descriptors.mjs does.
func httpSchema(m *descriptorpb.MethodDescriptorProto) []schemaHTTP {
	if !proto.HasExtension(m.GetOptions(), annotations.E_Http) {
		return nil
	}
	rule := proto.GetExtension(m.GetOptions(), annotations.E_Http).(*annotations.HttpRule)
	var out []schemaHTTP
	var flatten func(r *annotations.HttpRule)
	flatten = func(r *annotations.HttpRule) {
		h := schemaHTTP{Body: r.GetBody(), ResponseBody: r.GetResponseBody()}
		switch p := r.GetPattern().(type) {
		case *annotations.HttpRule_Get:
			h.Method, h.Path = "GET", p.Get
		case *annotations.HttpRule_Put:
			h.Method, h.Path = "PUT", p.Put
		case *annotations.HttpRule_Post:
			h.Method, h.Path = "POST", p.Post
		case *annotations.HttpRule_Delete:
			h.Method, h.Path = "DELETE", p.Delete
		case *annotations.HttpRule_Patch:
			h.Method, h.Path = "PATCH", p.Patch
		case *annotations.HttpRule_Custom:
			h.Method, h.Path = p.Custom.GetKind(), p.Custom.GetPath()
		}
		out = append(out, h)
		for _, b := range r.GetAdditionalBindings() {
			flatten(b)
		}
	}
	flatten(rule)
	return out
}

func messageSchemas(prefix string, list []*descriptorpb.DescriptorProto, out []schemaMessage, enums *[]schemaEnum) []schemaMessage {
	for _, m := range list {
		full := prefix + "." + m.GetName()
		sm := schemaMessage{Name: full, MapEntry: m.GetOptions().GetMapEntry()}
		for _, f := range m.GetField() {
			sf := schemaField{
				Name:           f.GetName(),
				Number:         f.GetNumber(),
				Type:           int32(f.GetType()),
				Label:          int32(f.GetLabel()),
				TypeName:       f.GetTypeName(),
				Proto3Optional: f.GetProto3Optional(),
			}
			if f.OneofIndex != nil && !f.GetProto3Optional() {
				sf.Oneof = m.GetOneofDecl()[f.GetOneofIndex()].GetName()
			}
			sm.Fields = append(sm.Fields, sf)
		}
		out = append(out, sm)
		out = messageSchemas(full, m.GetNestedType(), out, enums)
		*enums = enumSchemas(full, m.GetEnumType(), *enums)
	}
	return out
}

func enumSchemas(prefix string, list []*descriptorpb.EnumDescriptorProto, out []schemaEnum) []schemaEnum {
	for _, e := range list {
		se := schemaEnum{Name: prefix + "." + e.GetName()}
		for _, v := range e.GetValue() {
			se.Values = append(se.Values, schemaEnumValue{Name: v.GetName(), Number: v.GetNumber()})
		}
		out = append(out, se)
	}
	return out
}

// sdkSchema runs scripts/node-sdk/descriptors.mjs and decodes its output,
// skipping the test when Node or the SDK is not installed.
func sdkSchema(t *testing.T) schema {
	t.Helper()
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "scripts", "node-sdk")
	const install = "install Node.js 20 or later and run: cd scripts/node-sdk && npm ci"
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skipf("node not found (%v); %s", err, install)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@scalekit-sdk", "node", "package.json")); err != nil {
		t.Skipf("@scalekit-sdk/node is not installed in scripts/node-sdk/node_modules; %s", install)
	}

	cmd := exec.Command(node, "descriptors.mjs")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node descriptors.mjs: %v\n%s", err, stderr.Bytes())
	}
	var s schema
	if err := json.Unmarshal(out, &s); err != nil {
		t.Fatalf("decoding the output of node descriptors.mjs: %v", err)
	}
	if s.SDK == "" || len(s.Files) == 0 {
		t.Fatalf("node descriptors.mjs printed no SDK version or no files")
	}
	return s
}

// repoRoot walks up from the working directory to the directory that has
// scripts/node-sdk/descriptors.mjs.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "scripts", "node-sdk", "descriptors.mjs")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no scripts/node-sdk/descriptors.mjs above the working directory")
		}
		dir = parent
	}
}

func copySchema(t *testing.T, s schema) schema {
	t.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var c schema
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c
}
