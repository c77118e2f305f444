package mockserver

import (
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/workbinkit/workbinkit/spec"
)

// Violation is output of the mock that its own contract rejects: a bug of the mock (or of
// the contract). The offending output is never sent: a response becomes a statusCode 4
// error, a notification is dropped.
//
// In strict mode a request body member the contract does not declare is reported the same
// way, with Kind "request-field", so that GET /_mock/violations and Config.OnViolation show
// it; it is the client's fault, not the mock's, is logged as a warning, and the request is
// served (GWS ignores such members, D2). It counts with the other violations.
type Violation struct {
	Time time.Time `json:"time"`
	// Kind is "response", "notification" (the mock's own faults) or "request-field" (strict
	// mode: the client sent an unknown request body member; reported, not refused).
	Kind string `json:"kind"`
	// Subject says which output: "POST /api/v2/workbins/{workbinId} 200" or
	// "/v2/me/workitems WorkitemStateChangeMessage".
	Subject string       `json:"subject"`
	Issues  []spec.Issue `json:"issues"`
}

// Kinds of violations.
const (
	ViolationResponse     = "response"
	ViolationNotification = "notification"
	ViolationRequestField = "request-field"
)

// maxRecentViolations bounds the violations kept for GET /_mock/violations.
const maxRecentViolations = 100

type violationLog struct {
	count  atomic.Uint64
	mu     sync.Mutex
	recent []Violation
	hook   func(Violation)
	log    *slog.Logger
}

func (v *violationLog) report(x Violation) {
	v.count.Add(1)
	for _, is := range x.Issues {
		if x.Kind == ViolationRequestField {
			v.log.Warn("mock: strict mode: the client sent a member the contract does not declare (GWS ignores it)",
				"subject", x.Subject, "pointer", is.Pointer, "message", is.Message)
			continue
		}
		v.log.Error("mock: self-check violation", "kind", x.Kind, "subject", x.Subject,
			"where", is.Where, "pointer", is.Pointer, "rule", is.Rule, "message", is.Message)
	}
	v.mu.Lock()
	v.recent = append(v.recent, x)
	if len(v.recent) > maxRecentViolations {
		v.recent = append([]Violation(nil), v.recent[len(v.recent)-maxRecentViolations:]...)
	}
	v.mu.Unlock()
	if v.hook != nil {
		v.hook(x)
	}
}

func (v *violationLog) snapshot() (uint64, []Violation) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.count.Load(), append([]Violation(nil), v.recent...)
}

func (v *violationLog) clear() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.recent = nil
	v.count.Store(0)
}
