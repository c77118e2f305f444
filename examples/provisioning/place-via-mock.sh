#!/bin/sh
# A provisioning hook for `workbinkit conform` (provisioning.mode: command): it places one
# interaction and prints the id it placed as JSON. This one places it through the workbinkit
# mock's control plane; yours would ask your routing system to route an interaction of
# $WORKBINKIT_MEDIA to the workbin $WORKBINKIT_WORKBIN of $WORKBINKIT_OWNER, wait until it
# is there, and print {"id": "..."} (or {"skip": "why"} when it cannot).
#
# The suite gives the request as environment variables (below) and as one JSON object on
# standard input; it reads one JSON object from standard output (other members than id
# are ignored: the mock's reply will do). A non-zero exit status, no id, or no answer
# within timeouts.provision fails the spec, with this program's stdout and stderr quoted
# (masked) in the report.
#
#   WORKBINKIT_MEDIA          workitem, chat or email
#   WORKBINKIT_WORKBIN        the workbin's id
#   WORKBINKIT_WORKBIN_GROUP  the group, for a group workbin (empty otherwise)
#   WORKBINKIT_WORKBIN_PARAM  agentGroup or placeGroup, for a group workbin
#   WORKBINKIT_OWNER          user name of the agent whose workbin it is
#   WORKBINKIT_OWNER_ROLE     agent or agent2 (the config file's users)
#   WORKBINKIT_OWNER_ID       that user's id (GET /api/v2/me)
#   WORKBINKIT_SPEC           the spec that needs it
#   WORKBINKIT_TARGET         the server under test (--target)
#
# MOCK_ADMIN_TOKEN, if set, is sent as the control plane's bearer token (a mock that is
# not on loopback needs it). The values are ids and user names: no JSON escaping is done.
set -eu

: "${WORKBINKIT_TARGET:?run by workbinkit conform}" "${WORKBINKIT_WORKBIN:?}" "${WORKBINKIT_MEDIA:?}"

body=$(printf '{"workbinId":"%s","media":"%s","userData":{"RTargetAgentSelected":"%s","WorkbinkitSpec":"%s"}}' \
	"$WORKBINKIT_WORKBIN" "$WORKBINKIT_MEDIA" "${WORKBINKIT_OWNER:-}" "${WORKBINKIT_SPEC:-}")

# --fail-with-body: an HTTP error exits 22 and still prints the mock's error envelope.
exec curl --silent --show-error --fail-with-body --max-time 5 \
	-H 'Content-Type: application/json' \
	${MOCK_ADMIN_TOKEN:+-H "Authorization: Bearer $MOCK_ADMIN_TOKEN"} \
	--data "$body" "$WORKBINKIT_TARGET/_mock/interactions"
