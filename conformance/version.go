package conformance

import "github.com/workbinkit/workbinkit/internal/version"

// SuiteVersion is the version of the conformance suite, in reports and User-Agents: the
// build's version (internal/version), the same `workbinkit version` prints. A test binary
// says "devel" unless one is linked in with -ldflags -X (see internal/version).
var SuiteVersion = version.String()
