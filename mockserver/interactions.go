package mockserver

import (
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"

	"github.com/workbinkit/workbinkit/mockserver/state"
	"github.com/workbinkit/workbinkit/spec"
)

// The operations on an interaction after the pull (D13-D20) and the contact-center session
// (D21): POST /api/v2/me/{workitems,chats,emails}/{id} and POST /api/v2/me.

// interactionOp is the handler of POST /api/v2/me/{media}s/{id}: the body becomes one
// state.Operation, the store applies it (S12), the reply carries a referenceId where the
// documentation prints one (D13) and the notifications carry it for the caller either way (D14).
func (s *Server) interactionOp(media spec.Media) apiHandler {
	return func(c *apiCall) apiReply {
		o, err := operationOf(c, media)
		if err != nil {
			return stateError(err)
		}
		if media == spec.MediaChat {
			// Held until the events are published (serveAPI): transcript order (chatOrder).
			c.unlock = s.chats.lock(o.ID)
		}
		out := s.run(c, command{kind: cmdOperate, id: o.ID, op: o.Name, media: []spec.Media{media}}, func() outcome {
			events, err := s.store.Operate(c.actor(), o)
			return outcome{events: events, err: err}
		})
		if rep, ok := out.refusal(); ok {
			return rep
		}
		ref := c.nextRef()
		rep := okNoReference(out.events, ref)
		if spec.ReplyHasReferenceID(media, o.Name) {
			o := newObject()
			o.int(spec.FieldStatusCode, 0)
			o.int(spec.FieldReferenceID, ref)
			rep.body = o.bytes()
		}
		rep.unchecked = out.altered
		return rep
	}
}

// okNoReference is {statusCode:0}; the caller's notifications still carry ref (D14).
func okNoReference(events []state.Event, ref int64) apiReply {
	o := newObject()
	o.int(spec.FieldStatusCode, 0)
	return apiReply{status: http.StatusOK, body: o.bytes(), ctype: contentJSON, events: events,
		refOf: func(state.Event) int64 { return ref }, changed: len(events) > 0}
}

// operationOf reads the members of a validated body the store needs. A target URI names a
// user by its last segment after /users/ (D17); a /queues/ URI counts as a queue.
func operationOf(c *apiCall, media spec.Media) (state.Operation, error) {
	b := c.fields
	o := state.Operation{
		Media: media, ID: c.route.PathParams[spec.ParamInteractionID], Name: c.op,
		Queue: b.str(spec.FieldQueueName), Nickname: b.str(spec.FieldNickname),
		Text: b.str(spec.FieldText), MessageType: b.str(spec.FieldMessageType),
		Disposition: b.str(spec.FieldDisposition), DispositionKey: b.str(spec.FieldDispositionKey),
		Comment: b.str(spec.FieldComment),
	}
	if o.Queue == "" {
		o.Queue = b.str(spec.FieldQueueURI)
	}
	if ud, ok := b[spec.FieldUserData].(map[string]any); ok {
		o.UserData = ud
	}
	if keys, ok := b[spec.FieldUserDataKeys].([]any); ok {
		for _, k := range keys {
			if s, ok := k.(string); ok {
				o.Keys = append(o.Keys, s)
			}
		}
	}
	target := b.str(spec.FieldTargetURI)
	if target == "" {
		target = b.str(spec.FieldUserURI)
	}
	if target != "" {
		o.TargetGiven = true
		kind, id, err := targetOf(target)
		if err != nil {
			return o, err
		}
		switch kind {
		case "users":
			o.TargetUserID = id
		case "queues":
			if o.Queue == "" {
				o.Queue = id
			}
		}
	}
	return o, nil
}

// targetOf splits a target URI (absolute or a path) into its collection and id:
// …/users/{id} or …/queues/{id}; anything else names neither.
func targetOf(uri string) (kind, id string, err error) {
	u, perr := url.Parse(uri)
	if perr != nil {
		return "", "", &state.Error{Code: spec.StatusInvalidInput, Kind: state.ErrInvalidInput,
			Message: "Invalid parameter " + spec.FieldTargetURI + ": " + perr.Error()}
	}
	dir, last := path.Split(strings.TrimSuffix(u.EscapedPath(), "/"))
	coll := path.Base(dir)
	id, uerr := url.PathUnescape(last)
	if uerr != nil || id == "" || (coll != "users" && coll != "queues") {
		return "", "", nil
	}
	return coll, id, nil
}

// contactCenterSession is POST /api/v2/me (D21): Start publishes the channels Ready; End
// publishes them LoggedOut and drops the user's HTTP sessions.
func (s *Server) contactCenterSession(c *apiCall) apiReply {
	var channels []string
	if list, ok := c.fields[spec.FieldChannels].([]any); ok {
		for _, ch := range list {
			if name, ok := ch.(string); ok {
				channels = append(channels, name)
			}
		}
	}
	out := s.run(c, command{kind: cmdSession, op: c.op}, func() outcome {
		var events []state.Event
		var err error
		if c.op == spec.StartContactCenterSession {
			events, err = s.store.StartSession(c.actor(), channels)
		} else {
			events, err = s.store.EndSession(c.actor())
		}
		return outcome{events: events, err: err}
	})
	if rep, ok := out.refusal(); ok {
		return rep
	}
	if c.op == spec.EndContactCenterSession {
		s.sessions.drop(c.user.Name)
	}
	rep := okNoReference(out.events, c.nextRef())
	rep.unchecked = out.altered
	return rep
}

// handleGetMeWork answers GET /api/v2/me: the user resource, with the subresources W15
// adds when asked: the interactions the user works on and his channel states.
func (s *Server) handleGetMeWork() apiHandler {
	plain := s.handleGetMe()
	return func(c *apiCall) apiReply {
		sub := c.r.URL.Query().Get(spec.ParamSubresources)
		if sub == "" {
			return plain(c)
		}
		want := func(name string) bool {
			return sub == "*" || slices.Contains(strings.Split(sub, ","), name)
		}
		m, ok := members(c.user.Resource)
		if !ok {
			return okReply(spec.FieldUser, c.user.Resource)
		}
		base := baseURL(c.r)
		for _, media := range spec.AllMedia() {
			info, _ := spec.MediaOf(media)
			if !want(info.ContentArray) {
				continue
			}
			var arr [][]byte
			for _, x := range s.store.Mine(c.user.Name, media) {
				res, err := x.Located(base)
				if err != nil {
					return errorReply(spec.StatusInternalError, "Internal error: %v", err)
				}
				arr = append(arr, res)
			}
			m[info.ContentArray] = rawArray(arr)
		}
		if want(spec.FieldChannels) {
			m[spec.FieldChannels] = channelArray(s.store.Channels(c.user.Name))
		}
		return okReply(spec.FieldUser, encodeMembers(m))
	}
}

// channelArray renders channel states as GET /me and ChannelStateChangeMessageV2 carry them.
func channelArray(states []state.ChannelState) []byte {
	items := make([][]byte, len(states))
	for i, st := range states {
		us := newObject()
		us.str(spec.FieldID, channelStateID(st.State))
		us.str(spec.FieldDisplayName, st.State)
		us.str(spec.FieldState, st.State)
		o := newObject()
		o.str(spec.FieldChannel, st.Channel)
		o.raw(spec.FieldUserState, us.bytes())
		items[i] = o.bytes()
	}
	return rawArray(items)
}

// channelStateID is a stable id per user state, as GWS gives its agent states ids; Ready's
// is the one of the captures (source 1).
func channelStateID(st string) string {
	switch st {
	case spec.ChannelReady:
		return "9430250E-0A1B-421F-B372-F29E69366DED"
	case spec.ChannelNotReady:
		return "7D1B4D8E-5E4F-4C2B-9A57-0F4E1A7B2C31"
	}
	return "0B5E2C3D-1F6A-4E8B-9C7D-2A3B4C5D6E7F"
}
