package mockserver

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/workbinkit/workbinkit/mockserver/state"
	"github.com/workbinkit/workbinkit/spec"
)

// The deviation switches of the operations after the pull (issue 12): one per rule of
// docs/rules.md D13-D21 that the suite can fail (D19 is never failed: it has none).
const (
	DevAllowedOperationRefused Deviation = "allowed-operation-refused"
	DevCapabilityGateIgnored   Deviation = "capability-gate-ignored"
	DevOthersInteractionOpen   Deviation = "others-interaction-accepted"
	DevBadOperationBody        Deviation = "bad-operation-body-accepted"
	DevMissingPropertiesUpdate Deviation = "missing-properties-updated"
	DevCompletedKeepsCaps      Deviation = "completed-keeps-capabilities"
	DevLeaveCompletes          Deviation = "leave-completes-chat"
	DevUserDataNotShown        Deviation = "user-data-not-shown"
	DevTransferIgnored         Deviation = "transfer-ignored"
	DevInviteeNotNotified      Deviation = "invitee-not-notified"
	DevSetInFocusRefused       Deviation = "set-in-focus-refused"
	DevMessageLogDropped       Deviation = "message-log-dropped"
	DevChannelsNotNotified     Deviation = "channels-not-notified"
)

// lifecycleDeviations are the rows of deviationTable for those switches.
var lifecycleDeviations = []deviation{
	{DeviationInfo{DevAllowedOperationRefused, "AttachUserData, though in the capabilities, is refused with 400 / statusCode 2 (and changes nothing).",
		"D13.operation: an operation in the interaction's capabilities is accepted"},
		hooks{command: refuseOperation(spec.OpAttachUserData)}},
	{DeviationInfo{DevCapabilityGateIgnored, "An operation outside the interaction's capabilities answers 200 {statusCode:0} (and changes nothing) instead of 400 / statusCode 2.",
		"D13.capability-gate: an operation outside the capabilities is refused"},
		hooks{command: acceptRefusal(state.ErrNotCapable)}},
	{DeviationInfo{DevOthersInteractionOpen, "An operation on an interaction another user works on (or one in a workbin) answers 200 {statusCode:0} (and changes nothing) instead of 403 / statusCode 5.",
		"D13.ownership: someone else's interaction is refused"},
		hooks{command: acceptRefusal(state.ErrNotYours)}},
	{DeviationInfo{DevBadOperationBody, "An AttachUserData or UpdateUserData without userData, or a DeleteUserData without keys, is taken as one with an empty object / no key and accepted instead of 400 / statusCode 1.",
		"D13.bad-body: a body without a required member is 400 / statusCode 1"},
		hooks{body: fillMissingMembers}},
	{DeviationInfo{DevMissingPropertiesUpdate, "No PropertiesUpdated notification is published (user data, SetDisposition, AddComment).",
		"D14.notifications: a user data operation publishes PropertiesUpdated"},
		hooks{notify: dropNotification(spec.NotificationPropertiesUpdated)}},
	{DeviationInfo{DevCompletedKeepsCaps, "The StatusChange of a Completed interaction lists the capabilities of Processing (or Chatting) instead of none.",
		"D15.completed: a Completed interaction has no capabilities"},
		hooks{notify: completedKeepsCapabilities}},
	{DeviationInfo{DevLeaveCompletes, "Leave alone with the customer announces the chat Completed with no capabilities instead of LeftChat.",
		"D15.left-chat: Leave alone with the customer leads to LeftChat with Transfer, Complete, Leave, SetInFocus"},
		hooks{notify: leftChatCompleted}},
	{DeviationInfo{DevUserDataNotShown, "PropertiesUpdated and GET /me subresources show the userData without the keys the operations attached or updated (the keys UserData*).",
		"D16.user-data: user data changes show in PropertiesUpdated and later reads"},
		hooks{notify: propertiesWithoutUserData, reply: meWithoutAttachedData}},
	{DeviationInfo{DevTransferIgnored, "Transfer answers success but changes nothing: the interaction stays the caller's and nobody is notified.",
		"D17.transfer: after Transfer the interaction leaves the caller's work"},
		hooks{command: ignoreOperation(spec.OpTransfer)}},
	{DeviationInfo{DevInviteeNotNotified, "The target of an Invite, Consult or Transfer receives no StatusChange Invited.",
		"D17.invite: the invitee receives the chat Invited"},
		hooks{notify: inviteeNotNotified}},
	{DeviationInfo{DevSetInFocusRefused, "SetInFocus, though in the capabilities, is refused with 400 / statusCode 2.",
		"D18.set-in-focus: SetInFocus is accepted and changes nothing"},
		hooks{command: refuseOperation(spec.OpSetInFocus)}},
	{DeviationInfo{DevMessageLogDropped, "No MessageLogUpdated is published (agent's and customer's messages, typing, joins).",
		"D20.message-log: the transcript's messages arrive as MessageLogUpdated"},
		hooks{notify: messageLogDropped}},
	{DeviationInfo{DevChannelsNotNotified, "StartContactCenterSession and EndContactCenterSession publish no ChannelStateChangeMessageV2.",
		"D21.session: the channels arrive on /v2/me/channels after StartContactCenterSession"},
		hooks{notify: channelsNotNotified}},
}

// refuseOperation: the named operation is refused with 400 / 2 before the store sees it.
func refuseOperation(name string) func(*Server, *apiCall, command, func() outcome) outcome {
	return func(s *Server, c *apiCall, cmd command, next func() outcome) outcome {
		if cmd.kind == cmdOperate && cmd.op == name {
			return answered(errorReply(spec.StatusInvalidParameter, "%s is not valid for the current state", name))
		}
		return next()
	}
}

// acceptRefusal: a refusal of this kind becomes a success that changed nothing.
func acceptRefusal(kind error) func(*Server, *apiCall, command, func() outcome) outcome {
	return func(s *Server, c *apiCall, cmd command, next func() outcome) outcome {
		out := next()
		if cmd.kind != cmdOperate || !refusedWith(out, kind) {
			return out
		}
		return answered(okNoReference(nil, 0))
	}
}

// ignoreOperation: the named operation answers success without running.
func ignoreOperation(name string) func(*Server, *apiCall, command, func() outcome) outcome {
	return func(s *Server, c *apiCall, cmd command, next func() outcome) outcome {
		if cmd.kind == cmdOperate && cmd.op == name {
			rep := okNoReference(nil, 0)
			if len(cmd.media) == 1 && spec.ReplyHasReferenceID(cmd.media[0], name) {
				rep = s.accepted(c, nil)
			}
			return answered(rep)
		}
		return next()
	}
}

// fillMissingMembers adds the required member a user data body lacks (bad-operation-body-
// accepted), once the body was read, before the contract sees it.
func fillMissingMembers(_ *Server, c *apiCall) {
	if c.r.Method != http.MethodPost || !isInteractionPath(c.r.URL.Path) {
		return
	}
	var b map[string]json.RawMessage
	if json.Unmarshal(c.body, &b) != nil || b == nil {
		return
	}
	var op string
	_ = json.Unmarshal(b[spec.FieldOperationName], &op)
	switch {
	case (op == spec.OpAttachUserData || op == spec.OpUpdateUserData) && b[spec.FieldUserData] == nil:
		b[spec.FieldUserData] = json.RawMessage(`{}`)
	case op == spec.OpDeleteUserData && b[spec.FieldUserDataKeys] == nil:
		b[spec.FieldUserDataKeys] = json.RawMessage(`["-"]`)
	default:
		return
	}
	if out, err := json.Marshal(b); err == nil {
		c.body = out
	}
}

// isInteractionPath: POST /api/v2/me/{workitems,chats,emails}/{id}.
func isInteractionPath(p string) bool {
	rest, ok := strings.CutPrefix(p, spec.BasePath+"/me/")
	if !ok {
		return false
	}
	coll, id, ok := strings.Cut(rest, "/")
	if !ok || id == "" || strings.Contains(id, "/") {
		return false
	}
	_, media := spec.MediaOfContentArray(coll)
	return media
}

func dropNotification(notification string) func(*draft) {
	return func(d *draft) {
		if d.ev.Kind == state.InteractionChanged && d.ev.Notification == notification {
			d.drop = true
		}
	}
}

// alterResource changes the members of the draft's interaction (a copy of its own).
func alterResource(d *draft, alter func(m map[string]json.RawMessage)) {
	m, ok := members(d.ev.Interaction.Resource)
	if !ok {
		return
	}
	alter(m)
	if out := encodeMembers(m); out != nil {
		d.ev.Interaction.Resource = out
	}
}

func completedKeepsCapabilities(d *draft) {
	x := d.ev.Interaction
	if d.ev.Kind != state.InteractionChanged || x.State != spec.StateCompleted {
		return
	}
	live := spec.StateProcessing
	if x.Media == spec.MediaChat {
		live = spec.StateChatting
	}
	caps, _ := spec.Capabilities(x.Media, live)
	alterResource(d, func(m map[string]json.RawMessage) {
		m[spec.FieldCapabilities], _ = json.Marshal(caps)
	})
}

func leftChatCompleted(d *draft) {
	if d.ev.Kind != state.InteractionChanged || d.ev.Interaction.State != spec.StateLeftChat {
		return
	}
	alterResource(d, func(m map[string]json.RawMessage) {
		m[spec.FieldState] = json.RawMessage(`"` + spec.StateCompleted + `"`)
		m[spec.FieldCapabilities] = json.RawMessage(`[]`)
	})
}

// withoutAttached drops the UserData* keys (the ones the docs' samples and the suite attach).
func withoutAttached(m map[string]json.RawMessage) {
	var ud map[string]json.RawMessage
	if json.Unmarshal(m[spec.FieldUserData], &ud) != nil || ud == nil {
		return
	}
	for k := range ud {
		if strings.HasPrefix(k, "UserData") {
			delete(ud, k)
		}
	}
	m[spec.FieldUserData], _ = json.Marshal(ud)
}

func propertiesWithoutUserData(d *draft) {
	if d.ev.Kind == state.InteractionChanged && d.ev.Notification == spec.NotificationPropertiesUpdated {
		alterResource(d, withoutAttached)
	}
}

// meWithoutAttachedData: GET /me's interactions lose the attached keys.
func meWithoutAttachedData(c *apiCall, _ http.Header, rep *apiReply) {
	if c.route == nil || c.route.OperationID != spec.OpGetMe || rep.failed {
		return
	}
	var env map[string]json.RawMessage
	if json.Unmarshal(rep.body, &env) != nil {
		return
	}
	user, ok := members(env[spec.FieldUser])
	if !ok {
		return
	}
	for _, media := range spec.AllMedia() {
		info, _ := spec.MediaOf(media)
		var items []map[string]json.RawMessage
		if json.Unmarshal(user[info.ContentArray], &items) != nil {
			continue
		}
		for _, it := range items {
			withoutAttached(it)
		}
		user[info.ContentArray], _ = json.Marshal(items)
	}
	env[spec.FieldUser] = encodeMembers(user)
	if out, err := json.Marshal(env); err == nil {
		rep.body = out
	}
}

func inviteeNotNotified(d *draft) {
	if d.ev.Kind == state.InteractionChanged && d.ev.Interaction.State == spec.StateInvited && d.to != d.ev.Requester {
		d.drop = true
	}
}

func messageLogDropped(d *draft) {
	if d.ev.Kind == state.ChatMessages {
		d.drop = true
	}
}

func channelsNotNotified(d *draft) {
	if d.ev.Kind == state.ChannelsChanged {
		d.drop = true
	}
}
