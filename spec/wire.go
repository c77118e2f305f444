package spec

import (
	"maps"
	"net/http"
	"slices"
)

// Wire-format facts of the GWS Workbins API, for the packages that build or check messages.
// wire_test.go proves each of them appears in the schemas (and, for closed lists, that the
// schemas have no value missing here), so they cannot drift apart.

// URL paths.
const (
	// BasePath is the server base of every REST operation.
	BasePath = "/api/v2"
	// CometDPath is the Bayeux endpoint (long-polling; clients append /handshake, /connect…), D9.
	CometDPath = "/api/v2/notifications"
)

// MaxBodyBytes is the largest request body accepted; a larger one is HTTP 413 with
// statusCode 10 (D3).
const MaxBodyBytes = 1 << 20

// CometD channels (private to the session's user, D9).
const (
	ChannelWorkbins  = "/v2/me/workbins"
	ChannelWorkitems = "/v2/me/workitems"
	ChannelChats     = "/v2/me/chats"
	ChannelEmails    = "/v2/me/emails"
	// ChannelChannels carries the agent's channel states (ChannelStateChangeMessageV2, D21).
	ChannelChannels = "/v2/me/channels"
)

// PrivateChannelRoot is the root of the user's private channels: every channel of the
// contract is below it, and a user may subscribe to it or any pattern below it (D9).
const PrivateChannelRoot = "/v2/me"

// Channels lists the CometD channels of the contract.
func Channels() []string {
	return []string{ChannelWorkbins, ChannelWorkitems, ChannelChats, ChannelEmails, ChannelChannels}
}

// Notification message types (data.messageType).
const (
	MessageWorkitemStateChange            = "WorkitemStateChangeMessage"
	MessageChatStateChange                = "ChatStateChangeMessage"
	MessageEmailStateChange               = "EmailStateChangeMessage"
	MessageWorkbinStateChange             = "WorkbinStateChangeMessage"
	MessageWorkbinSubscriptionStateChange = "WorkbinSubscriptionStateChangeMessage"
	MessageWorkbinStats                   = "WorkbinStatsMessage"
	// MessageChatMessageLogUpdated is the chat transcript (real-gws fact 10): it names the
	// chat by FieldChatURI or FieldChatPath, not by id, and carries no referenceId.
	MessageChatMessageLogUpdated = "MessageLogUpdated"
	// MessageChannelStateChange is the agent's state per channel on /v2/me/channels (D21).
	MessageChannelStateChange = "ChannelStateChangeMessageV2"
)

// notificationSchemas maps a message type to its channel and schema file. Read-only table.
var notificationSchemas = map[string]struct{ channel, schema string }{
	MessageWorkitemStateChange:            {ChannelWorkitems, "workitem-state-change-message.json"},
	MessageChatStateChange:                {ChannelChats, "chat-state-change-message.json"},
	MessageEmailStateChange:               {ChannelEmails, "email-state-change-message.json"},
	MessageWorkbinStateChange:             {ChannelWorkbins, "workbin-state-change-message.json"},
	MessageWorkbinSubscriptionStateChange: {ChannelWorkbins, "workbin-subscription-state-change-message.json"},
	MessageWorkbinStats:                   {ChannelWorkbins, "workbin-stats-message.json"},
	MessageChatMessageLogUpdated:          {ChannelChats, "chat-message-log-updated-message.json"},
	MessageChannelStateChange:             {ChannelChannels, "channel-state-change-message.json"},
}

// MessageTypes lists the message types published on channel (nil for an unknown channel).
func MessageTypes(channel string) []string {
	var out []string
	for _, mt := range slices.Sorted(maps.Keys(notificationSchemas)) {
		if notificationSchemas[mt].channel == channel {
			out = append(out, mt)
		}
	}
	return out
}

// ChannelOf returns the channel a message type is published on.
func ChannelOf(messageType string) (string, bool) {
	n, ok := notificationSchemas[messageType]
	return n.channel, ok
}

// NotificationSchema returns the schema file of a message type.
func NotificationSchema(messageType string) (string, bool) {
	n, ok := notificationSchemas[messageType]
	return n.schema, ok
}

// BayeuxMessageSchema is the schema of a whole Bayeux message carrying a notification.
const BayeuxMessageSchema = "bayeux-message.json"

// ErrorSchema is the schema of every error reply, exactly {statusCode, statusMessage} (D3).
const ErrorSchema = "error.json"

// Notification types (data.notificationType) of the interaction messages.
const (
	NotificationStatusChange        = "StatusChange"
	NotificationPropertiesUpdated   = "PropertiesUpdated"
	NotificationParticipantsUpdated = "ParticipantsUpdated" // chats
	NotificationError               = "Error"
	NotificationEmailSaved          = "EmailSaved"        // emails
	NotificationAttachmentAdded     = "AttachmentAdded"   // emails
	NotificationAttachmentRemoved   = "AttachmentRemoved" // emails
	NotificationNewMessages         = "NewMessages"       // MessageLogUpdated
)

// Members of MessageLogUpdated (chat-message-log-updated-message.json).
const (
	FieldChatURI  = "chatUri"  // absolute, without /me/
	FieldChatPath = "chatPath" // "/chats/{id}"
	FieldMessages = "messages"
)

// Actions of WorkbinStateChangeMessage.
const (
	ActionItemAdded   = "ItemAdded"
	ActionItemRemoved = "ItemRemoved"
)

// stateResource values of WorkbinSubscriptionStateChangeMessage.
const (
	SubscriptionSubscribed    = "Subscribed"
	SubscriptionUnsubscribed  = "Unsubscribed"
	SubscriptionRequestFailed = "RequestFailed"
)

// Interaction states.
const (
	StateInvited    = "Invited"
	StateAccepted   = "Accepted" // chats
	StateProcessing = "Processing"
	StateChatting   = "Chatting" // chats
	// StateJoinFailed (chats) is captured on a real GWS (GET /me, real-gws fact 18) with
	// participants [] and JoinFailedCapabilities. That a PullChat with enableJoinOnPullChat
	// off ends there is an INFERENCE (D6).
	StateJoinFailed = "JoinFailed"
	StateInWorkbin  = "InWorkbin"
	StateCompleted  = "Completed"
	// StateRevoked: the interaction was taken away from the agent (workitems and chats; seen
	// in real clients, wire facts 18 and 19).
	StateRevoked = "Revoked"
	// StateLeftChat: the agent left a chat he was alone in (ChatLeave).
	StateLeftChat = "LeftChat"
	// StateComposing and StateCanceled: an outbound email being written, and one given up
	// (EmailCreate, EmailReply, EmailCancel).
	StateComposing = "Composing"
	StateCanceled  = "Canceled"
)

// Media is an interaction media as the API names it in resource keys.
type Media string

// The media workbinkit models. The social and open media of the pull/add names (tweet,
// facebook, facebooksession, openmedia) have no documented resource and no schema.
const (
	MediaWorkitem Media = "workitem"
	MediaChat     Media = "chat"
	MediaEmail    Media = "email"
)

// AllMedia lists the modelled media.
func AllMedia() []Media { return []Media{MediaWorkitem, MediaChat, MediaEmail} }

// MediaInfo gathers the names one media goes by on the wire.
type MediaInfo struct {
	Media Media
	// ResourceKey holds the resource in the media notification ("workitem").
	ResourceKey string
	// StateResourceV2Key holds it in WorkbinStateChangeMessage ("workitemStateResourceV2").
	StateResourceV2Key string
	// ContentArray holds it in workbin content, and is the media-type path segment ("workitems").
	ContentArray string
	// TypeField is the resource's type field ("workitemType").
	TypeField string
	// Channel and MessageType of the media notification.
	Channel     string
	MessageType string
	// Schema is the resource schema file, NotificationSchema the media notification's.
	Schema             string
	NotificationSchema string
	// PullOperation and AddOperation are the media-specific operation names.
	PullOperation string
	AddOperation  string
	// PulledState is the state after a pull (D5).
	PulledState string
}

// mediaTable is read-only.
var mediaTable = map[Media]MediaInfo{
	MediaWorkitem: {
		Media: MediaWorkitem, ResourceKey: "workitem", StateResourceV2Key: "workitemStateResourceV2",
		ContentArray: "workitems", TypeField: "workitemType",
		Channel: ChannelWorkitems, MessageType: MessageWorkitemStateChange,
		Schema: "workitem.json", NotificationSchema: "workitem-state-change-message.json",
		PullOperation: PullWorkitem, AddOperation: AddWorkitem, PulledState: StateProcessing,
	},
	MediaChat: {
		Media: MediaChat, ResourceKey: "chat", StateResourceV2Key: "chatStateResourceV2",
		ContentArray: "chats", TypeField: "chatType",
		Channel: ChannelChats, MessageType: MessageChatStateChange,
		Schema: "chat.json", NotificationSchema: "chat-state-change-message.json",
		PullOperation: PullChat, AddOperation: AddChat, PulledState: StateChatting,
	},
	MediaEmail: {
		Media: MediaEmail, ResourceKey: "email", StateResourceV2Key: "emailStateResourceV2",
		ContentArray: "emails", TypeField: "emailType",
		Channel: ChannelEmails, MessageType: MessageEmailStateChange,
		Schema: "email.json", NotificationSchema: "email-state-change-message.json",
		PullOperation: PullEmail, AddOperation: AddEmail, PulledState: StateProcessing,
	},
}

// MediaOf returns the wire names of a modelled media.
func MediaOf(m Media) (MediaInfo, bool) {
	info, ok := mediaTable[m]
	return info, ok
}

// MediaOfContentArray finds the media of a content array / media-type path segment ("chats").
func MediaOfContentArray(name string) (Media, bool) {
	for _, m := range AllMedia() {
		if mediaTable[m].ContentArray == name {
			return m, true
		}
	}
	return "", false
}

// StateResourceV2Keys lists every *StateResourceV2 member of WorkbinStateChangeMessage,
// including the social ones that have no schema.
func StateResourceV2Keys() []string {
	return []string{
		"workitemStateResourceV2", "chatStateResourceV2", "emailStateResourceV2",
		"tweetStateResourceV2", "facebookStateResourceV2", "facebooksessionStateResourceV2",
		"openmediaStateResourceV2",
	}
}

// Capability names.
const (
	CapAccept                      = "Accept"
	CapReject                      = "Reject"
	CapTransfer                    = "Transfer"
	CapAttachUserData              = "AttachUserData"
	CapUpdateUserData              = "UpdateUserData"
	CapDeleteUserData              = "DeleteUserData"
	CapSetInFocus                  = "SetInFocus"
	CapComplete                    = "Complete"
	CapLeave                       = "Leave"
	CapInvite                      = "Invite"
	CapConsult                     = "Consult"
	CapSetDisposition              = "SetDisposition"
	CapSendMessage                 = "SendMessage"
	CapSendStartTypingNotification = "SendStartTypingNotification"
	CapSendStopTypingNotification  = "SendStopTypingNotification"
	CapReply                       = "Reply"
	CapReplyAll                    = "ReplyAll"
	CapAddComment                  = "AddComment"
	// Conference and consultation (ChatInviteUser, ChatConsult).
	CapSendToAgents                        = "SendToAgents"
	CapSendStartTypingToAgentsNotification = "SendStartTypingToAgentsNotification"
	CapSendStopTypingToAgentsNotification  = "SendStopTypingToAgentsNotification"
	// A composed email (EmailCreate, EmailReply).
	CapCancel = "Cancel"
	CapSend   = "Send"
	// CapInFocus is how the ChatAccept and ChatLeave samples spell SetInFocus; the mock never
	// sends it (D18), the contract knows it.
	CapInFocus = "InFocus"
)

type mediaState struct {
	media Media
	state string
}

// capabilityTable is read-only: the capabilities of an interaction in a state (D5, D11).
var capabilityTable = map[mediaState][]string{
	{MediaWorkitem, StateInvited}:    {CapAccept, CapReject},
	{MediaWorkitem, StateProcessing}: {CapTransfer, CapAttachUserData, CapUpdateUserData, CapDeleteUserData, CapSetInFocus, CapComplete},
	{MediaWorkitem, StateInWorkbin}:  {},
	{MediaWorkitem, StateCompleted}:  {},
	{MediaChat, StateInvited}:        {CapAccept, CapReject},
	{MediaChat, StateChatting}: {CapTransfer, CapLeave, CapInvite, CapConsult, CapSetInFocus, CapSetDisposition,
		CapAttachUserData, CapDeleteUserData, CapUpdateUserData, CapComplete, CapSendMessage,
		CapSendStartTypingNotification, CapSendStopTypingNotification},
	// JoinFailed as a real GWS listed it (source 1 of reference/real-gws, wire fact 18).
	{MediaChat, StateJoinFailed}: {CapSetInFocus, CapComplete, CapSetDisposition, CapAttachUserData, CapDeleteUserData, CapUpdateUserData},
	{MediaChat, StateInWorkbin}:  {},
	{MediaChat, StateCompleted}:  {},
	// LeftChat as ChatLeave lists it, with SetInFocus for its InFocus (D15, D18).
	{MediaChat, StateLeftChat}: {CapTransfer, CapComplete, CapLeave, CapSetInFocus},
	{MediaEmail, StateInvited}: {CapAccept, CapReject},
	// Processing as captured on a Genesys demo server (source 2, wire fact 17); it replaced
	// the inferred PlaceInWorkbin: evidence wins.
	{MediaEmail, StateProcessing}: {CapReply, CapReplyAll, CapTransfer, CapAddComment, CapAttachUserData,
		CapUpdateUserData, CapDeleteUserData, CapSetDisposition, CapSetInFocus, CapComplete},
	{MediaEmail, StateInWorkbin}: {},
	{MediaEmail, StateCompleted}: {},
	// Composing: a reply or new outbound email (EmailCreate, EmailSave, EmailReply).
	{MediaEmail, StateComposing}: {CapCancel, CapSend, CapAddComment, CapAttachUserData, CapUpdateUserData,
		CapDeleteUserData, CapSetDisposition, CapSetInFocus, CapTransfer},
	{MediaEmail, StateCanceled}: {},
}

// ConferenceCapabilities are the capabilities of a Chatting chat with other agents in it
// (ChatInviteUser, ChatConsult): the Chatting list with SendToAgents and the two agent-only
// typing notices after UpdateUserData, in the order of the documentation's sample.
func ConferenceCapabilities() []string {
	return []string{CapTransfer, CapLeave, CapInvite, CapConsult, CapSetInFocus, CapSetDisposition,
		CapAttachUserData, CapDeleteUserData, CapUpdateUserData, CapSendToAgents,
		CapSendStartTypingToAgentsNotification, CapSendStopTypingToAgentsNotification, CapComplete,
		CapSendMessage, CapSendStartTypingNotification, CapSendStopTypingNotification}
}

// Capabilities returns the capabilities of a media in a state, in the order GWS lists them,
// and whether the contract knows them (false for an unknown state, for a chat's Accepted and
// for Revoked, whose capabilities are undocumented). InWorkbin has none.
func Capabilities(m Media, state string) ([]string, bool) {
	caps, ok := capabilityTable[mediaState{m, state}]
	return slices.Clone(caps), ok
}

// stateTable is read-only: the states of each media. Accepted (a chat accepted but not yet
// joined) and Revoked are seen in Genesys client code; their capabilities are not documented.
var stateTable = map[Media][]string{
	MediaWorkitem: {StateInvited, StateProcessing, StateInWorkbin, StateCompleted, StateRevoked},
	MediaChat:     {StateInvited, StateAccepted, StateChatting, StateInWorkbin, StateCompleted, StateRevoked, StateJoinFailed, StateLeftChat},
	MediaEmail:    {StateInvited, StateProcessing, StateInWorkbin, StateCompleted, StateComposing, StateCanceled, StateRevoked},
}

// States lists the states the contract knows for a media.
func States(m Media) []string { return slices.Clone(stateTable[m]) }

// Chat participants (participant.json): the members a participant carries and its types.
// Supervisor is a workbinkit decision (W12): a supervisor who pulled a chat joins it as one.
const (
	FieldParticipantID    = "participantId"
	FieldParticipantType  = "type"
	ParticipantCustomer   = "Customer"
	ParticipantAgent      = "Agent"
	ParticipantSupervisor = "Supervisor"
)

// ParticipantTypes lists the participant types.
func ParticipantTypes() []string {
	return []string{ParticipantCustomer, ParticipantAgent, ParticipantSupervisor}
}

// Interaction types: the values of a resource's type field (MediaInfo.TypeField).
const (
	InteractionInbound  = "Inbound"
	InteractionOutbound = "Outbound"
	InteractionInternal = "Internal"
)

// InteractionTypes lists the values of workitemType, chatType and emailType.
func InteractionTypes() []string {
	return []string{InteractionInbound, InteractionOutbound, InteractionInternal}
}

// Operation names (the body's operationName).
const (
	PullInteraction     = "PullInteraction"
	PullChat            = "PullChat"
	PullEmail           = "PullEmail"
	PullWorkitem        = "PullWorkitem"
	PullTweet           = "PullTweet"
	PullFacebook        = "PullFacebook"
	PullFacebooksession = "PullFacebooksession"
	PullOpenmedia       = "PullOpenmedia"

	AddInteraction     = "AddInteraction"
	AddChat            = "AddChat"
	AddEmail           = "AddEmail"
	AddWorkitem        = "AddWorkitem"
	AddTweet           = "AddTweet"
	AddFacebook        = "AddFacebook"
	AddFacebooksession = "AddFacebooksession"
	AddOpenmedia       = "AddOpenmedia"

	Subscribe         = "Subscribe"
	Unsubscribe       = "Unsubscribe"
	RequestAgentStats = "RequestAgentStats"

	// Operations on an interaction (POST /api/v2/me/{workitems,chats,emails}/{id}, D13); the
	// capability of the same name allows each.
	OpAccept                              = CapAccept
	OpReject                              = CapReject
	OpComplete                            = CapComplete
	OpTransfer                            = CapTransfer
	OpAttachUserData                      = CapAttachUserData
	OpUpdateUserData                      = CapUpdateUserData
	OpDeleteUserData                      = CapDeleteUserData
	OpSetInFocus                          = CapSetInFocus
	OpLeave                               = CapLeave
	OpInvite                              = CapInvite
	OpConsult                             = CapConsult
	OpSetDisposition                      = CapSetDisposition
	OpSendMessage                         = CapSendMessage
	OpSendStartTypingNotification         = CapSendStartTypingNotification
	OpSendStopTypingNotification          = CapSendStopTypingNotification
	OpSendToAgents                        = CapSendToAgents
	OpSendStartTypingToAgentsNotification = CapSendStartTypingToAgentsNotification
	OpSendStopTypingToAgentsNotification  = CapSendStopTypingToAgentsNotification
	OpReply                               = CapReply
	OpReplyAll                            = CapReplyAll
	OpAddComment                          = CapAddComment
	OpCancel                              = CapCancel
	OpSend                                = CapSend

	// Operations of the contact-center session (POST /api/v2/me, D21).
	StartContactCenterSession = "StartContactCenterSession"
	EndContactCenterSession   = "EndContactCenterSession"
)

// ReplyHasReferenceID reports whether the HTTP reply of an operation on an interaction
// carries a referenceId (D13, W13): the workitem operations and chat Invite and Consult do, as
// their pages print it; the other chat and email operations answer {statusCode:0}.
func ReplyHasReferenceID(m Media, operationName string) bool {
	return m == MediaWorkitem || (m == MediaChat && (operationName == OpInvite || operationName == OpConsult))
}

// InteractionOperations lists the operations on an interaction of a media, as the contract's
// request bodies take them (D13).
func InteractionOperations(m Media) []string {
	common := []string{OpAccept, OpReject, OpComplete, OpTransfer, OpAttachUserData, OpUpdateUserData, OpDeleteUserData, OpSetInFocus}
	switch m {
	case MediaChat:
		return append(common, OpLeave, OpInvite, OpConsult, OpSetDisposition, OpSendMessage,
			OpSendStartTypingNotification, OpSendStopTypingNotification, OpSendToAgents,
			OpSendStartTypingToAgentsNotification, OpSendStopTypingToAgentsNotification)
	case MediaEmail:
		return append(common, OpSetDisposition, OpReply, OpReplyAll, OpAddComment, OpCancel, OpSend)
	case MediaWorkitem:
		return common
	}
	return nil
}

// operationMedia is read-only: the media an operation name is for ("" = any media).
var operationMedia = map[string]Media{
	PullInteraction: "", PullChat: MediaChat, PullEmail: MediaEmail, PullWorkitem: MediaWorkitem,
	PullTweet: "tweet", PullFacebook: "facebook", PullFacebooksession: "facebooksession", PullOpenmedia: "openmedia",
	AddInteraction: "", AddChat: MediaChat, AddEmail: MediaEmail, AddWorkitem: MediaWorkitem,
	AddTweet: "tweet", AddFacebook: "facebook", AddFacebooksession: "facebooksession", AddOpenmedia: "openmedia",
}

// PullOperations lists the eight pull names (D2).
func PullOperations() []string {
	return []string{PullInteraction, PullChat, PullEmail, PullWorkitem, PullTweet, PullFacebook, PullFacebooksession, PullOpenmedia}
}

// AddOperations lists the add names.
func AddOperations() []string {
	return []string{AddInteraction, AddChat, AddEmail, AddWorkitem, AddTweet, AddFacebook, AddFacebooksession, AddOpenmedia}
}

// OperationMedia returns the media a pull or add name is for: "" with true for the
// media-agnostic PullInteraction/AddInteraction, false for a name that is neither.
func OperationMedia(operationName string) (Media, bool) {
	m, ok := operationMedia[operationName]
	return m, ok
}

// IsPull and IsAdd classify an operation name.
func IsPull(operationName string) bool { return slices.Contains(PullOperations(), operationName) }

// IsAdd reports whether operationName is one of the add names.
func IsAdd(operationName string) bool { return slices.Contains(AddOperations(), operationName) }

// Members of the success envelopes of the GETs (D3): {"statusCode":0, "<member>": …}.
const (
	FieldUser     = "user"     // GET /me
	FieldWorkbins = "workbins" // workbin lists with fields=*
	FieldURIs     = "uris"     // workbin lists without fields=* (W8)
	FieldWorkbin  = "workbin"  // one workbin, with its content arrays
)

// Members of each workbinStats entry of WorkbinStatsMessage.
const (
	FieldStatCount = "Count"
	FieldStatOwner = "Owner"
	FieldStatType  = "Type"
)

// BasicChallenge is the WWW-Authenticate value of a 401 reply (D8): Basic realm="<realm>".
// A realm must not contain a double quote.
func BasicChallenge(realm string) string { return `Basic realm="` + realm + `"` }

// Workbin types.
const (
	WorkbinAgent      = "Agent"
	WorkbinPlace      = "Place"
	WorkbinAgentGroup = "AgentGroup"
	WorkbinPlaceGroup = "PlaceGroup"
)

// WorkbinTypes lists the workbin types.
func WorkbinTypes() []string {
	return []string{WorkbinAgent, WorkbinPlace, WorkbinAgentGroup, WorkbinPlaceGroup}
}

// StatusCode is the statusCode of every reply envelope.
type StatusCode int

// statusCodes of GWS 8.5.2 (ReturnValues).
const (
	StatusOK                StatusCode = 0
	StatusMissingParameter  StatusCode = 1
	StatusInvalidParameter  StatusCode = 2
	StatusForbidden         StatusCode = 3
	StatusInternalError     StatusCode = 4
	StatusNoPermission      StatusCode = 5
	StatusNotFound          StatusCode = 6
	StatusPartialSuccess    StatusCode = 7
	StatusPasswordChange    StatusCode = 8
	StatusIncomplete        StatusCode = 9
	StatusInvalidInput      StatusCode = 10
	StatusReadOnly          StatusCode = 11
	StatusCannotRetrieve    StatusCode = 12
	StatusCannotCreate      StatusCode = 13
	StatusCannotDelete      StatusCode = 14
	StatusCannotUpdate      StatusCode = 15
	StatusCannotAssign      StatusCode = 16
	StatusCannotUnassign    StatusCode = 17
	StatusAlreadyExists     StatusCode = 18
	StatusInUse             StatusCode = 19
	StatusNotAuthenticated  StatusCode = 20
	firstStatus, lastStatus            = StatusOK, StatusNotAuthenticated
)

// statusMeanings is read-only.
var statusMeanings = [...]string{
	"success",
	"a required parameter is missing",
	"a parameter is not valid for the current state",
	"operation forbidden",
	"internal error",
	"the user has no permission for the operation",
	"resource not found",
	"partial success",
	"password change demanded",
	"processing incomplete",
	"input validation error",
	"attempt to change a read-only property",
	"unable to retrieve resource",
	"unable to create resource",
	"unable to delete resource",
	"unable to update resource",
	"unable to assign resource",
	"unable to unassign resource",
	"resource already exists",
	"resource already in use",
	"user not authenticated",
}

// Meaning is the documented meaning of a statusCode ("" if unknown).
func (s StatusCode) Meaning() string {
	if s < firstStatus || s > lastStatus {
		return ""
	}
	return statusMeanings[s]
}

// StatusCodes lists every statusCode, 0 to 20.
func StatusCodes() []StatusCode {
	out := make([]StatusCode, 0, lastStatus+1)
	for s := firstStatus; s <= lastStatus; s++ {
		out = append(out, s)
	}
	return out
}

// d3HTTP is the HTTP status of the statusCodes the mock produces (D3). Read-only.
var d3HTTP = map[StatusCode]int{
	StatusOK:               http.StatusOK,
	StatusMissingParameter: http.StatusBadRequest,
	StatusInvalidParameter: http.StatusBadRequest,
	StatusForbidden:        http.StatusForbidden,
	StatusInternalError:    http.StatusInternalServerError,
	StatusNoPermission:     http.StatusForbidden,
	StatusNotFound:         http.StatusNotFound,
	StatusInvalidInput:     http.StatusBadRequest,
	StatusNotAuthenticated: http.StatusUnauthorized,
}

// HTTPStatus is the HTTP status that goes with a statusCode by decision D3; false for the
// statusCodes D3 does not map (the mock never produces them). A body over MaxBodyBytes is the
// exception: HTTP 413 with StatusInvalidInput.
func (s StatusCode) HTTPStatus() (int, bool) {
	h, ok := d3HTTP[s]
	return h, ok
}

// D3StatusCodes lists the statusCodes of the D3 table.
func D3StatusCodes() []StatusCode {
	var out []StatusCode
	for _, s := range StatusCodes() {
		if _, ok := d3HTTP[s]; ok {
			out = append(out, s)
		}
	}
	return out
}

// Session, authentication and CSRF (D8).
const (
	SessionCookie         = "JSESSIONID"
	HeaderWWWAuthenticate = "WWW-Authenticate"
	// HeaderCSRFHeader names, in GET replies, the request header that must carry the token.
	HeaderCSRFHeader = "X-CSRF-HEADER"
	// HeaderCSRFToken carries the token, in GET replies and in POST/PUT/DELETE requests.
	HeaderCSRFToken = "X-CSRF-TOKEN"
	// CSRFRejection is the text/plain body of the 403 reply to a request without a valid token.
	CSRFRejection = "Missing or invalid Csrf token"
)

// FeatureMultimedia is the feature every workbin operation needs (D7).
const FeatureMultimedia = "api-multimedia"

// User roles.
const (
	RoleAgent      = "ROLE_AGENT"
	RoleSupervisor = "ROLE_SUPERVISOR"
)

// operationIds of openapi.yaml.
const (
	OpGetMe               = "getMe"
	OpListWorkbins        = "listWorkbins"
	OpPostWorkbins        = "postWorkbins"
	OpListMyWorkbins      = "listMyWorkbins"
	OpPostMyWorkbins      = "postMyWorkbins"
	OpPostUserWorkbins    = "postUserWorkbins"
	OpGetWorkbin          = "getWorkbin"
	OpPostWorkbin         = "postWorkbin"
	OpGetMyWorkbin        = "getMyWorkbin"
	OpPostMyWorkbin       = "postMyWorkbin"
	OpGetUserWorkbin      = "getUserWorkbin"
	OpPostUserWorkbin     = "postUserWorkbin"
	OpGetWorkbinMedia     = "getWorkbinMedia"
	OpGetMyWorkbinMedia   = "getMyWorkbinMedia"
	OpGetUserWorkbinMedia = "getUserWorkbinMedia"
	OpPostMe              = "postMe"
	OpPostMyWorkitem      = "postMyWorkitem"
	OpPostMyChat          = "postMyChat"
	OpPostMyEmail         = "postMyEmail"
)

// InteractionOperationID is the operationId of POST /api/v2/me/{media}s/{id} (D13).
func InteractionOperationID(m Media) (string, bool) {
	id, ok := map[Media]string{MediaWorkitem: OpPostMyWorkitem, MediaChat: OpPostMyChat, MediaEmail: OpPostMyEmail}[m]
	return id, ok
}

// Path and query parameter names.
const (
	ParamWorkbinID    = "workbinId"
	ParamUserID       = "userId"
	ParamMediaType    = "mediaType"
	ParamAgentGroup   = "agentGroup"
	ParamPlaceGroup   = "placeGroup"
	ParamWorkbinIDs   = "workbinIds"
	ParamSubresources = "subresources"
	ParamFields       = "fields"
	// ParamInteractionID is the {interactionId} of /me/{workitems,chats,emails}/{interactionId}.
	ParamInteractionID = "interactionId"
)

// Member names of request bodies, envelopes and notifications.
const (
	FieldOperationName    = "operationName"
	FieldID               = "id"
	FieldURI              = "uri"
	FieldPath             = "path" // a resource's path below BasePath (real-gws fact 13)
	FieldNickname         = "nickname"
	FieldSaveLAR          = "saveLAR"
	FieldWorkbinType      = "workbinType"
	FieldWorkbinOwner     = "workbinOwner"
	FieldStatusCode       = "statusCode"
	FieldStatusMessage    = "statusMessage"
	FieldReferenceID      = "referenceId"
	FieldReferenceIDs     = "referenceIds"
	FieldMessageType      = "messageType"
	FieldNotificationType = "notificationType"
	FieldAction           = "action"
	FieldStateResource    = "stateResource"
	FieldAgentGroup       = "agentGroup"
	FieldPlaceGroup       = "placeGroup"
	FieldWorkbinUserID    = "workbinUserId"
	FieldWorkbinStats     = "workbinStats"
	FieldState            = "state"
	FieldCapabilities     = "capabilities"
	FieldUserData         = "userData"
	FieldReceivedDate     = "receivedDate"
	FieldParticipants     = "participants"

	// Members of the interaction operations' bodies (D13-D21).
	FieldUserDataKeys   = "keys"
	FieldTargetURI      = "targetUri"
	FieldUserURI        = "userUri"
	FieldQueueName      = "queueName"
	FieldQueueURI       = "queueUri"
	FieldText           = "text"
	FieldTreatAs        = "treatAs"
	FieldDisposition    = "disposition"
	FieldDispositionKey = "dispositionKey"
	FieldComment        = "comment"
	FieldChannels       = "channels"
	FieldChannel        = "channel"
	FieldUserState      = "userState"
	FieldDisplayName    = "displayName"
	FieldParentID       = "parentId"
	FieldEmailType      = "emailType"
	FieldVisibility     = "visibility"
	FieldFrom           = "from"
	FieldIndex          = "index"
	FieldType           = "type"
	FieldTimestamp      = "timestamp"
	FieldTimestampSecs  = "timestampSeconds"
)

// DefaultDispositionKey is the userData key SetDisposition writes without dispositionKey
// (the "disposition key configured for the server"; DispositionCode in the docs' sample).
const DefaultDispositionKey = "DispositionCode"

// Chat transcript message types (MessageLogUpdated messages[].type) and visibilities.
const (
	ChatMessageText              = "Text"
	ChatMessageTypingStarted     = "TypingStarted"
	ChatMessageTypingStopped     = "TypingStopped"
	ChatMessageParticipantJoined = "ParticipantJoined"
	ChatMessageParticipantLeft   = "ParticipantLeft"
	VisibilityAll                = "All"
	VisibilityAgents             = "Agents"
)

// Channel user states (D21).
const (
	ChannelReady     = "Ready"
	ChannelNotReady  = "NotReady"
	ChannelLoggedOut = "LoggedOut"
)

// ContactCenterChannels lists the channel names StartContactCenterSession takes: voice and
// the multimedia channels the docs and captures name (D21).
func ContactCenterChannels() []string {
	return []string{"voice", "chat", "email", "workitem", "sms", "twitter", "facebook", "im"}
}

// FeatureVoice is the feature StartContactCenterSession and EndContactCenterSession need.
const FeatureVoice = "api-voice"

// Time layouts (D12), for time.Format.
const (
	// ReceivedDateLayout is receivedDate's format: 2016-04-08 15:05:57.000+0300.
	ReceivedDateLayout = "2006-01-02 15:04:05.000-0700"
	// ReceivedDateForm is receivedDate's format as people read it, for error messages.
	ReceivedDateForm = "YYYY-MM-DD HH:MM:SS.sss±hhmm"
	// ReceivedDateExample is a receivedDate in that format.
	ReceivedDateExample = "2016-04-08 15:05:57.000+0300"
	// UserDataTimeLayout is the format of timestamps inside userData: RFC 3339 in UTC.
	UserDataTimeLayout = "2006-01-02T15:04:05Z"
)
