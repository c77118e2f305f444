package spec

import (
	"fmt"
	"io/fs"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The constants of wire.go must be the values of the schemas, so that code built on them
// cannot drift from the contract.

func loadT(t testing.TB) *Contract {
	t.Helper()
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// prop finds a property schema of a schema document, through allOf.
func prop(doc any, name string) map[string]any {
	m, _ := doc.(map[string]any)
	if props, ok := m["properties"].(map[string]any); ok {
		if p, ok := props[name].(map[string]any); ok {
			return p
		}
	}
	all, _ := m["allOf"].([]any)
	for _, b := range all {
		if p := prop(b, name); p != nil {
			return p
		}
	}
	return nil
}

func strings_(l []any) []string {
	out := make([]string, 0, len(l))
	for _, v := range l {
		out = append(out, fmt.Sprint(v))
	}
	slices.Sort(out)
	return out
}

// enumOf returns the sorted enum, or the x-known values, of a property (through array items).
func enumOf(t *testing.T, c *Contract, schema string, path ...string) []string {
	t.Helper()
	var cur any = c.schemas.docs[schema]
	for _, name := range path {
		p := prop(cur, name)
		if p == nil {
			t.Fatalf("%s has no property %s", schema, strings.Join(path, "."))
		}
		cur = p
	}
	m := cur.(map[string]any)
	if items, ok := m["items"].(map[string]any); ok {
		m = items
	}
	e, ok := m["enum"].([]any)
	if !ok {
		e, ok = m[KeywordKnown].([]any)
	}
	if !ok {
		t.Fatalf("%s %s has no enum nor %s", schema, strings.Join(path, "."), KeywordKnown)
	}
	return strings_(e)
}

func sameSet(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(sorted(got), sorted(want)) {
		t.Errorf("%s: wire.go has %v, the contract %v", what, sorted(want), sorted(got))
	}
}

func subset(t *testing.T, what string, small, big []string) {
	t.Helper()
	for _, s := range small {
		if !slices.Contains(big, s) {
			t.Errorf("%s: %q is not in the contract's %v", what, s, big)
		}
	}
}

func TestWireChannelsAndMessageTypes(t *testing.T) {
	c := loadT(t)
	sameSet(t, "channels", enumOf(t, c, BayeuxMessageSchema, "channel"), Channels())
	var all []string
	for _, ch := range Channels() {
		mts := MessageTypes(ch)
		if len(mts) == 0 {
			t.Errorf("channel %s carries no message type", ch)
		}
		for _, mt := range mts {
			all = append(all, mt)
			schema, ok := NotificationSchema(mt)
			if !ok || !c.schemas.Has(schema) {
				t.Fatalf("%s: schema %q missing", mt, schema)
			}
			sameSet(t, schema+" messageType", enumOf(t, c, schema, FieldMessageType), []string{mt})
			if got, _ := ChannelOf(mt); got != ch {
				t.Errorf("ChannelOf(%s) = %s, want %s", mt, got, ch)
			}
		}
	}
	sameSet(t, "message types", all, []string{MessageWorkitemStateChange, MessageChatStateChange, MessageEmailStateChange,
		MessageWorkbinStateChange, MessageWorkbinSubscriptionStateChange, MessageWorkbinStats, MessageChatMessageLogUpdated, MessageChannelStateChange})
	if MessageTypes("/v2/me/calls") != nil {
		t.Error("an unknown channel has message types")
	}

	sameSet(t, "workitem notificationType", enumOf(t, c, "workitem-state-change-message.json", FieldNotificationType),
		[]string{NotificationStatusChange, NotificationPropertiesUpdated, NotificationError})
	sameSet(t, "chat notificationType", enumOf(t, c, "chat-state-change-message.json", FieldNotificationType),
		[]string{NotificationStatusChange, NotificationParticipantsUpdated, NotificationPropertiesUpdated, NotificationError})
	sameSet(t, "transcript notificationType", enumOf(t, c, "chat-message-log-updated-message.json", FieldNotificationType),
		[]string{NotificationNewMessages})
	sameSet(t, "email notificationType", enumOf(t, c, "email-state-change-message.json", FieldNotificationType),
		[]string{NotificationStatusChange, NotificationPropertiesUpdated, NotificationEmailSaved, NotificationAttachmentAdded,
			NotificationAttachmentRemoved, NotificationError})
	sameSet(t, "action", enumOf(t, c, "workbin-state-change-message.json", FieldAction), []string{ActionItemAdded, ActionItemRemoved})
	sameSet(t, "stateResource", enumOf(t, c, "workbin-subscription-state-change-message.json", FieldStateResource),
		[]string{SubscriptionSubscribed, SubscriptionUnsubscribed, SubscriptionRequestFailed})

	wb := c.schemas.docs["workbin-state-change-message.json"]
	var v2 []string
	for _, b := range wb.(map[string]any)["allOf"].([]any) {
		if props, ok := b.(map[string]any)["properties"].(map[string]any); ok {
			for k := range props {
				if strings.HasSuffix(k, "StateResourceV2") {
					v2 = append(v2, k)
				}
			}
		}
	}
	sameSet(t, "*StateResourceV2 keys", v2, StateResourceV2Keys())
	for _, f := range []string{FieldAgentGroup, FieldPlaceGroup, FieldWorkbinUserID, FieldReferenceID, FieldID} {
		if prop(wb, f) == nil {
			t.Errorf("WorkbinStateChangeMessage has no %s", f)
		}
	}
	if prop(c.schemas.docs["workbin-stats-message.json"], FieldWorkbinStats) == nil {
		t.Errorf("WorkbinStatsMessage has no %s", FieldWorkbinStats)
	}
}

func TestWireMediaStatesCapabilities(t *testing.T) {
	c := loadT(t)
	var arrays, allStates []string
	for _, m := range AllMedia() {
		info, ok := MediaOf(m)
		if !ok || info.Media != m {
			t.Fatalf("MediaOf(%s)", m)
		}
		doc := c.schemas.docs[info.Schema]
		if doc == nil {
			t.Fatalf("%s: no schema %s", m, info.Schema)
		}
		if prop(c.schemas.docs[info.NotificationSchema], info.ResourceKey) == nil {
			t.Errorf("%s has no member %s", info.NotificationSchema, info.ResourceKey)
		}
		if mt, _ := NotificationSchema(info.MessageType); mt != info.NotificationSchema {
			t.Errorf("%s: notification schema %s vs %s", m, mt, info.NotificationSchema)
		}
		if ch, _ := ChannelOf(info.MessageType); ch != info.Channel {
			t.Errorf("%s: channel %s vs %s", m, ch, info.Channel)
		}
		if ref := prop(c.schemas.docs["workbin-state-change-message.json"], info.StateResourceV2Key)["$ref"]; ref != info.Schema {
			t.Errorf("%s: %s refers to %v", m, info.StateResourceV2Key, ref)
		}
		content := prop(c.schemas.docs["workbin.json"], info.ContentArray)
		if content == nil || content["items"].(map[string]any)["$ref"] != info.Schema {
			t.Errorf("%s: workbin.%s does not hold %s", m, info.ContentArray, info.Schema)
		}
		if back, ok := MediaOfContentArray(info.ContentArray); !ok || back != m {
			t.Errorf("MediaOfContentArray(%s) = %s", info.ContentArray, back)
		}
		arrays = append(arrays, info.ContentArray)
		if prop(doc, info.TypeField) == nil {
			t.Errorf("%s has no %s", info.Schema, info.TypeField)
		}
		states := enumOf(t, c, info.Schema, FieldState)
		allStates = append(allStates, states...)
		sameSet(t, string(m)+" states", states, States(m))
		if !slices.Contains(states, info.PulledState) {
			t.Errorf("%s: pulled state %s unknown", m, info.PulledState)
		}
		caps := enumOf(t, c, info.Schema, FieldCapabilities)
		var union []string
		for _, st := range States(m) {
			cs, ok := Capabilities(m, st)
			if !ok && st != StateRevoked && (m != MediaChat || st != StateAccepted) {
				t.Errorf("Capabilities(%s, %s) unknown", m, st)
			}
			subset(t, fmt.Sprintf("%s %s capabilities", m, st), cs, caps)
			union = append(union, cs...)
		}
		if m == MediaChat {
			union = append(union, ConferenceCapabilities()...)
			union = append(union, CapInFocus) // known, never sent (D18)
		}
		sameSet(t, string(m)+" capabilities", caps, union)
		if inWorkbin, _ := Capabilities(m, StateInWorkbin); len(inWorkbin) != 0 {
			t.Errorf("%s in a workbin has capabilities %v", m, inWorkbin)
		}
		if !slices.Contains(enumOf(t, c, "pull.json", FieldOperationName), info.PullOperation) {
			t.Errorf("%s: pull name %s", m, info.PullOperation)
		}
		if !slices.Contains(enumOf(t, c, "add.json", FieldOperationName), info.AddOperation) {
			t.Errorf("%s: add name %s", m, info.AddOperation)
		}
		if got, _ := OperationMedia(info.PullOperation); got != m {
			t.Errorf("OperationMedia(%s) = %s", info.PullOperation, got)
		}
	}
	subset(t, "states", []string{StateInvited, StateAccepted, StateProcessing, StateChatting, StateInWorkbin, StateCompleted, StateRevoked, StateJoinFailed}, allStates)
	// D5 in so many words, and the email list as captured on a real server (source 2 of
	// reference/real-gws, wire fact 17), which replaced D5's inferred PlaceInWorkbin.
	d5 := map[Media][]string{
		MediaWorkitem: {"Transfer", "AttachUserData", "UpdateUserData", "DeleteUserData", "SetInFocus", "Complete"},
		MediaEmail:    {"Reply", "ReplyAll", "Transfer", "AddComment", "AttachUserData", "UpdateUserData", "DeleteUserData", "SetDisposition", "SetInFocus", "Complete"},
	}
	if got, _ := Capabilities(MediaChat, StateJoinFailed); !slices.Equal(got, []string{"SetInFocus", "Complete", "SetDisposition", "AttachUserData", "DeleteUserData", "UpdateUserData"}) {
		t.Errorf("chat JoinFailed capabilities %v, not as captured (source 1, wire fact 18)", got)
	}
	for m, want := range d5 {
		info, _ := MediaOf(m)
		if got, _ := Capabilities(m, info.PulledState); !slices.Equal(got, want) {
			t.Errorf("%s pulled capabilities %v, D5 says %v", m, got, want)
		}
	}
	if got, _ := Capabilities(MediaChat, StateChatting); len(got) != 13 {
		t.Errorf("chat Chatting has %d capabilities, the docs list 13", len(got))
	}
	for _, m := range AllMedia() {
		info, _ := MediaOf(m)
		sameSet(t, info.Schema+" "+info.TypeField, enumOf(t, c, info.Schema, info.TypeField), InteractionTypes())
	}
	sameSet(t, "participant types", enumOf(t, c, "participant.json", FieldParticipantType), ParticipantTypes())
	for _, f := range []string{FieldNickname, FieldParticipantID} {
		if prop(c.schemas.docs["participant.json"], f) == nil {
			t.Errorf("participant.json has no %s", f)
		}
	}
	if items := prop(c.schemas.docs["chat.json"], FieldParticipants)["items"].(map[string]any); items["$ref"] != "participant.json" {
		t.Errorf("chat.json participants hold %v", items["$ref"])
	}
	mediaType := c.doc.Components.Parameters["mediaType"].Value.Schema.Value.Enum
	sameSet(t, "mediaType path parameter", strings_(mediaType), arrays)
}

func TestWireOperations(t *testing.T) {
	c := loadT(t)
	sameSet(t, "pull names", enumOf(t, c, "pull.json", FieldOperationName), PullOperations())
	sameSet(t, "add names", enumOf(t, c, "add.json", FieldOperationName), AddOperations())
	sameSet(t, "Subscribe", enumOf(t, c, "subscribe.json", FieldOperationName), []string{Subscribe})
	sameSet(t, "Unsubscribe", enumOf(t, c, "unsubscribe.json", FieldOperationName), []string{Unsubscribe})
	sameSet(t, "RequestAgentStats", enumOf(t, c, "agent-stats.json", FieldOperationName), []string{RequestAgentStats})
	for _, n := range PullOperations() {
		if _, ok := OperationMedia(n); !ok || !IsPull(n) || IsAdd(n) {
			t.Errorf("%s is not classified as a pull", n)
		}
	}
	for _, n := range AddOperations() {
		if _, ok := OperationMedia(n); !ok || !IsAdd(n) || IsPull(n) {
			t.Errorf("%s is not classified as an add", n)
		}
	}
	mapping := func(body string) []string {
		s := c.doc.Components.RequestBodies[body].Value.Content["application/json"].Schema.Value
		return slices.Sorted(maps.Keys(s.Discriminator.Mapping))
	}
	sameSet(t, "WorkbinOperation discriminator", mapping("WorkbinOperation"), append(append(PullOperations(), AddOperations()...), Subscribe, Unsubscribe))
	sameSet(t, "WorkbinsOperation discriminator", mapping("WorkbinsOperation"), []string{RequestAgentStats, Subscribe, Unsubscribe})
	sameSet(t, "SubscriptionOperation discriminator", mapping("SubscriptionOperation"), []string{Subscribe, Unsubscribe})

	sameSet(t, "workbin types", enumOf(t, c, "workbin.json", "type"), WorkbinTypes())
	sameSet(t, "workbinType", enumOf(t, c, "agent-stats.json", FieldWorkbinType), WorkbinTypes())
	for _, f := range []string{FieldID, FieldNickname} {
		if prop(c.schemas.docs["pull.json"], f) == nil {
			t.Errorf("pull.json has no %s", f)
		}
	}
	for _, f := range []string{FieldID, FieldURI, FieldSaveLAR} {
		if prop(c.schemas.docs["add.json"], f) == nil {
			t.Errorf("add.json has no %s", f)
		}
	}
	if prop(c.schemas.docs["agent-stats.json"], FieldWorkbinOwner) == nil {
		t.Errorf("agent-stats.json has no %s", FieldWorkbinOwner)
	}

	sameSet(t, "operationIds", c.OperationIDs(), []string{OpGetMe, OpListWorkbins, OpPostWorkbins, OpListMyWorkbins,
		OpPostMyWorkbins, OpPostUserWorkbins, OpGetWorkbin, OpPostWorkbin, OpGetMyWorkbin, OpPostMyWorkbin,
		OpGetUserWorkbin, OpPostUserWorkbin, OpGetWorkbinMedia, OpGetMyWorkbinMedia, OpGetUserWorkbinMedia,
		OpPostMe, OpPostMyWorkitem, OpPostMyChat, OpPostMyEmail})
	var params []string
	for _, p := range c.doc.Components.Parameters {
		params = append(params, p.Value.Name)
	}
	subset(t, "parameters", []string{ParamWorkbinID, ParamUserID, ParamMediaType, ParamAgentGroup, ParamPlaceGroup,
		ParamWorkbinIDs, ParamSubresources, ParamFields, HeaderCSRFToken}, params)
	if got := c.doc.Servers[0].URL; got != BasePath {
		t.Errorf("server URL %s, BasePath %s", got, BasePath)
	}
}

func TestWireStatusCodes(t *testing.T) {
	c := loadT(t)
	var codes []string
	for _, s := range StatusCodes() {
		if s.Meaning() == "" {
			t.Errorf("statusCode %d has no meaning", s)
		}
		if s != StatusOK {
			codes = append(codes, strconv.Itoa(int(s)))
		}
	}
	if StatusCode(21).Meaning() != "" || StatusCode(-1).Meaning() != "" {
		t.Error("unknown statusCodes have a meaning")
	}
	sameSet(t, "error statusCodes", enumOf(t, c, "error.json", FieldStatusCode), codes)
	for _, env := range []string{"workbins-list.json", "workbin-content.json", "me.json", "uri-list.json"} {
		sameSet(t, env+" statusCode", enumOf(t, c, env, FieldStatusCode), []string{"0"})
	}
	// The async replies may say 7, partial success, which clients treat as success (source 4
	// of reference/real-gws, wire fact 31).
	for _, env := range []string{"ok-reference.json", "ok-references.json"} {
		sameSet(t, env+" statusCode", enumOf(t, c, env, FieldStatusCode), []string{"0", strconv.Itoa(int(StatusPartialSuccess))})
	}
	if prop(c.schemas.docs["error.json"], FieldStatusMessage) == nil || prop(c.schemas.docs["ok-reference.json"], FieldReferenceID) == nil ||
		prop(c.schemas.docs["ok-references.json"], FieldReferenceIDs) == nil {
		t.Error("envelope member names drifted")
	}

	// Every (HTTP status, statusCode) pair in openapi.yaml's error examples follows D3, and
	// every pair of D3 has an example.
	seen := map[[2]int]bool{}
	for _, p := range slices.Sorted(maps.Keys(c.doc.Paths.Map())) {
		for m, op := range c.doc.Paths.Value(p).Operations() {
			for status, r := range op.Responses.Map() {
				h, _ := strconv.Atoi(status)
				mt := r.Value.Content.Get("application/json")
				if mt == nil || h == 200 {
					continue
				}
				for name, ex := range mt.Examples {
					sc := int(ex.Value.Value.(map[string]any)[FieldStatusCode].(float64))
					want, ok := StatusCode(sc).HTTPStatus()
					if h == 413 && StatusCode(sc) == StatusInvalidInput {
						want, ok = 413, true
					}
					if !ok || want != h {
						t.Errorf("%s %s: example %s pairs HTTP %d with statusCode %d; D3 says %d", m, p, name, h, sc, want)
					}
					seen[[2]int{h, sc}] = true
				}
			}
		}
	}
	for _, s := range D3StatusCodes() {
		h, _ := s.HTTPStatus()
		if s != StatusOK && !seen[[2]int{h, int(s)}] {
			t.Errorf("no openapi.yaml example of HTTP %d with statusCode %d", h, s)
		}
	}
	if h, ok := StatusCode(7).HTTPStatus(); ok {
		t.Errorf("statusCode 7 is outside D3 but maps to %d", h)
	}
	if !strings.Contains(fmt.Sprint(c.doc.Components.Responses["PayloadTooLarge"].Value.Content.Get("application/json").Examples["tooLarge"].Value.Value), strconv.Itoa(MaxBodyBytes)) {
		t.Error("the 413 example does not name MaxBodyBytes")
	}
}

func TestWireSessionAndCSRF(t *testing.T) {
	c := loadT(t)
	comp := c.doc.Components
	if got := comp.Headers[HeaderCSRFHeader].Value.Schema.Value.Enum; !slices.Equal(strings_(got), []string{HeaderCSRFToken}) {
		t.Errorf("%s enum %v", HeaderCSRFHeader, got)
	}
	if comp.Headers[HeaderCSRFToken] == nil || comp.Headers[HeaderWWWAuthenticate] == nil {
		t.Error("CSRF or WWW-Authenticate header missing")
	}
	me := c.doc.Paths.Value("/me").Get.Responses.Status(200).Value.Headers
	if me[HeaderCSRFHeader] == nil || me[HeaderCSRFToken] == nil {
		t.Error("GET /me does not document the CSRF headers")
	}
	if comp.Responses["Unauthorized"].Value.Headers[HeaderWWWAuthenticate] == nil {
		t.Error("401 without WWW-Authenticate")
	}
	if got := comp.Responses["ForbiddenPost"].Value.Content.Get("text/plain").Schema.Value.Enum; !slices.Equal(strings_(got), []string{CSRFRejection}) {
		t.Errorf("CSRF reply %v", got)
	}
	if comp.Parameters["csrfToken"].Value.Name != HeaderCSRFToken || comp.Parameters["csrfToken"].Value.Required {
		t.Error("the CSRF request header is misnamed or required")
	}
	if got := comp.SecuritySchemes["sessionCookie"].Value; got.In != "cookie" || got.Name != SessionCookie {
		t.Errorf("session cookie scheme %+v", got)
	}
	// Every POST documents the CSRF header; no GET does.
	for _, p := range slices.Sorted(maps.Keys(c.doc.Paths.Map())) {
		item := c.doc.Paths.Value(p)
		for m, op := range item.Operations() {
			has := findParam(item, op, "header", HeaderCSRFToken) != nil
			if has != (m == "POST") {
				t.Errorf("%s %s: CSRF header documented = %v", m, p, has)
			}
		}
	}
	async, err := fs.ReadFile(Files(), AsyncAPIFile)
	if err != nil || !strings.Contains(string(async), CometDPath) {
		t.Errorf("asyncapi.yaml does not name %s (%v)", CometDPath, err)
	}
	if !strings.Contains(c.doc.Info.Description, FeatureMultimedia) {
		t.Errorf("openapi.yaml does not name the feature %s", FeatureMultimedia)
	}
	rolePattern := regexp.MustCompile(prop(c.schemas.docs["user.json"], "roles")["items"].(map[string]any)["pattern"].(string))
	for _, r := range []string{RoleAgent, RoleSupervisor} {
		if !rolePattern.MatchString(r) {
			t.Errorf("role %s does not match %s", r, rolePattern)
		}
	}
}

func TestWireDateLayouts(t *testing.T) {
	c := loadT(t)
	pattern := regexp.MustCompile(c.schemas.docs["received-date.json"].(map[string]any)["pattern"].(string))
	for _, tz := range []*time.Location{time.UTC, time.FixedZone("", 3*3600), time.FixedZone("", -7*3600), time.FixedZone("", 14*3600)} {
		s := time.Date(2016, 4, 8, 15, 5, 57, 0, tz).Format(ReceivedDateLayout)
		if !pattern.MatchString(s) {
			t.Errorf("ReceivedDateLayout gives %q, which the schema rejects", s)
		}
	}
	// The human form and the example say what the layout does.
	ex, err := time.Parse(ReceivedDateLayout, ReceivedDateExample)
	if err != nil || ex.Format(ReceivedDateLayout) != ReceivedDateExample || !pattern.MatchString(ReceivedDateExample) {
		t.Errorf("ReceivedDateExample %q does not fit the layout or the schema: %v", ReceivedDateExample, err)
	}
	form := strings.NewReplacer("YYYY", "2016", "MM-DD", "04-08", "HH:MM:SS", "15:05:57", "sss", "000", "±hhmm", "+0300").Replace(ReceivedDateForm)
	if form != ReceivedDateExample {
		t.Errorf("ReceivedDateForm %q, filled in, is %q, not the example", ReceivedDateForm, form)
	}
	if s := time.Date(2014, 4, 17, 4, 3, 21, 0, time.UTC).Format(UserDataTimeLayout); s != "2014-04-17T04:03:21Z" {
		t.Errorf("UserDataTimeLayout gives %q", s)
	}
}

func TestWireFieldNamesExist(t *testing.T) {
	c := loadT(t)
	names := map[string]bool{}
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if props, ok := x["properties"].(map[string]any); ok {
				for k := range props {
					names[k] = true
				}
			}
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	for _, d := range c.schemas.docs {
		walk(d)
	}
	for _, f := range []string{FieldOperationName, FieldID, FieldURI, FieldNickname, FieldSaveLAR, FieldWorkbinType,
		FieldWorkbinOwner, FieldStatusCode, FieldStatusMessage, FieldReferenceID, FieldReferenceIDs, FieldMessageType,
		FieldNotificationType, FieldAction, FieldStateResource, FieldAgentGroup, FieldPlaceGroup, FieldWorkbinUserID,
		FieldWorkbinStats, FieldState, FieldCapabilities, FieldUserData, FieldReceivedDate, FieldParticipants,
		FieldUser, FieldWorkbins, FieldURIs, FieldWorkbin, FieldStatCount, FieldStatOwner, FieldStatType} {
		if !names[f] {
			t.Errorf("field %q is in no schema", f)
		}
	}
}

// Each operation name's request schema, as the discriminators map it, lists it in its
// operationName enum.
func TestWireRequestSchemas(t *testing.T) {
	c := loadT(t)
	names := append(append(PullOperations(), AddOperations()...), Subscribe, Unsubscribe, RequestAgentStats)
	for _, op := range names {
		schema, ok := c.RequestSchema(op)
		if !ok {
			t.Errorf("%s: no request schema", op)
			continue
		}
		if !slices.Contains(enumOf(t, c, schema, FieldOperationName), op) {
			t.Errorf("%s: %s does not list it in operationName", op, schema)
		}
	}
	if _, ok := c.RequestSchema("NoSuchOperation"); ok {
		t.Error("an unknown name has a request schema")
	}
}

// The operationNames of each POST are its body's discriminator mapping.
func TestOperationNames(t *testing.T) {
	c := loadT(t)
	if got := c.OperationNames(OpPostWorkbins); !slices.Equal(got, []string{RequestAgentStats, Subscribe, Unsubscribe}) {
		t.Errorf("OperationNames(%s) = %v", OpPostWorkbins, got)
	}
	want := append(append(PullOperations(), AddOperations()...), Subscribe, Unsubscribe)
	slices.Sort(want)
	for _, op := range []string{OpPostWorkbin, OpPostMyWorkbin, OpPostUserWorkbin} {
		if got := c.OperationNames(op); !slices.Equal(got, want) {
			t.Errorf("OperationNames(%s) = %v, want %v", op, got, want)
		}
	}
	if got := c.OperationNames(OpGetMe); got != nil {
		t.Errorf("OperationNames(%s) = %v, want none", OpGetMe, got)
	}
}

func TestWirePrivateChannelRoot(t *testing.T) {
	for _, ch := range Channels() {
		if !strings.HasPrefix(ch, PrivateChannelRoot+"/") {
			t.Errorf("channel %s is not below %s", ch, PrivateChannelRoot)
		}
	}
}

// BasicChallenge matches the pattern openapi.yaml gives the WWW-Authenticate header.
func TestWireBasicChallenge(t *testing.T) {
	c := loadT(t)
	h := c.OpenAPI().Components.Headers["WWW-Authenticate"]
	if h == nil || h.Value == nil || h.Value.Schema == nil || h.Value.Schema.Value == nil {
		t.Fatal("openapi.yaml has no WWW-Authenticate header schema")
	}
	re := regexp.MustCompile(h.Value.Schema.Value.Pattern)
	if v := BasicChallenge("workbinkit mock"); !re.MatchString(v) {
		t.Errorf("%q does not match %s", v, re)
	}
}

func TestReplyHasReferenceID(t *testing.T) {
	for _, c := range []struct {
		m    Media
		op   string
		want bool
	}{
		{MediaWorkitem, OpComplete, true}, {MediaWorkitem, OpSetInFocus, true},
		{MediaChat, OpInvite, true}, {MediaChat, OpConsult, true}, {MediaChat, OpSendMessage, false},
		{MediaChat, OpComplete, false}, {MediaEmail, OpComplete, false}, {MediaEmail, OpReply, false},
	} {
		if got := ReplyHasReferenceID(c.m, c.op); got != c.want {
			t.Errorf("ReplyHasReferenceID(%s, %s) = %v", c.m, c.op, got)
		}
	}
}
