package spec

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/fstest"
)

func TestLintEmbedded(t *testing.T) {
	rep, err := Lint(context.Background(), Files())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Examples < 20 || rep.Messages != 8 || rep.Operations != 19 || rep.Schemas != len(loadT(t).Schemas()) {
		t.Errorf("lint checked too little: %+v", rep)
	}
}

func TestLintBroken(t *testing.T) {
	tests := []struct {
		name          string
		break_        func(t *testing.T, m fstest.MapFS)
		file, pointer string
		message       string
	}{
		{"async $ref to a missing schema", func(t *testing.T, m fstest.MapFS) {
			edit(t, m, AsyncAPIFile, "$ref: 'schemas/workbin-stats-message.json'", "$ref: 'schemas/workbin-statistics.json'")
		}, AsyncAPIFile, "/components/messages/WorkbinStatsMessage/payload/$ref", "workbin-statistics.json"},
		{"async $ref to a missing message", func(t *testing.T, m fstest.MapFS) {
			edit(t, m, AsyncAPIFile, "$ref: '#/components/messages/ChatStateChangeMessage'", "$ref: '#/components/messages/ChatMessage'")
		}, AsyncAPIFile, "/channels/~1v2~1me~1chats/subscribe/message/oneOf/$ref", "nothing at"},
		{"async channel renamed", func(t *testing.T, m fstest.MapFS) {
			edit(t, m, AsyncAPIFile, "  /v2/me/emails:\n", "  /v2/me/email:\n")
		}, AsyncAPIFile, "/channels", "wire.go"},
		{"async message payload dropped", func(t *testing.T, m fstest.MapFS) {
			edit(t, m, AsyncAPIFile, "$ref: 'schemas/workbin-stats-message.json'", "$ref: 'schemas/workbin-state-change-message.json'")
		}, AsyncAPIFile, "/components/messages", "workbin-stats-message.json"},
		{"async version", func(t *testing.T, m fstest.MapFS) {
			edit(t, m, AsyncAPIFile, "asyncapi: 2.6.0", "asyncapi: 3.0.0")
		}, AsyncAPIFile, "/asyncapi", "2.6"},
		{"unknown decision", func(t *testing.T, m fstest.MapFS) {
			edit(t, m, OpenAPIFile, "      x-workbinkit-decision: W4\n      parameters:\n        - $ref: '#/components/parameters/workbinIdsOptional'",
				"      x-workbinkit-decision: W44\n      parameters:\n        - $ref: '#/components/parameters/workbinIdsOptional'")
		}, OpenAPIFile, "/paths/~1workbins/post/x-workbinkit-decision", "W44"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := contractCopy(t)
			tc.break_(t, m)
			rep, err := Lint(context.Background(), m)
			if rep != nil || err == nil {
				t.Fatal("a broken contract passed lint")
			}
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("want a *FileError, got %v", err)
			}
			if fe.File != tc.file || fe.Pointer != tc.pointer || !strings.Contains(err.Error(), tc.message) {
				t.Errorf("got %q (file %q, pointer %q); want file %q, pointer %q, message with %q", err, fe.File, fe.Pointer, tc.file, tc.pointer, tc.message)
			}
		})
	}
}

// A bad example fails at load already (kin-openapi validates examples), naming where it is.
func TestBadExample(t *testing.T) {
	m := contractCopy(t)
	edit(t, m, OpenAPIFile, "value: {statusCode: 0, referenceId: 17}", "value: {statusCode: 0, referenceId: 0}")
	_, err := Lint(context.Background(), m)
	var fe *FileError
	if !errors.As(err, &fe) || fe.File != OpenAPIFile || !strings.Contains(fe.Pointer, "/components/responses/Accepted") {
		t.Fatalf("got %v", err)
	}
}
