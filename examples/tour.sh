#!/bin/sh
# A tour of cwquery over the bundled sample logs: check, format, test, explain.
# Run from the repository root:  sh examples/tour.sh   (with cwquery on PATH)
#
# Each step prints its command, quoted so that it can be pasted into a shell, then its output,
# and checks the exit status and the line that matters: the tour stops at the first step that
# does not behave, with a non-zero exit status. It writes no files.
set -eu
examples="$(dirname "$0")"
logs="$examples/logs"
if [ -t 1 ]; then
    bold="$(printf '\033[1m')"
    plain="$(printf '\033[0m')"
else
    bold=""
    plain=""
fi

if ! command -v cwquery >/dev/null 2>&1; then
    echo "tour: cwquery is not on PATH (install it first; see the README's quick start)" >&2
    exit 127
fi

# quote ARG...: the arguments as one shell command line, quoted where needed.
quote() {
    line=""
    for arg do
        case "$arg" in
            "" | *[!A-Za-z0-9_./:=@%+,-]*)
                arg="'$(printf '%s' "$arg" | sed "s/'/'\\\\''/g")'"
                ;;
        esac
        line="${line:+$line }$arg"
    done
    printf '%s' "$line"
}

# show TEXT: print a command line as the user would type it.
show() {
    printf '\n%s$ %s%s\n' "$bold" "$1" "$plain"
}

# judge STATUS OUTPUT WANT_STATUS WANT_TEXT: print the output; fail unless both are as expected.
judge() {
    printf '%s\n' "$2"
    if [ "$1" -ne "$3" ]; then
        echo "tour: that step exited with status $1, expected $3" >&2
        exit 1
    fi
    case "$2" in
        *"$4"*) ;;
        *)
            echo "tour: that step's output does not contain: $4" >&2
            exit 1
            ;;
    esac
}

# step STATUS TEXT COMMAND...: run COMMAND; it must exit with STATUS and print TEXT.
step() {
    want_status="$1"
    want_text="$2"
    shift 2
    show "$(quote "$@")"
    status=0
    output="$("$@" 2>&1)" || status=$?
    judge "$status" "$output" "$want_status" "$want_text"
}

# first_lines N FILE STATUS TEXT COMMAND...: the same, with the first N lines of FILE on stdin.
first_lines() {
    lines="$1"
    file="$2"
    want_status="$3"
    want_text="$4"
    shift 4
    show "head -n $lines $(quote "$file") | $(quote "$@")"
    status=0
    output="$(head -n "$lines" "$file" | "$@" 2>&1)" || status=$?
    judge "$status" "$output" "$want_status" "$want_text"
}

echo "== Check patterns before they reach a metric filter"
step 0 "4 patterns valid" \
    cwquery check '{ $.latency > 1000 && $.level = "ERROR" }' '?ERROR ?WARN' \
    '[ip, user, username, timestamp, request, status_code = 4*, bytes]' '%Task timed out%'
step 1 "hint: join conditions with && (and) or || (or), not AND" \
    cwquery check '{ $.latency > 1000 AND $.level == "ERROR" }'

echo
echo "== Patterns inside infrastructure code (CloudFormation, SAM, Terraform, cdk.out, serverless)"
step 1 "3 errors, 1 warning (4 patterns checked in 1 file)" \
    cwquery check "$examples/infra/broken/main.tf"

echo
echo "== Canonical form, and equality after normalisation"
step 0 '{ $.eventName = "DeleteGroupPolicy" || $.eventName = "PutUserPolicy" }' \
    cwquery fmt '{($.eventName=DeleteGroupPolicy)||($.eventName=PutUserPolicy)}'
step 0 'equal: { $.a = 1 && ($.b = "x" || $.c IS NULL) }' \
    cwquery equal '{ $.a = 1 && ($.b = x || $.c IS NULL) }' '{ ($.c IS NULL || $.b = "x") && $.a = 1 }'

echo
echo "== Test patterns against sample logs (CloudWatch's answers, no AWS account)"
step 0 "145 of 200 messages matched" \
    cwquery test --count '{ $.i > 90 && $.nest.big = "bird" }' "$logs/walkthrough.jsonl"
step 0 "4 of 200 messages matched" \
    cwquery test --count '{ $.iEven IS NULL }' "$logs/walkthrough.jsonl"
step 0 "22 of 301 messages matched; 1 message was not JSON" \
    cwquery test --count '{ $.level = "ERROR" && $.latency > 1000 }' "$logs/app.jsonl"
step 0 "62 of 301 messages matched" \
    cwquery test --count '{ $.error.retryable IS TRUE || $.status >= 500 }' "$logs/app.jsonl"
step 0 "64 of 300 messages matched" \
    cwquery test --count '[ip, id, user, timestamp, request = *.html*, status_code = 4*, bytes]' \
    "$logs/access.log"
step 0 "11 of 251 messages matched" \
    cwquery test --count '?"Task timed out" ?"Invoke Error"' "$logs/lambda.log"
step 0 "7 of 251 messages matched" \
    cwquery test --count '[timestamp = *Z, request_id = "*-*", level = ERROR, message]' \
    "$logs/lambda.log"
step 0 "2 of 251 messages matched" \
    cwquery test '[type = REPORT, label, request_id, duration_label, duration > 2900, ...]' \
    "$logs/lambda.log"
step 0 "50 of 200 messages matched" \
    cwquery test --count '[version, account, eni, source, destination, srcport, destport = 22 || destport = 3389, protocol, packets, bytes, start, end, action = REJECT, status]' \
    "$logs/vpc-flow.log"
step 0 "25 of 150 messages matched" \
    cwquery test --count '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }' \
    "$logs/cloudtrail.jsonl"
step 0 "30 of 150 messages matched" \
    cwquery test --count '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS }' \
    "$logs/cloudtrail.jsonl"

echo
echo "== TestMetricFilter-shaped output with extracted values"
first_lines 2 "$logs/access.log" 0 '"$status_code": "500"' \
    cwquery test --json '[ip, ..., status_code, bytes]'

echo
echo "== Why did (or didn't) it match?"
first_lines 1 "$logs/app.jsonl" 1 '$.latency > 1000: 884 → false' \
    cwquery test --explain '{ $.latency > 1000 && $.user.tier = "pro" }'

echo
echo "tour: every step behaved as shown"
