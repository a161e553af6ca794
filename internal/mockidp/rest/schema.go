package rest

import (
	"fmt"

	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
)

// serviceSchema is the descriptor vanguard is given for a service: the
// registered one, or, when a binding has a colon inside a path
// (/api/v1/organizations:external/{external_id}), a copy of its file with
// those templates rewritten by segs. vanguard then works on dynamic
// messages of the copy; the handler still gets the same protobuf bytes.
func serviceSchema(name string, segs *colonSegments) (protoreflect.ServiceDescriptor, error) {
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(name))
	if err != nil {
		return nil, fmt.Errorf("service %s is not registered: %w", name, err)
	}
	sd, ok := d.(protoreflect.ServiceDescriptor)
	if !ok {
		return nil, fmt.Errorf("%s is not a service", name)
	}
	fdp := protodesc.ToFileDescriptorProto(sd.ParentFile())
	changed := false
	for _, s := range fdp.GetService() {
		if s.GetName() != string(sd.Name()) {
			continue
		}
		for _, m := range s.GetMethod() {
			if rewriteRule(m, segs) {
				changed = true
			}
		}
	}
	if !changed {
		return sd, nil
	}
	fd, err := protodesc.NewFile(fdp, protoregistry.GlobalFiles)
	if err != nil {
		return nil, fmt.Errorf("copying %s with its REST paths rewritten: %w", sd.ParentFile().Path(), err)
	}
	copied := fd.Services().ByName(sd.Name())
	if copied == nil {
		return nil, fmt.Errorf("the copy of %s lost service %s", fd.Path(), name)
	}
	return copied, nil
}

// rewriteRule rewrites the templates of a method's google.api.http
// bindings in place, reporting whether any changed.
func rewriteRule(m *descriptorpb.MethodDescriptorProto, segs *colonSegments) bool {
	if m.GetOptions() == nil || !proto.HasExtension(m.GetOptions(), annotations.E_Http) {
		return false
	}
	rule, ok := proto.GetExtension(m.GetOptions(), annotations.E_Http).(*annotations.HttpRule)
	if !ok || rule == nil {
		return false
	}
	rule = proto.CloneOf(rule)
	changed := rewriteBinding(rule, segs)
	for _, b := range rule.GetAdditionalBindings() {
		if rewriteBinding(b, segs) {
			changed = true
		}
	}
	if changed {
		proto.SetExtension(m.GetOptions(), annotations.E_Http, rule)
	}
	return changed
}

// rewriteBinding rewrites the path template of one binding.
func rewriteBinding(rule *annotations.HttpRule, segs *colonSegments) bool {
	var changed bool
	switch p := rule.GetPattern().(type) {
	case *annotations.HttpRule_Get:
		p.Get, changed = segs.template(p.Get)
	case *annotations.HttpRule_Put:
		p.Put, changed = segs.template(p.Put)
	case *annotations.HttpRule_Post:
		p.Post, changed = segs.template(p.Post)
	case *annotations.HttpRule_Delete:
		p.Delete, changed = segs.template(p.Delete)
	case *annotations.HttpRule_Patch:
		p.Patch, changed = segs.template(p.Patch)
	case *annotations.HttpRule_Custom:
		p.Custom.Path, changed = segs.template(p.Custom.GetPath())
	}
	return changed
}
