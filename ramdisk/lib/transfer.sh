# Watching background transfers (download, hash, decompress, dd) and reporting their progress.
# Sourced by agent.sh.

# Seconds a transfer may make no progress before it is stopped.
STALL_S=120

# watch_transfer PHASE TOTAL COUNTER PID...: until every PID has exited, posts PHASE progress
# (at most every 2 s) with the value printed by the shell command COUNTER. When the counter
# has not moved for STALL_S seconds, kills the PIDs and sets WATCH_STALLED=1.
# WATCH_DONE holds the last value read.
WATCH_DONE=0
WATCH_STALLED=
watch_transfer() {
  local phase=$1 total=$2 counter=$3 value still=0 ticks=0
  shift 3
  WATCH_DONE=0
  WATCH_STALLED=
  while any_running "$@"; do
    sleep 0.5
    ticks=$((ticks + 1))
    value=$(eval "$counter")
    if [ -n "$value" ] && [ "$value" != "$WATCH_DONE" ]; then
      WATCH_DONE=$value
      still=0
    else
      still=$((still + 1))
    fi
    progress "$phase" "$WATCH_DONE" "$total"
    # a line on the console every 10 s, for whoever watches a long transfer
    [ $((ticks % 20)) -eq 0 ] && [ "$total" -gt 0 ] &&
      log "$phase: $((WATCH_DONE * 100 / total))% ($(mib "$WATCH_DONE") of $(mib "$total"))"
    if [ $still -ge $((STALL_S * 2)) ]; then
      kill "$@" 2>/dev/null
      WATCH_STALLED=1
      return 1
    fi
  done
  return 0
}

# The command that turns the image as served into disk bytes (stdin to stdout).
decompressor() {
  case $1 in
    none) echo cat ;;
    gzip) echo "gzip -dc" ;;
    zstd) echo "zstd -dcq" ;;
    *) return 1 ;;
  esac
}

# An image GET with the token, body to stdout; run in the background by the callers.
wget_image() {
  exec wget -q -O - --header "Authorization: Bearer $NIMBUS_TOKEN" "$1"
}
