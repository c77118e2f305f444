package spec

import (
	"fmt"

	"github.com/getkin/kin-openapi/openapi3"
)

// KinValidateValue validates v with kin-openapi against a schema file as openapi.yaml loads it
// (through components.schemas and the files' $refs). Only for the differential test.
func (c *Contract) KinValidateValue(schema string, v any) error {
	s := c.kinSchemas[schema]
	if s == nil {
		return fmt.Errorf("no schema %q", schema)
	}
	return invalid(kinSchemaIssues(schema, s.VisitJSON(v, openapi3.MultiErrors())))
}
