package conformance

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Feature is a capability a target declares. Every spec carries the Ginkgo label
// "Feature:<name>" of each feature it needs; a spec whose features are not all declared is
// skipped and reported NOT_SUPPORTED (never failed).
type Feature string

// The features of the suite.
const (
	// FeaturePullWorkitem is the core: PullWorkitem/PullInteraction of a workitem from the
	// agent's own workbin on /workbins/{id} and /me/workbins/{id}, the notification, the
	// content after the pull, the refused second pull, unique referenceIds, concurrent
	// pulls, private channels. A target cannot opt out of it.
	FeaturePullWorkitem Feature = "pull-workitem"
	// FeaturePullChat: PullChat / PullInteraction of a chat (Chatting, participants).
	FeaturePullChat Feature = "pull-chat"
	// FeaturePullEmail: PullEmail / PullInteraction of an email.
	FeaturePullEmail Feature = "pull-email"
	// FeatureGroupWorkbins: pulls from AgentGroup and PlaceGroup workbins (?agentGroup=,
	// ?placeGroup=, never both).
	FeatureGroupWorkbins Feature = "group-workbins"
	// FeatureSupervisor: a supervisor pulls from an agent's workbin through
	// /users/{userId}/workbins/{id}; an agent using that URL is refused.
	FeatureSupervisor Feature = "supervisor"
	// FeatureWorkbinSubscriptions: Subscribe/Unsubscribe (one and several workbins) and the
	// WorkbinStateChangeMessages that subscribers receive.
	FeatureWorkbinSubscriptions Feature = "workbin-subscriptions"
	// FeatureAddToWorkbin: Add* of an interaction the caller owns (by id and by uri).
	FeatureAddToWorkbin Feature = "add-to-workbin"
	// FeatureCSRF: the CSRF token of GET /me and the 403 for a POST without it.
	FeatureCSRF Feature = "csrf"
	// FeatureBayeux: Bayeux protocol behaviour of the CometD endpoint (handshake, connect
	// hold and release, 402 and re-handshake, disconnect).
	FeatureBayeux Feature = "bayeux"
	// FeatureBadInput: the errors for missing and bad fields, unknown workbins and
	// interactions, wrong media, another agent's workbin, missing credentials; nothing
	// changes after any of them.
	FeatureBadInput Feature = "bad-input"
	// FeatureConfigurableOptions: the target has the mock's admin API: the suite changes
	// options through it (PullChat gates of D6, CSRF protection off; those specs are Serial)
	// and acts as a chat's customer (with chat-lifecycle).
	FeatureConfigurableOptions Feature = "configurable-options"
	// FeatureMultimediaGate: a user without api-multimedia gets 404 on every workbin URL (D7).
	FeatureMultimediaGate Feature = "multimedia-gate"
	// FeatureAgentStats: RequestAgentStats and its WorkbinStatsMessage (N1). Serial.
	FeatureAgentStats Feature = "agent-stats"
	// FeatureWorkitemLifecycle: the operations on a pulled workitem (user data, SetInFocus,
	// Transfer, Complete), their notifications and refusals (issue 12).
	FeatureWorkitemLifecycle Feature = "workitem-lifecycle"
	// FeatureChatLifecycle: the operations on a pulled chat (messages, typing, user data,
	// disposition, Invite/Consult/Transfer, Leave, Complete), MessageLogUpdated, refusals.
	FeatureChatLifecycle Feature = "chat-lifecycle"
	// FeatureEmailLifecycle: the operations on a pulled email (user data, disposition,
	// comment, Transfer, Complete), their notifications and refusals.
	FeatureEmailLifecycle Feature = "email-lifecycle"
	// FeatureContactCenterSession: StartContactCenterSession / EndContactCenterSession on
	// POST /api/v2/me and the channel states on /v2/me/channels.
	FeatureContactCenterSession Feature = "contact-center-session"
)

// featureInfo describes a feature for flags, reports and the README. Read-only.
var featureInfo = map[Feature]struct {
	core bool
	text string
}{
	FeaturePullWorkitem:         {true, "pull a workitem from the agent's workbin (both URL forms), notification, content, second pull, referenceIds, concurrency, private channels"},
	FeaturePullChat:             {false, "PullChat and PullInteraction of a chat: Chatting state, chat capabilities, the agent among the participants"},
	FeaturePullEmail:            {false, "PullEmail and PullInteraction of an email: Processing state and email capabilities"},
	FeatureGroupWorkbins:        {false, "pulls from AgentGroup and PlaceGroup workbins (?agentGroup=, ?placeGroup=), never both parameters"},
	FeatureSupervisor:           {false, "a supervisor pulls from an agent's workbin via /users/{userId}/workbins/{id}; agents are refused"},
	FeatureWorkbinSubscriptions: {false, "Subscribe/Unsubscribe and the WorkbinStateChangeMessages subscribers receive"},
	FeatureAddToWorkbin:         {false, "Add* of an owned interaction by id and by uri; refused for an interaction the caller does not own"},
	FeatureCSRF:                 {false, "the CSRF token of GET /me; 403 'Missing or invalid Csrf token' without it"},
	FeatureBayeux:               {false, "Bayeux behaviour of the CometD endpoint: handshake, connect hold/release, 402 + re-handshake, disconnect"},
	FeatureBadInput:             {false, "errors for missing/bad fields, unknown ids, wrong media, another agent's workbin, no credentials; nothing changes"},
	FeatureConfigurableOptions:  {false, "the mock's admin API: options switched at run time (the PullChat gates of D6, CSRF off), and the chat's customer (chat-lifecycle)"},
	FeatureMultimediaGate:       {false, "a user without api-multimedia gets 404 / statusCode 6 on workbin URLs (D7)"},
	FeatureAgentStats:           {false, "RequestAgentStats: the WorkbinStatsMessage with the request's referenceId counts what each workbin holds"},
	FeatureWorkitemLifecycle:    {false, "a pulled workitem: Attach/Update/DeleteUserData, SetInFocus, Transfer, Complete; notifications, states, refusals"},
	FeatureChatLifecycle:        {false, "a pulled chat: SendMessage, typing, the customer's messages (MessageLogUpdated), user data, disposition, Invite/Consult/Transfer, Leave, Complete; refusals"},
	FeatureEmailLifecycle:       {false, "a pulled email: user data, SetDisposition, AddComment, Transfer, Complete; notifications, states, refusals"},
	FeatureContactCenterSession: {false, "StartContactCenterSession / EndContactCenterSession on POST /api/v2/me and the channel states on /v2/me/channels"},
}

// AllFeatures lists every feature, core first, then by name.
func AllFeatures() []Feature {
	out := make([]Feature, 0, len(featureInfo))
	for f := range featureInfo {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool {
		ci, cj := featureInfo[out[i]].core, featureInfo[out[j]].core
		if ci != cj {
			return ci
		}
		return out[i] < out[j]
	})
	return out
}

// CoreFeatures lists the features every target must support: they are always declared,
// whatever the feature list says (as a Gateway API profile does).
func CoreFeatures() []Feature {
	var out []Feature
	for _, f := range AllFeatures() {
		if featureInfo[f].core {
			out = append(out, f)
		}
	}
	return out
}

// IsCore reports whether f is a core feature.
func (f Feature) IsCore() bool { return featureInfo[f].core }

// Description is a one-line summary of what the feature's specs check.
func (f Feature) Description() string { return featureInfo[f].text }

// Known reports whether f is a feature of the suite.
func (f Feature) Known() bool {
	_, ok := featureInfo[f]
	return ok
}

// ParseFeatures reads a comma-separated list ("pull-chat, csrf"); "all" means every
// feature. Unknown names are an error naming the known ones (no silent drops).
func ParseFeatures(list string) ([]Feature, error) {
	var out []Feature
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		if name == "all" {
			out = append(out, AllFeatures()...)
			continue
		}
		f := Feature(name)
		if !f.Known() {
			return nil, fmt.Errorf("unknown feature %q (known: all, %s)", name, featureNames(AllFeatures()))
		}
		out = append(out, f)
	}
	return normalizeFeatures(out), nil
}

// normalizeFeatures sorts, removes duplicates and adds the core features. An empty list
// (--features "", features: [] or a bare features:) claims the core only: the core cannot be
// switched off, and a run that checks nothing must not pass.
func normalizeFeatures(fs []Feature) []Feature {
	out := append(slices.Clone(fs), CoreFeatures()...)
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return slices.Compact(out)
}

func featureNames(fs []Feature) string {
	s := make([]string, len(fs))
	for i, f := range fs {
		s[i] = string(f)
	}
	return strings.Join(s, ", ")
}

// Label prefixes. Ginkgo labels may not contain &|!,()/ so spec ids use dots.
const (
	featureLabelPrefix = "Feature:"
	idLabelPrefix      = "id:"
)

// FeatureLabel is the Ginkgo label of a feature ("Feature:pull-chat"), for --label-filter.
func FeatureLabel(f Feature) string { return featureLabelPrefix + string(f) }

// featuresOf extracts the features from a spec's labels.
func featuresOf(labels []string) []Feature {
	var out []Feature
	for _, l := range labels {
		if name, ok := strings.CutPrefix(l, featureLabelPrefix); ok {
			out = append(out, Feature(name))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return slices.Compact(out)
}

// specIDOf extracts the stable spec id from a spec's labels ("" if it has none).
func specIDOf(labels []string) string {
	for _, l := range labels {
		if id, ok := strings.CutPrefix(l, idLabelPrefix); ok {
			return id
		}
	}
	return ""
}
