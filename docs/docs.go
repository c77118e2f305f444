// Package docs carries the project documents a binary must be able to hand out: the rules
// document that every rule id of a conformance report links to, embedded so that a report
// written anywhere (a vendor's CI, far from any checkout) can ship the text beside it.
package docs

import _ "embed"

//go:embed rules.md
var rules string

// RulesFile is the name the rules document is written under beside a report.
const RulesFile = "rules.md"

// Rules returns docs/rules.md as built into the binary.
func Rules() string { return rules }
