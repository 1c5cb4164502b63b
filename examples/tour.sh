#!/bin/sh
# A tour of cwquery over the bundled sample logs: check, format, test, explain.
# Run from the repository root:  sh examples/tour.sh   (with cwquery on PATH)
set -e
logs="$(dirname "$0")/logs"
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@" || true; }

echo "== Check patterns before they reach a metric filter"
step cwquery check '{ $.latency > 1000 && $.level = "ERROR" }' '?ERROR ?WARN' \
  '[ip, user, username, timestamp, request, status_code = 4*, bytes]' '%Task timed out%'
step cwquery check '{ $.latency > 1000 AND $.level == "ERROR" }'

echo
echo "== Patterns inside infrastructure code (CloudFormation, SAM, Terraform, cdk.out, serverless)"
step cwquery check "$(dirname "$0")/infra/broken/main.tf"

echo
echo "== Canonical form, and equality after normalisation"
step cwquery fmt '{($.eventName=DeleteGroupPolicy)||($.eventName=PutUserPolicy)}'
step cwquery equal '{ $.a = 1 && ($.b = x || $.c IS NULL) }' '{ ($.c IS NULL || $.b = "x") && $.a = 1 }'

echo
echo "== Test patterns against sample logs (CloudWatch's answers, no AWS account)"
step cwquery test --count '{ $.i > 90 && $.nest.big = "bird" }' "$logs/walkthrough.jsonl"
step cwquery test --count '{ $.iEven IS NULL }' "$logs/walkthrough.jsonl"
step cwquery test --count '{ $.level = "ERROR" && $.latency > 1000 }' "$logs/app.jsonl"
step cwquery test --count '{ $.error.retryable IS TRUE || $.status >= 500 }' "$logs/app.jsonl"
step cwquery test --count '[ip, id, user, timestamp, request = *.html*, status_code = 4*, bytes]' "$logs/access.log"
step cwquery test --count '?"Task timed out" ?"Invoke Error"' "$logs/lambda.log"
step cwquery test --count '[timestamp = *Z, request_id = "*-*", level = ERROR, message]' "$logs/lambda.log"
step cwquery test '[type = REPORT, label, request_id, duration_label, duration > 2900, ...]' "$logs/lambda.log"
step cwquery test --count '[version, account, eni, source, destination, srcport, destport = 22 || destport = 3389, protocol, packets, bytes, start, end, action = REJECT, status]' "$logs/vpc-flow.log"
step cwquery test --count '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }' "$logs/cloudtrail.jsonl"
step cwquery test --count '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS }' "$logs/cloudtrail.jsonl"

echo
echo "== TestMetricFilter-shaped output with extracted values"
head -n 2 "$logs/access.log" > "${TMPDIR:-/tmp}/cwquery-two-lines.log"
step cwquery test --json '[ip, ..., status_code, bytes]' "${TMPDIR:-/tmp}/cwquery-two-lines.log"

echo
echo "== Why did (or didn't) it match?"
head -n 1 "$logs/app.jsonl" > "${TMPDIR:-/tmp}/cwquery-one-line.jsonl"
step cwquery test --explain '{ $.latency > 1000 && $.user.tier = "pro" }' "${TMPDIR:-/tmp}/cwquery-one-line.jsonl"
