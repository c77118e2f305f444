// Package conformance is the Ginkgo suite that checks any implementation of the GWS
// Workbins API (a lab GWS, the workbinkit mock, a vendor's server) against the contract
// in spec/. It imports spec, bayeux and fixtures, never mockserver (only the self-test in
// conformance/selftest starts a mock, once per deviation switch, and requires the suite
// to catch each one).
//
// # The life of one spec
//
//  1. Config (options.go, flags.go). DefaultOptions, then the YAML file of --config, then
//     the flags the user set: target, users, workbins, provisioning, timeouts, --strict.
//     RunConformance (suite.go) validates them before any request is sent.
//  2. Features (features.go). The target declares the features it implements; every spec
//     carries the Ginkgo label Feature:<name> of each feature it needs and is skipped as
//     NOT_SUPPORTED, never failed, when one is not declared.
//  3. Session and login (session.go, suite.go). Process 1 logs every needed user in
//     (GET /api/v2/me: cookie, CSRF token, user id) and discovers the workbins; each
//     parallel process gets what it found. A spec logs its own sessions in through T.
//  4. Provisioning (provision.go). Before acting, a spec gets a fresh interaction into a
//     workbin (the mock's admin API, a list of placed interactions, or owned ones added
//     back) and waits until the workbin lists it; when the spec ends it is given back.
//     Each spec declares what it provisions (specDef.needs); list mode is planned from
//     that (needs.go): a short list stops the run at set-up, --list-needs prints the table.
//  5. The spec's actions (actions.go, specs_*.go). The spec, declared as data in
//     registry.go (id, features, variant, body), sends its requests through T: the URL
//     forms of D1 come from spec/urls.go. Each HTTP reply is checked against the contract
//     (T.conform); each CometD message once, for the spec that caused it (T.checkEvents):
//     a message is the spec's when it carries the referenceId of one of its accepted
//     requests, names an interaction it provisioned, or confirms its own Subscribe
//     (match.go: caused). A message of its listener that it did not cause (another spec's,
//     perhaps on another process; the target's own) goes to one stream-level check
//     (judging.go), reported in its own section, never charged to the spec listening.
//  6. Expectations. On HTTP replies and workbin content: expect.go (the envelope and its
//     referenceId, refusals and their statusCode, "nothing changed"). On CometD messages:
//     expect_cometd.go, which picks the message a request caused through the predicates
//     of match.go (by referenceId, interaction, workbin) and judges only that one. A pulled
//     chat lists the puller in its StatusChange or in a ParticipantsUpdated after it.
//     Tolerances: by default the evidence (docs, captures); --strict wants the decisions
//     of decisions.md exactly.
//  7. Warnings (judging.go). What the evidence shows real servers do but the decisions do
//     not want (a subscription notification without referenceId, as the docs' samples;
//     later the contract's values beyond the known ones on a message the spec caused) is a
//     warning of the spec: recorded with rule, where and pointer, listed per feature in
//     the reports, never a failure, except under --strict, where it fails the spec.
//  8. Violations (rules.go). A failed check fails the spec with a Violation: the Rule id
//     it breaks ("D5.capabilities", "contract"…), where, the JSON pointer, and a message,
//     followed by the masked exchange or message.
//  9. Reports (report.go). ReportAfterSuite writes Ginkgo's JUnit and JSON reports
//     (--report-junit, --report-ginkgo-json: report_ginkgo.go) and the conformance report,
//     per feature, per
//     operation variant and per spec (with its warnings), and the messages no spec
//     caused, as JSON (--report-json) and Markdown (--report-markdown). Every rule id
//     links to its section of docs/rules.md (rulelinks.go): a copy written beside the
//     reports, or --rules-url.
//     Every report is written before the process exits, also when the run stops early
//     (--deadline, SIGINT, SIGTERM: report_interrupt.go); it then says why and when, and
//     lists the specs the run did not reach as not run.
//  10. Exit code. The test binary exits 2 for a usage error (no --target and no --config:
//     conformance_test.go's TestMain), 1 when a spec that ran failed, the setup did, or
//     the run was stopped early, 0 otherwise; specs skipped as NOT_SUPPORTED and warnings
//     do not count.
//     A contract error on a message no spec caused does not count either: whether some
//     spec caused it is not knowable across parallel processes (the spec that did judged
//     it, and failed, in its own process), so it is reported apart, once per message;
//     under --strict it fails the run.
//
// Run it with make conform TARGET=https://host:port, go test ./conformance -args
// --target …, or the binary of make conformance-binary.
package conformance
