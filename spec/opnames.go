package spec

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// operationNames is what the operationName discriminators of openapi.yaml map: the POST
// bodies are a oneOf whose discriminator names, for each operationName, its request schema.
type operationNames struct {
	schema map[string]string   // operationName → schema file (pull.json…)
	byOp   map[string][]string // operationId → the operationNames its body takes, sorted
}

// indexOperationNames reads every request body's discriminator mapping. A discriminator
// on another member, a mapping to no schema file, or one name mapped to two schema files
// is a fault of the contract.
func (c *Contract) indexOperationNames() error {
	names := operationNames{schema: map[string]string{}, byOp: map[string][]string{}}
	var comps openapi3.Schemas
	if c.doc.Components != nil {
		comps = c.doc.Components.Schemas
	}
	for _, p := range slices.Sorted(maps.Keys(c.doc.Paths.Map())) {
		ops := c.doc.Paths.Value(p).Operations()
		for _, m := range slices.Sorted(maps.Keys(ops)) {
			op := ops[m]
			if op.RequestBody == nil || op.RequestBody.Value == nil {
				continue
			}
			ptr := Pointer("paths", p, strings.ToLower(m), "requestBody")
			for _, mt := range slices.Sorted(maps.Keys(op.RequestBody.Value.Content)) {
				sch := op.RequestBody.Value.Content[mt].Schema
				if sch == nil || sch.Value == nil || sch.Value.Discriminator == nil {
					continue
				}
				d := sch.Value.Discriminator
				if d.PropertyName != FieldOperationName {
					return &FileError{File: OpenAPIFile, Pointer: ptr, Err: fmt.Errorf("discriminator on %q: request bodies are told apart by %s", d.PropertyName, FieldOperationName)}
				}
				for _, name := range slices.Sorted(maps.Keys(d.Mapping)) {
					ref := d.Mapping[name].Ref
					comp, ok := strings.CutPrefix(ref, "#/components/schemas/")
					file := ""
					if ok && comps[comp] != nil {
						file = c.schemaFileOf(comps[comp])
					}
					if file == "" {
						return &FileError{File: OpenAPIFile, Pointer: ptr, Err: fmt.Errorf("discriminator mapping %s: %q is no schema file of components.schemas", name, ref)}
					}
					if prev, ok := names.schema[name]; ok && prev != file {
						return &FileError{File: OpenAPIFile, Pointer: ptr, Err: fmt.Errorf("discriminator mapping %s: %s here, %s elsewhere", name, file, prev)}
					}
					names.schema[name] = file
					if !slices.Contains(names.byOp[op.OperationID], name) {
						names.byOp[op.OperationID] = append(names.byOp[op.OperationID], name)
					}
				}
			}
		}
	}
	for _, l := range names.byOp {
		slices.Sort(l)
	}
	c.opNames = names
	return nil
}

// RequestSchema returns the schema file of the request body that carries operationName, as
// the discriminators of openapi.yaml map it (pull.json for the pull names, add.json for the
// add names, …), for example to list the members a body may have; false for a name no
// request body carries.
func (c *Contract) RequestSchema(operationName string) (string, bool) {
	f, ok := c.opNames.schema[operationName]
	return f, ok
}

// OperationNames lists the operationNames the request body of an operation (by
// operationId) takes, sorted; nil for an operation without an operationName discriminator.
func (c *Contract) OperationNames(operationID string) []string {
	return slices.Clone(c.opNames.byOp[operationID])
}
