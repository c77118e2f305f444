// Package state is the mock server's domain model: users, workbins of the four types,
// interactions of each media (each in exactly one workbin or owned by exactly one user, D11)
// and per-user workbin subscriptions. It knows no HTTP and no Bayeux: the HTTP layer turns a
// request into one call, the call applies atomically and returns Events, and the notifier
// renders each Event as a GWS payload without reading the Store again.
//
// A Store starts from a fixture set (New, Reset) or a Snapshot (Restore). Queries return
// copies. Commands (Pull, Add, Subscribe, Unsubscribe, AgentStats, Place) either apply
// entirely and return their events, or change nothing and return an *Error carrying the GWS
// statusCode and statusMessage.
//
// Decisions made here, where the references are silent (D… are decisions.md, W… and N… the
// contract's):
//
//	S1  Workbin access (Store.access): no workbin id 1; agentGroup and placeGroup together 1 (W3).
//	    Supervisor form /users/{userId}/…: actor not a supervisor 5 (D10); a group parameter 2;
//	    unknown userId 6; unknown workbin 6; a workbin that is not that user's Agent workbin 6.
//	    Other forms: unknown workbin 6 (W7); a group parameter naming another group, the other
//	    kind of group, or given for a non-group workbin 2; a group the actor is not in 5; a group
//	    workbin on /me without its parameter 1, on /api/v2/workbins/{id} members need none;
//	    another user's Agent workbin 5, supervisors included (W7); another place's workbin 5.
//	    An unknown actor is 20; an actor without api-multimedia gets 6 everywhere (D7).
//	S2  Pull checks in order: actor, operation (not a pull name 2; PullTweet, PullFacebook,
//	    PullFacebooksession, PullOpenmedia 2: no such media is modelled), id missing 1, nickname
//	    over 255 characters 10, workbin (S1), interaction unknown 6, not in this workbin 2 (in
//	    another one, or owned: a second pull), media-specific name for another media 2.
//	S3  A pulled chat lists the customer (added when the chat lists none, named from userData
//	    FirstName and LastName, else "Customer") and then the puller, with the request's
//	    nickname or else his user name, as Agent, or as Supervisor for a supervisor (W12);
//	    participantIds come from Options.NewID. PullJoinFailed (enableJoinOnPullChat off,
//	    D6) joins no one: the chat is JoinFailed with spec.Capabilities(chat, JoinFailed) and
//	    its participants as listed ([] for a chat from a workbin), as a real GWS shows a
//	    chat whose join failed; that a pull without join ends so is an INFERENCE.
//	S4  Add: unknown interaction 6; already in a workbin (this one included) 2; owned by another
//	    user 5; media-specific name for another media 2; a Completed interaction 2. saveLAR is
//	    accepted and ignored (no contact profiles). The actor gets no media event (D11 names
//	    only ItemAdded).
//	S5  Subscribe/Unsubscribe of several workbins is all or nothing: the first refused workbin
//	    (request order) refuses the request. Workbins named twice count once; events follow the
//	    request order. No workbin at all is 1. A repeated Subscribe is accepted with its event.
//	S6  Unsubscribe from a workbin one is not subscribed to is accepted with its event.
//	S7  Events: Pull gives InteractionChanged (to the puller) then WorkbinItemRemoved (to the
//	    workbin's subscribers, possibly none: the event is still returned); Add and Place give
//	    WorkbinItemAdded. WorkbinItemRemoved carries the interaction as the workbin listed it
//	    (N2), the others the interaction after the change. AgentGroup/PlaceGroup are set for
//	    group workbins on every URL form; WorkbinUserID on every copy when a supervisor acted
//	    through /users/{userId}/… (N5). A supervisor subscribed to an agent's workbin receives
//	    its ItemAdded/ItemRemoved like any subscriber.
//	S8  RequestAgentStats: no workbinType: the actor's Agent workbins; a type alone: the
//	    actor's workbins of that type (his place, all his groups); workbinOwner without
//	    workbinType 1; an unknown type 2; an owner that is not the actor, his place or one of
//	    his groups 5, except that a supervisor may name any user's Agent workbins (unknown
//	    user 6). Owner in the stats is the workbin's owner (user name, place or group name).
//	S9  Place (admin): unknown workbin 6; invalid media, type, id length or userData 10; an id
//	    already taken 2 (ErrDuplicateID). Type defaults to Inbound, receivedDate to the clock,
//	    userData is kept as given. No referenceId (no requester).
//	S10 A Snapshot includes the users' fixture passwords (mock-only data, D8) so that a state
//	    file restores completely. Interaction.State and Capabilities are derived from the
//	    resource and left out of the JSON form.
//	S11 Restore refuses (10, ErrInvalidSnapshot, up to 20 faults named) duplicate or empty ids,
//	    owners nobody has, interactions not in exactly one place, states that do not fit the
//	    place (in a workbin: InWorkbin, no capabilities, a chat without participants; owned: a
//	    known state other than InWorkbin with its capabilities), userData values other than
//	    strings, numbers and null, resources whose id or type disagree with their record, and
//	    subscriptions their user could not have made. It fills in what a workbin item lacks
//	    (state, capabilities, participants) and re-encodes resources canonically (sorted keys).
//	S12 Interaction operations (Store.Operate) check in order: actor; interaction unknown or of
//	    another media 6; the caller neither owner nor invited nor guest 5; operation not in the
//	    caller's capabilities 2; then its members (no transfer target 1, a target naming no user
//	    6, the caller himself or someone already in the chat 2, a queue for Invite/Consult 2).
//	S13 An interaction Completed or Canceled for its last user (Complete, Reject, Transfer to a
//	    queue, Cancel, Send, the last Leave) leaves the state: no routing, queue or archive.
//	S14 A chat has one owner and guests (Invite, Consult), each with his own state and
//	    capabilities (a guest in the chat: the conference list without Transfer); the owner has
//	    the conference capabilities while a guest is in or invited.
//	    A guest's Reject, Leave or Complete ends his part; the owner's Leave in a conference
//	    hands the chat to the first guest who accepted; the owner's Complete ends every part.
//	S15 Transcript indices count from 1 per chat; timestamps come from Options.Now.
//	S16 Channel states (StartContactCenterSession) are per user, outside snapshots; Reset
//	    clears them. EndContactCenterSession drops every HTTP session of the user.
package state
