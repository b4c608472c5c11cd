# HTTP to nimbusd with busybox wget: every request carries the deploy token in the
# Authorization header (never in a URL, never on the console). Sourced by agent.sh.

# Seconds one small request (instructions, progress, result, seed file) may take.
HTTP_TIMEOUT=30
# Seconds a progress post may take: it is best effort and must not hold up the work.
PROGRESS_TIMEOUT=5

# After http_get/http_post: HTTP_STATUS is the status code (200 on success, 000 when no
# response came) and HTTP_ERROR a short description of the failure.
HTTP_STATUS=
HTTP_ERROR=

# Sets HTTP_STATUS/HTTP_ERROR from wget's exit status $1 and its stderr in $2.
http_outcome() {
  if [ "$1" -eq 0 ]; then
    HTTP_STATUS=200
    HTTP_ERROR=
    return 0
  fi
  HTTP_STATUS=$(sed -n 's/.*server returned error: HTTP\/[0-9.]* \([0-9][0-9][0-9]\).*/\1/p' "$2" | head -n1)
  if [ -n "$HTTP_STATUS" ]; then
    HTTP_ERROR="HTTP $HTTP_STATUS"
  else
    HTTP_STATUS=000
    # timeout(1) kills with SIGTERM: 143
    if [ "$1" -eq 143 ]; then HTTP_ERROR="no answer in time"; else HTTP_ERROR=$(first_error "$2"); fi
    [ -n "$HTTP_ERROR" ] || HTTP_ERROR="wget exit status $1"
  fi
  return 1
}

# http_get URL OUTFILE [SECONDS]: GET into OUTFILE ('-' for stdout).
http_get() {
  local rc
  timeout "${3:-$HTTP_TIMEOUT}" wget -q -O "$2" --header "Authorization: Bearer $NIMBUS_TOKEN" "$1" 2>"$RUN/wget.err"
  rc=$?
  http_outcome $rc "$RUN/wget.err"
}

# http_post URL BODY OUTFILE [SECONDS]: POST a form body; the response goes to OUTFILE.
http_post() {
  local rc
  timeout "${4:-$HTTP_TIMEOUT}" wget -q -O "$3" --header "Authorization: Bearer $NIMBUS_TOKEN" \
    --post-data "$2" "$1" 2>"$RUN/wget.err"
  rc=$?
  http_outcome $rc "$RUN/wget.err"
}

# http_post_json URL FILE OUTFILE: POST a JSON document.
http_post_json() {
  local rc
  timeout "$HTTP_TIMEOUT" wget -q -O "$3" --header "Authorization: Bearer $NIMBUS_TOKEN" \
    --header "Content-Type: application/json" --post-file "$2" "$1" 2>"$RUN/wget.err"
  rc=$?
  http_outcome $rc "$RUN/wget.err"
}

# progress PHASE DONE TOTAL [now]: best-effort progress post, at most one every 2 s per phase;
# "now" forces it (the first and last post of a phase).
progress() {
  local phase=$1 count=$2 total=$3 now last
  now=$(uptime_cs)
  eval "last=\${PROGRESS_LAST_$phase:-}"
  if [ "$4" != now ] && [ -n "$last" ] && [ $((now - last)) -lt 200 ]; then
    return 0
  fi
  eval "PROGRESS_LAST_$phase=$now"
  http_post "$NIMBUS_API/deploy/v1/progress" "phase=$phase&done=$count&total=$total" /dev/null "$PROGRESS_TIMEOUT" ||
    log "progress: post for $phase not accepted ($HTTP_ERROR); going on"
  return 0
}

# send_result BODY: posts the result and sets RESULT_ACTION from the answer. Network failures
# and server errors are retried with backoff for about 2 minutes; a 4xx answer is final (a 403
# means the token was refused: asking again cannot help).
RESULT_ACTION=
send_result() {
  local body=$1 delay
  for delay in 0 2 4 8 16 30 30 30; do
    if [ "$delay" -gt 0 ]; then
      log "result: post failed ($HTTP_ERROR); retrying in ${delay} s"
      sleep "$delay"
    fi
    if http_post "$NIMBUS_API/deploy/v1/result" "$body" "$RUN/result.response"; then
      RESULT_ACTION=$(sed -n 's/^action=\([a-z]*\).*/\1/p' "$RUN/result.response" | head -n1)
      return 0
    fi
    case $HTTP_STATUS in
      403) log "result: refused with HTTP 403 (the deploy token is not valid)"; return 1 ;;
      4??) log "result: refused with HTTP $HTTP_STATUS"; return 1 ;;
    esac
  done
  return 1
}
