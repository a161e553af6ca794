package scim

import (
	"net/http"
	"strings"
)

// The discovery endpoints (RFC 7644 §4): what the endpoint supports, its
// schemas and its resource types, which an IdP reads when it is set up.

// config is /ServiceProviderConfig (RFC 7643 §5).
func (q *request) config() doc {
	return doc{
		"schemas":        []string{configSchema},
		"patch":          doc{"supported": true},
		"bulk":           doc{"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
		"filter":         doc{"supported": true, "maxResults": maxCount},
		"changePassword": doc{"supported": false},
		"sort":           doc{"supported": false},
		"etag":           doc{"supported": false},
		"authenticationSchemes": []doc{{"type": "oauthbearertoken", "name": "OAuth Bearer Token", "primary": true,
			"description": "The directory's SCIM token, sent as Authorization: Bearer <token>"}},
		"meta": doc{"resourceType": "ServiceProviderConfig", "location": q.base + "/ServiceProviderConfig"},
	}
}

// schemas serves /Schemas and /Schemas/{urn}.
func (q *request) schemas(id string) {
	var items []any
	for _, s := range schemas() {
		d := doc{"schemas": []string{schemaSchema}, "id": s.id, "name": s.name, "description": s.description,
			"attributes": attrDocs(s.attrs), "meta": doc{"resourceType": "Schema", "location": q.base + "/Schemas/" + s.id}}
		if id == "" {
			items = append(items, d)
		} else if strings.EqualFold(id, s.id) {
			writeJSON(q.w, http.StatusOK, d)
			return
		}
	}
	if id != "" {
		writeError(q.w, errorf(http.StatusNotFound, "", "schema %s is not one the mock serves: GET /Schemas lists them", quoteShort(id)))
		return
	}
	writeJSON(q.w, http.StatusOK, listResponse(len(items), 1, items))
}

// attrDocs are attribute definitions as /Schemas shows them (RFC 7643 §7).
func attrDocs(attrs []attr) []doc {
	out := make([]doc, 0, len(attrs))
	for _, a := range attrs {
		mut, returned, uniq := a.mut, "default", "none"
		if mut == "" {
			mut = readWrite
		}
		if mut == writeOnly {
			returned = "never"
		}
		if a.unique {
			uniq = "server"
		}
		d := doc{"name": a.name, "type": a.typ, "multiValued": a.multi, "required": a.required, "caseExact": a.caseExact,
			"mutability": mut, "returned": returned, "uniqueness": uniq}
		if a.typ == tComplex {
			d["subAttributes"] = attrDocs(a.subs)
		}
		out = append(out, d)
	}
	return out
}

// resourceTypes serves /ResourceTypes and /ResourceTypes/{name}.
func (q *request) resourceTypes(id string) {
	var items []any
	for _, k := range []*kind{userKind(), groupKind()} {
		d := doc{"schemas": []string{typeSchema}, "id": k.name, "name": k.name, "endpoint": k.endpoint, "schema": k.core,
			"meta": doc{"resourceType": "ResourceType", "location": q.base + "/ResourceTypes/" + k.name}}
		if k.ext != nil {
			d["schemaExtensions"] = []doc{{"schema": EnterpriseSchema, "required": false}}
		}
		if id == "" {
			items = append(items, d)
		} else if strings.EqualFold(id, k.name) {
			writeJSON(q.w, http.StatusOK, d)
			return
		}
	}
	if id != "" {
		writeError(q.w, errorf(http.StatusNotFound, "", "resource type %s is not one the mock serves: User and Group", quoteShort(id)))
		return
	}
	writeJSON(q.w, http.StatusOK, listResponse(len(items), 1, items))
}
