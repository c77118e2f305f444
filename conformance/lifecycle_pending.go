package conformance

// PENDING(life): the mock's customer control plane is not in spec/admin_wire.go yet. These
// placeholders let the suite build; they are replaced by life's spec names on merge.
const (
	pendingCustomerField   = "action"
	pendingCustomerMessage = "message"
)

func pendingCustomerPath(chatID string) string { return "/chats/" + chatID + "/customer" }
