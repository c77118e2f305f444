// The spec registry: every spec of the suite, declared as data.

package conformance

import (
	"regexp"
	"slices"
)

// specDef is one spec, as data. A spec is declared in the specs_*.go file of its topic, in
// that file's xxxSpecs function, and listed here through allSpecs:
//
//	{id: "pull-workitem.me-url", text: "PullWorkitem on /api/v2/me/workbins/{id}",
//	 features: feats(FeaturePullWorkitem), variant: variant(spec.PullWorkitem, formMe),
//	 body: func(t *T) { … }}
//
// The id's first part is the spec's first feature; the body acts through T (actions.go)
// and checks through the expect* functions (expect.go, expect_cometd.go), each failure
// naming its Rule (rules.go).
type specDef struct {
	// id is stable ("pull-workitem.me-url"): the Ginkgo label id:<id>, the key of the
	// reports and of the self-test's deviation table.
	id string
	// text is the Ginkgo spec text, what the spec checks in a sentence.
	text string
	// features are what the target must declare for the spec to run (else it is skipped
	// as NOT_SUPPORTED); they become Ginkgo labels Feature:<name>.
	features []Feature
	// variant is the operation variant the report counts it under ("PullWorkitem · POST …").
	variant string
	// serial: the spec changes state other specs see (options, subscriptions of a user).
	serial bool
	// needs are the interactions the body provisions (t.provision), by workbin and media:
	// list provisioning is planned from them (needs.go), and a spec that provisions more or
	// less than it declares fails as a defect of the suite.
	needs []need
	body  func(t *T)
}

// specIDPattern is what a spec id may look like (a Ginkgo label value: no &|!,()/).
var specIDPattern = regexp.MustCompile(`^[a-z0-9-]+(\.[a-z0-9-]+)+$`)

// allSpecs lists every spec of the suite, by topic, in the order Ginkgo registers them.
// Ids are stable: reports, label filters and the self-test use them.
func allSpecs() []specDef {
	return slices.Concat(
		pullSpecs(),         // specs_pull.go: pull-workitem
		mediaSpecs(),        // specs_pull.go: pull-chat, pull-email
		groupSpecs(),        // specs_group.go: group-workbins
		supervisorSpecs(),   // specs_supervisor.go: supervisor
		subscriptionSpecs(), // specs_subscriptions.go: workbin-subscriptions
		addSpecs(),          // specs_add.go: add-to-workbin
		statsSpecs(),        // specs_stats.go: agent-stats
		badInputSpecs(),     // specs_badinput.go: bad-input (body, ids, workbins)
		authSpecs(),         // specs_auth.go: bad-input (credentials, D8)
		csrfSpecs(),         // specs_auth.go: csrf
		multimediaSpecs(),   // specs_gates.go: multimedia-gate
		optionSpecs(),       // specs_gates.go: configurable-options
		bayeuxSpecs(),       // specs_bayeux.go: bayeux
		lifecycleSpecs(),    // specs_lifecycle_*.go: workitem-, chat-, email-lifecycle, contact-center-session
	)
}

// feats is a feature list literal.
func feats(fs ...Feature) []Feature { return fs }
