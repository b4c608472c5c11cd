# Shared helpers of the deploy agent (busybox ash): console log, failure state, kernel
# command line, background processes. Sourced by agent.sh.

# Scratch files of the agent (the tests of the shell library point it elsewhere).
RUN=${NIMBUS_RUN:-/run/nimbus}
mkdir -p "$RUN"

# Centiseconds since boot (integer): /proc/uptime always has two decimals.
uptime_cs() {
  local up _
  read -r up _ < /proc/uptime
  echo "${up%.*}${up#*.}"
}

# One line on the console (ttyS0), prefixed for the people and tests that read it.
# Never pass the token here.
log() {
  local cs
  cs=$(uptime_cs)
  printf 'NIMBUS-AGENT: [%4d.%02d] %s\n' $((cs / 100)) $((cs % 100)) "$*"
}

# Failure state: a step that fails calls `fail CLASS MESSAGE` and returns 1; the agent then
# reports the first failure recorded. Classes are the contract's:
# image_checksum | disk_write | download | no_disk | callback.
FAIL_CLASS=
FAIL_MESSAGE=
fail() {
  if [ -z "$FAIL_CLASS" ]; then
    FAIL_CLASS=$1
    FAIL_MESSAGE=$(printf '%s' "$2" | clean_message)
  fi
  log "FAILED class=$1: $2"
  return 1
}

# The contract allows [A-Za-z0-9._ :/-] in a message; anything else becomes a space.
clean_message() {
  tr -c 'A-Za-z0-9._ :/-' ' ' | tr -s ' ' | sed -e 's/^ //' -e 's/ $//' | cut -c1-200
}

# A message as a form value: spaces as '+'.
form_message() {
  printf '%s' "$1" | clean_message | tr ' ' '+' | tr -d '\n'
}

# Reads nimbus.api, nimbus.token, nimbus.mode and the test knob nimbus.stage from /proc/cmdline.
NIMBUS_API=
NIMBUS_TOKEN=
NIMBUS_MODE=
NIMBUS_STAGE=auto
read_cmdline() {
  local word
  set -f
  for word in $(cat /proc/cmdline); do
    case $word in
      nimbus.api=*) NIMBUS_API=${word#*=} ;;
      nimbus.token=*) NIMBUS_TOKEN=${word#*=} ;;
      nimbus.mode=*) NIMBUS_MODE=${word#*=} ;;
      # never = always stream twice (hash, then write) instead of staging in RAM
      nimbus.stage=*) NIMBUS_STAGE=${word#*=} ;;
    esac
  done
  set +f
  NIMBUS_API=${NIMBUS_API%/}
}

# True while process $1 exists and is not a zombie.
is_running() {
  local state
  [ -r "/proc/$1/stat" ] || return 1
  state=$(sed -n 's/^.*) \(.\).*/\1/p' "/proc/$1/stat" 2>/dev/null)
  [ -n "$state" ] && [ "$state" != Z ]
}

# Any of the given processes still running?
any_running() {
  local p
  for p in "$@"; do is_running "$p" && return 0; done
  return 1
}

# A counter of a running process from /proc (empty when it has gone):
#   proc_io PID rchar|wchar   bytes the process has read/written
#   fd_pos PID FD             the file offset of one of its descriptors
proc_io() { sed -n "s/^$2: //p" "/proc/$1/io" 2>/dev/null; }
fd_pos() { sed -n 's/^pos:[[:space:]]*//p' "/proc/$1/fdinfo/$2" 2>/dev/null; }
file_size() { stat -c %s "$1" 2>/dev/null || echo 0; }

# First line of a tool's error output, fit for a failure message.
first_error() {
  [ -s "$1" ] && head -n1 "$1" | clean_message
}

# Its arguments (or lines) joined by single spaces.
words() { echo $*; }

# Bytes as MiB with one decimal, for the console.
mib() {
  local tenths=$(($1 * 10 / 1048576))
  echo "$((tenths / 10)).$((tenths % 10)) MiB"
}
