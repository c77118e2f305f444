package conformance

import (
	"regexp"
	"slices"
)

// specDef is one spec, as data: its stable id, its features, the operation variant it
// covers, and its body.
type specDef struct {
	id       string
	text     string
	features []Feature
	variant  string
	// serial: the spec changes state other specs see (options, subscriptions of a user).
	serial bool
	body   func(t *T)
}

// specIDPattern is what a spec id may look like (a Ginkgo label value: no &|!,()/).
var specIDPattern = regexp.MustCompile(`^[a-z0-9-]+(\.[a-z0-9-]+)+$`)

// allSpecs lists every spec of the suite, as data. Ids are stable: reports, label filters
// and the self-test use them.
func allSpecs() []specDef {
	return slices.Concat(pullSpecs(), mediaSpecs(), groupSpecs(), supervisorSpecs(),
		subscriptionSpecs(), addSpecs(), statsSpecs(), badInputSpecs(), csrfSpecs(),
		multimediaSpecs(), optionSpecs(), bayeuxSpecs())
}

// feats is a feature list literal.
func feats(fs ...Feature) []Feature { return fs }
