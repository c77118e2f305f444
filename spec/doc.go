// Package spec is the contract of workbinkit: the OpenAPI description of the GWS Workbins API
// (openapi.yaml), the CometD channels (asyncapi.yaml) and the JSON Schemas both of them use
// (schemas/*.json), embedded in the binary, plus the validators built from them.
//
// Load compiles everything once; a Contract is then safe for concurrent use and compiles
// nothing per call. HTTP requests and responses are checked by kin-openapi (OpenAPI 3.0.3),
// CometD payloads and single documents by gojsonschema (JSON Schema draft-04). Both
// validators read the same schema files, and their faults are reported in one shape: a
// *ValidationError whose Issues name the JSON pointer and the failing keyword (Rule) the same
// way whichever validator found them.
//
// The contract is as strict as the evidence, no stricter, so a message is checked at two
// levels. Shape (types, required members, patterns, the closed envelopes) fails in every
// mode. Values the contract only knows of — capabilities, states, notificationTypes, the
// members of resources and notification payloads — are written as x-known / x-extra-members
// annotations with their x-known-source; a value beyond them is a warning (RuleKnown,
// RuleExtraMember, with the value in Issue.Value), collected with CollectWarnings, and an
// error under Strict. The mock and the fixtures hold themselves to Strict.
//
// wire.go holds the wire-format facts (channel names, message types, capability lists,
// statusCodes, header names…) that other packages import instead of retyping; a test proves
// each of them appears in the schemas.
package spec
