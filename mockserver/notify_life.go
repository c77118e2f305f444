package mockserver

import (
	"github.com/workbinkit/workbinkit/mockserver/state"
	"github.com/workbinkit/workbinkit/spec"
)

// The notifications of the operations after the pull (D14, D20, D21).

// notificationOf is an InteractionChanged's notificationType (StatusChange unless the
// event says otherwise).
func notificationOf(ev state.Event) string {
	if ev.Notification != "" {
		return ev.Notification
	}
	return spec.NotificationStatusChange
}

// renderMessageLog is MessageLogUpdated (D20): the chat named by chatUri and chatPath, the new
// messages, never a referenceId.
func (s *Server) renderMessageLog(d *draft) (notification, bool) {
	x := d.ev.Interaction
	msgs := make([][]byte, len(d.ev.Messages))
	for i, m := range d.ev.Messages {
		from := newObject()
		from.str(spec.FieldNickname, m.FromNickname)
		from.str(spec.FieldParticipantType, m.FromType)
		if m.FromID != "" {
			from.str(spec.FieldParticipantID, m.FromID)
		}
		o := newObject()
		o.int(spec.FieldIndex, int64(m.Index))
		o.str(spec.FieldType, m.Type)
		o.raw(spec.FieldFrom, from.bytes())
		if m.Type == spec.ChatMessageText {
			o.str(spec.FieldText, m.Text)
		}
		if m.MessageType != "" {
			o.str(spec.FieldMessageType, m.MessageType)
		}
		o.str(spec.FieldVisibility, m.Visibility)
		o.str(spec.FieldTimestamp, m.Time.Format(spec.ReceivedDateLayout))
		o.int(spec.FieldTimestampSecs, m.Time.UnixMilli()) // milliseconds, as GWS sends (D20)
		msgs[i] = o.bytes()
	}
	o := newObject()
	o.str(spec.FieldMessageType, d.messageTypeOr(spec.MessageChatMessageLogUpdated))
	o.str(spec.FieldNotificationType, spec.NotificationNewMessages)
	o.str(spec.FieldChatURI, spec.InteractionURI(d.base, spec.MediaChat, x.ID))
	o.str(spec.FieldChatPath, spec.InteractionResourcePath(spec.MediaChat, x.ID))
	o.raw(spec.FieldMessages, rawArray(msgs))
	return notification{channel: d.channelOr(spec.ChannelChats), payload: o.bytes()}, true
}

// renderChannels is ChannelStateChangeMessageV2 (D21).
func (s *Server) renderChannels(d *draft) (notification, bool) {
	o := newObject()
	o.str(spec.FieldMessageType, d.messageTypeOr(spec.MessageChannelStateChange))
	if d.ref > 0 {
		o.int(spec.FieldReferenceID, d.ref)
	}
	o.raw(spec.FieldChannels, channelArray(d.ev.Channels))
	return notification{channel: d.channelOr(spec.ChannelChannels), payload: o.bytes()}, true
}
