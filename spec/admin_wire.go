package spec

import "net/url"

// Facts of the mock's control plane (mock-admin.yaml) that clients of it use: the
// conformance suite provisions interactions and switches options through them.
// admin_wire_test.go proves each against mock-admin.yaml.

// AdminBasePath is the control plane's prefix on the mock (mock-admin.yaml servers).
const AdminBasePath = "/_mock"

// Control-plane paths, relative to AdminBasePath.
const (
	// AdminPathInteractions: POST creates an interaction in a workbin (placeInteraction).
	AdminPathInteractions = "/interactions"
	// AdminPathOptions: GET, PUT (from the defaults) and PATCH (from the current) options.
	AdminPathOptions = "/options"
	// AdminPathDeviations: GET and PUT the deviation switches.
	AdminPathDeviations = "/deviations"
	// AdminPathChatCustomer: POST acts as the customer of a chat (actAsCustomer, D20); the
	// {id} of AdminPathChatCustomerTemplate, see AdminChatCustomerPath.
	AdminPathChatCustomerTemplate = "/chats/{id}/customer"
)

// AdminChatCustomerPath is the actAsCustomer path of one chat, relative to AdminBasePath.
func AdminChatCustomerPath(chatID string) string {
	return "/chats/" + url.PathEscape(chatID) + "/customer"
}

// Members and values of the actAsCustomer request (D20).
const (
	AdminFieldAction           = "action"
	AdminFieldText             = "text"
	AdminCustomerMessage       = "message"
	AdminCustomerTypingStarted = "typingStarted"
	AdminCustomerTypingStopped = "typingStopped"
	AdminCustomerLeave         = "leave"
)

// AdminCustomerActions lists the customer's actions.
func AdminCustomerActions() []string {
	return []string{AdminCustomerMessage, AdminCustomerTypingStarted, AdminCustomerTypingStopped, AdminCustomerLeave}
}

// Members of the placeInteraction request and reply.
const (
	AdminFieldWorkbinID   = "workbinId"
	AdminFieldMedia       = "media"
	AdminFieldUserData    = "userData"
	AdminFieldInteraction = "interaction"
)

// GWS configuration options (D6, D8), as the mock's options name them.
const (
	OptionEnableCsrfProtection         = "enableCsrfProtection"
	OptionEnableNotificationOnPullChat = "enableNotificationOnPullChat"
	OptionEnableJoinOnPullChat         = "enableJoinOnPullChat"
)
