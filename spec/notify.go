package spec

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// ValidateNotification checks the GWS payload of a CometD message (the Bayeux data) published
// on channel. The schema is chosen by channel and data.messageType; an unknown channel, a
// missing or unknown messageType, or a messageType the channel does not carry is an issue.
//
// A value beyond the ones the contract knows (a capability, a state, an undocumented member
// of the payload or of its resource) is a warning: see CollectWarnings and Strict.
func (c *Contract) ValidateNotification(channel string, data []byte, opts ...Option) error {
	v, err := decodeJSON(data)
	if err != nil {
		return syntaxIssue("notification", err)
	}
	return makeOptions(opts).finish(c.validatePayload(channel, v))
}

func (c *Contract) validatePayload(channel string, v any) outcome {
	const where = "notification"
	allowed := MessageTypes(channel)
	if allowed == nil {
		return fault(Issue{Where: where, Rule: RuleChannel, Message: fmt.Sprintf("unknown channel %q; the contract has %s", channel, strings.Join(Channels(), ", "))})
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return fault(Issue{Where: where, Rule: RuleType, Message: "a notification payload must be a JSON object"})
	}
	raw, ok := obj[FieldMessageType]
	if !ok {
		return fault(Issue{Where: where, Pointer: Pointer(FieldMessageType), Rule: RuleRequired, Message: "messageType is missing"})
	}
	mt, ok := raw.(string)
	if !ok {
		return fault(Issue{Where: where, Pointer: Pointer(FieldMessageType), Rule: RuleType, Message: "messageType must be a string"})
	}
	schema, ok := NotificationSchema(mt)
	if !ok {
		return fault(Issue{Where: where, Pointer: Pointer(FieldMessageType), Rule: RuleEnum, Message: fmt.Sprintf("unknown messageType %q", mt)})
	}
	if !slices.Contains(allowed, mt) {
		return fault(Issue{Where: where, Pointer: Pointer(FieldMessageType), Rule: RuleChannel, Message: fmt.Sprintf("%s is not published on %s (it carries %s)", mt, channel, strings.Join(allowed, ", "))})
	}
	r, err := c.schemas.check(schema, v)
	if err != nil { // NotificationSchema names only files of the contract
		return fault(Issue{Where: where, Rule: RuleSchema, Message: err.Error()})
	}
	return r.prefixed("", where+" "+mt)
}

// ValidateMessage checks a whole Bayeux message carrying a notification,
// {"channel": …, "data": {…}, …}: the envelope against bayeux-message.json, then data as
// ValidateNotification does. Payload issues point below /data.
func (c *Contract) ValidateMessage(msg []byte, opts ...Option) error {
	v, err := decodeJSON(msg)
	if err != nil {
		return syntaxIssue("message", err)
	}
	o := makeOptions(opts)
	env, err := c.schemas.check(BayeuxMessageSchema, v)
	if err != nil {
		return err
	}
	env = env.prefixed("", "message")
	if len(env.issues) > 0 {
		return o.finish(env)
	}
	obj := v.(map[string]any) // the envelope schema made sure
	channel, _ := obj["channel"].(string)
	r := c.validatePayload(channel, obj["data"]).prefixed("/data", "")
	r.warnings = append(env.warnings, r.warnings...)
	return o.finish(r)
}

// ValidateDocument checks doc against one schema file of the contract (for example
// "workitem.json"); see Schemas for the names.
func (c *Contract) ValidateDocument(schema string, doc []byte, opts ...Option) error {
	if !c.schemas.Has(schema) {
		return fmt.Errorf("spec: %w: %q", ErrUnknownSchema, schema)
	}
	return c.schemas.Validate(schema, doc, opts...)
}

// ValidateValue is ValidateDocument for an already decoded value (from encoding/json, with
// or without UseNumber).
func (c *Contract) ValidateValue(schema string, v any, opts ...Option) error {
	if !c.schemas.Has(schema) {
		return fmt.Errorf("spec: %w: %q", ErrUnknownSchema, schema)
	}
	return c.schemas.ValidateValue(schema, v, opts...)
}

// ExtraFields lists the top-level members of doc that the schema does not declare (sorted).
// Request bodies are open (GWS ignores unknown fields, D2); the mock's strict mode reports
// these.
func (c *Contract) ExtraFields(schema string, doc []byte) ([]string, error) {
	if !c.schemas.Has(schema) {
		return nil, fmt.Errorf("spec: %w: %q", ErrUnknownSchema, schema)
	}
	v, err := decodeJSON(doc)
	if err != nil {
		return nil, syntaxIssue(schema, err)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, nil
	}
	known := map[string]bool{}
	collectProperties(c.schemas.docs[schema], known)
	var extra []string
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		if !known[k] {
			extra = append(extra, k)
		}
	}
	return extra, nil
}

// collectProperties gathers the property names a schema declares, through allOf.
func collectProperties(schema any, into map[string]bool) {
	m, ok := schema.(map[string]any)
	if !ok {
		return
	}
	if props, ok := m["properties"].(map[string]any); ok {
		for k := range props {
			into[k] = true
		}
	}
	if all, ok := m["allOf"].([]any); ok {
		for _, b := range all {
			collectProperties(b, into)
		}
	}
}
