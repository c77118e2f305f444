package proxy_test

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/workbinkit/workbinkit/mockserver"
	"github.com/workbinkit/workbinkit/observe"
)

// seen says how the proxy sees a deviation switch: the suite's specs that make the traffic
// show it, and the rules one of whose violations the proxy must report; or, for a switch
// the wire cannot show, why not.
type seen struct {
	specs      []string
	rules      []string
	notVisible string
}

// proxyCatches maps every deviation switch of the mock. A switch without an entry fails
// the test. Read-only.
func proxyCatches() map[string]seen {
	pull := []string{"pull-workitem.workbins-url"}
	// afterPull: the switches of the operations after the pull are caught by the suite's
	// lifecycle specs (conformance/selftest); observe does not model those operations yet.
	const afterPull = "not judged by the proxy yet: observe does not model the operations after the pull (issue 12, D13-D21); the conformance suite's lifecycle specs catch it"
	return map[string]seen{
		"agent-stats-wrong-count":           {specs: []string{"agent-stats.request-agent-stats"}, rules: []string{"S.agent-stats"}},
		"csrf-not-enforced":                 {specs: []string{"csrf.post-without-token", "csrf.post-wrong-token"}, rules: []string{"D8.csrf"}},
		"event-leaked-to-other-user":        {specs: []string{"pull-workitem.isolation"}, rules: []string{"D9.isolation"}},
		"extra-error-field":                 {specs: []string{"bad-input.unknown-interaction"}, rules: []string{"contract"}},
		"extra-success-field":               {specs: pull, rules: []string{"contract"}},
		"handshake-without-auth":            {specs: []string{"bayeux.handshake-unauthenticated"}, rules: []string{"D9.bayeux"}},
		"missing-capability":                {specs: pull, rules: []string{"D5.capabilities"}},
		"missing-csrf-headers":              {specs: []string{"csrf.token-on-get", "csrf.post-without-token"}, rules: []string{"D8.csrf"}},
		"missing-item-removed":              {specs: []string{"workbin-subscriptions.item-removed"}, rules: []string{"D5.workbin-event"}},
		"missing-media-notification":        {specs: pull, rules: []string{"D5.notification"}},
		"missing-status-message":            {specs: []string{"bad-input.unknown-interaction"}, rules: []string{"contract"}},
		"missing-subscription-notification": {specs: []string{"workbin-subscriptions.subscribe-unsubscribe"}, rules: []string{"S.subscription"}},
		"missing-www-authenticate":          {specs: []string{"bad-input.no-credentials-get"}, rules: []string{"contract"}},
		"pull-chat-gate-ignored":            {notVisible: "whether PullChat may succeed, and join, depends on the server's enableNotificationOnPullChat and enableJoinOnPullChat options, which GWS does not send"},
		"pulled-item-still-listed":          {specs: pull, rules: []string{"D11.content"}},
		"reference-id-to-other-subscribers": {specs: []string{"workbin-subscriptions.group-subscribers"}, rules: []string{"D5.workbin-event"}},
		"repeated-reference-id":             {specs: []string{"pull-workitem.reference-ids"}, rules: []string{"D4.referenceId"}},
		"second-pull-succeeds":              {specs: []string{"pull-workitem.second-pull"}, rules: []string{"D11.second-pull"}},
		"unknown-client-accepted":           {notVisible: "the proxy cannot tell a made-up clientId from one handshaken before the observation began, so an accepted unknown client looks like a known one"},
		"user-data-dropped":                 {specs: pull, rules: []string{"D5.userData"}},
		"wrong-channel":                     {specs: pull, rules: []string{"contract", "D5.notification"}},
		"wrong-error-http-status":           {specs: []string{"bad-input.unknown-interaction"}, rules: []string{"contract"}},
		"wrong-message-type":                {specs: pull, rules: []string{"contract", "D5.notification"}},
		"wrong-reference-id":                {specs: pull, rules: []string{"D4.referenceId-echo"}},
		"wrong-second-pull-status-code":     {specs: []string{"pull-workitem.second-pull"}, rules: []string{"D11.second-pull"}},
		"wrong-state-after-pull":            {specs: pull, rules: []string{"D5.state"}},
		"add-unowned-accepted":              {specs: []string{"add-to-workbin.not-owned"}, rules: []string{"D11.ownership"}},
		"agent-on-supervisor-url-accepted":  {specs: []string{"supervisor.agent-refused"}, rules: []string{"D10.supervisor"}},
		"concurrent-pulls-all-win":          {specs: []string{"pull-workitem.concurrent"}, rules: []string{"D11.concurrent-pull"}},
		"connect-not-held":                  {specs: []string{"bayeux.held-connect"}, rules: []string{"D9.bayeux"}},
		"disconnect-ignored":                {specs: []string{"bayeux.disconnect"}, rules: []string{"D9.bayeux"}},
		"first-connect-held":                {specs: []string{"bayeux.first-connect"}, rules: []string{"D9.bayeux"}},
		"group-params-both-accepted":        {specs: []string{"group-workbins.both-params"}, rules: []string{"D1.group-params"}},
		"multimedia-not-enforced":           {notVisible: "whether a user may reach the workbins depends on the api-multimedia feature, which GWS does not send"},
		"negotiation-ignored":               {specs: []string{"bayeux.handshake-negotiation"}, rules: []string{"D9.bayeux"}},
		"puller-not-participant":            {specs: []string{"pull-chat.pull-chat"}, rules: []string{"D5.participants"}},
		"refused-request-half-applied":      {specs: []string{"bad-input.wrong-media"}, rules: []string{"D11.nothing-changed"}},
		"supervisor-pull-notifies-agent":    {specs: []string{"supervisor.pull-from-agent"}, rules: []string{"D10.supervisor"}},
		// The operations after the pull (issue 12): the observer does not judge them yet.
		"allowed-operation-refused":    {notVisible: afterPull},
		"capability-gate-ignored":      {notVisible: afterPull},
		"others-interaction-accepted":  {notVisible: afterPull},
		"bad-operation-body-accepted":  {notVisible: afterPull},
		"missing-properties-updated":   {notVisible: afterPull},
		"completed-keeps-capabilities": {notVisible: afterPull},
		"leave-completes-chat":         {notVisible: afterPull},
		"user-data-not-shown":          {notVisible: afterPull},
		"transfer-ignored":             {notVisible: afterPull},
		"invitee-not-notified":         {notVisible: afterPull},
		"set-in-focus-refused":         {notVisible: afterPull},
		"message-log-dropped":          {notVisible: afterPull},
		"channels-not-notified":        {notVisible: afterPull},
	}
}

// TestDeviationsSeenByProxy: with each deviation switch of the mock on, the suite's specs
// that exercise it run through the proxy, and the proxy reports a violation naming the
// rule the switch breaks; the switches the wire cannot show are listed with the reason.
// The table is printed.
func TestDeviationsSeenByProxy(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds and runs the conformance suite")
	}
	table := proxyCatches()
	devs := mockserver.Deviations()
	for name := range table {
		if !slices.ContainsFunc(devs, func(d mockserver.DeviationInfo) bool { return string(d.Name) == name }) {
			t.Errorf("the table names %q, which is no deviation of the mock", name)
		}
	}
	type row struct{ name, breaks, how string }
	var (
		mu   sync.Mutex
		rows []row
	)
	sem := make(chan struct{}, 2)
	t.Run("each", func(t *testing.T) {
		for _, d := range devs {
			name := string(d.Name)
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				c, ok := table[name]
				add := func(how string) {
					mu.Lock()
					rows = append(rows, row{name, d.Breaks, how})
					mu.Unlock()
				}
				switch {
				case !ok:
					add("(no entry)")
					t.Fatalf("deviation %q has no entry in proxyCatches: name the specs that show it and the rule, or why the wire cannot show it", name)
				case c.notVisible != "":
					add("not visible on the wire: " + c.notVisible)
					return
				}
				sem <- struct{}{}
				defer func() { <-sem }()
				r := startRig(t, rigOptions{deviations: []mockserver.Deviation{d.Name}})
				runSuite(t, r.front.URL, "-ginkgo.label-filter="+labelFilter(c.specs...))
				res := r.stop(t)
				var hit *observe.Finding
				for i, f := range res.Findings {
					if f.Level == observe.LevelError && slices.Contains(c.rules, string(f.Rule)) {
						hit = &res.Findings[i]
						break
					}
				}
				if hit == nil {
					add("NOT CAUGHT")
					t.Errorf("no violation naming %v; the proxy reported:\n%s", c.rules, strings.Join(r.lines, "\n"))
					return
				}
				at := ""
				if hit.Pointer != "" {
					at = " at " + hit.Pointer
				}
				add(fmt.Sprintf("caught: %s%s (%s)", hit.Rule, at, clipText(hit.Message, 110)))
			})
		}
	})
	sort.Slice(rows, func(i, j int) bool { return rows[i].name < rows[j].name })
	var b strings.Builder
	caught, invisible := 0, 0
	b.WriteString("\n| deviation switch | breaks | the proxy |\n| --- | --- | --- |\n")
	for _, r := range rows {
		switch {
		case strings.HasPrefix(r.how, "caught"):
			caught++
		case strings.HasPrefix(r.how, "not visible"):
			invisible++
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", r.name, strings.ReplaceAll(r.breaks, "|", `\|`), strings.ReplaceAll(r.how, "|", `\|`))
	}
	fmt.Fprintf(&b, "\n%d switches: %d caught by the proxy, %d not visible on the wire, %d missed\n", len(devs), caught, invisible, len(devs)-caught-invisible)
	t.Log(b.String())
}

func clipText(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
