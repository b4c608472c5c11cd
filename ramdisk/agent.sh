#!/bin/sh
# The Nimbus deploy agent (busybox ash), run by /init. It follows the deploy contract with
# nimbusd: network up, fetch the instructions, deploy | wipe | inspect, post progress and the
# result, then do the action the result's answer names (reboot | poweroff | wait).
# Every phase prints a "NIMBUS-AGENT:" line on the console; the token is never printed.
LIB=/usr/lib/nimbus/lib
. $LIB/common.sh
. $LIB/http.sh
. $LIB/instructions.sh
. $LIB/net.sh
. $LIB/disk.sh
. $LIB/transfer.sh
. $LIB/deploy.sh
. $LIB/wipe.sh
. $LIB/inspect.sh

RESULT_DISK=

# Posts the result and carries out the action that nimbusd answers; never returns.
finish() {
  local body
  if [ -z "$FAIL_CLASS" ]; then
    body="status=ok&ip=$NET_IP"
    [ -n "$RESULT_DISK" ] && body="$body&disk=$RESULT_DISK"
    log "result: status=ok${RESULT_DISK:+ disk=$RESULT_DISK}"
  else
    body="status=failed&class=$FAIL_CLASS&message=$(form_message "$FAIL_MESSAGE")"
    log "result: status=failed class=$FAIL_CLASS message=$FAIL_MESSAGE"
  fi
  if [ -z "$NET_IP" ] || ! send_result "$body"; then
    log "result: could not be delivered (class=callback); powering off"
    final_action poweroff
  fi
  final_action "$RESULT_ACTION"
}

final_action() {
  sync
  case $1 in
    reboot)
      log "action: reboot"
      reboot -f
      ;;
    poweroff)
      log "action: poweroff"
      poweroff -f
      ;;
    *)
      # wait, or an answer without an action: nimbusd resets the machine through its BMC
      log "action: wait${1:+ ($1)}; idle until nimbusd resets this machine"
      ;;
  esac
  while :; do sleep 3600; done
}

main() {
  read_cmdline
  log "start: ramdisk $(sed -n 's/^kernel=//p' /etc/nimbus-ramdisk-release), kernel $(uname -r), mode=${NIMBUS_MODE:-unset}, api=${NIMBUS_API:-unset}"
  if [ -z "$NIMBUS_API" ] || [ -z "$NIMBUS_TOKEN" ]; then
    fail callback "the kernel command line lacks nimbus.api or nimbus.token"
    finish
  fi
  load_modules
  if ! net_up; then
    fail callback "no DHCP lease on any NIC"
    finish
  fi
  progress boot 1 1 now
  fetch_instructions || finish
  case $I_MODE in
    deploy) do_deploy ;;
    wipe) do_wipe ;;
    inspect) do_inspect ;;
    *) fail callback "unknown mode ${I_MODE:-none} (deploy inspect wipe)" ;;
  esac
  finish
}

main
