package conformance

// The mock's customer control plane (D20, spec/mock-admin.yaml: POST /_mock/chats/{id}/customer
// with {"action", "text"}). spec/admin_wire.go has no constants for it yet; when it gets them,
// these go.
const (
	customerActionField = "action"
	customerMessage     = "message"
)

// customerPath is the control-plane path, below the admin base path, that plays chatID's
// customer.
func customerPath(chatID string) string { return "/chats/" + chatID + "/customer" }
