# mode=wipe: quick = discard (when the disk can) and zero the first and last 4 MiB;
# full = zero every byte. Sourced by agent.sh.

WIPE_EDGE=$((4 * 1048576))

do_wipe() {
  local size how=${I_WIPE:-quick}
  case $how in
    quick | full) ;;
    *) fail callback "instructions: wipe=$how is not quick or full"; return 1 ;;
  esac
  resolve_target "$I_TARGET_DISK" || return 1
  size=$(disk_bytes "$TARGET")
  RESULT_DISK=/dev/$TARGET
  if [ "$how" = quick ]; then
    progress wipe 0 3 now
    if blkdiscard "/dev/$TARGET" 2>"$RUN/blkdiscard.err"; then
      log "wipe: discarded /dev/$TARGET"
    else
      log "wipe: no discard on /dev/$TARGET ($(first_error "$RUN/blkdiscard.err")); zeroing only"
    fi
    progress wipe 1 3
    if [ "$size" -le $((2 * WIPE_EDGE)) ]; then
      zero_range 0 "$size" || return 1
    else
      zero_range 0 $WIPE_EDGE || return 1
      progress wipe 2 3
      zero_range $((size - WIPE_EDGE)) $WIPE_EDGE || return 1
    fi
    sync
    progress wipe 3 3 now
    log "wipe: zeroed the first and last $(mib $WIPE_EDGE) of /dev/$TARGET"
  else
    progress wipe 0 "$size" now
    zero_range 0 "$size" watch || return 1
    sync
    progress wipe "$size" "$size" now
    log "wipe: zeroed all $(mib "$size") of /dev/$TARGET"
  fi
  blockdev --rereadpt "/dev/$TARGET" 2>/dev/null
  return 0
}

# zero_range OFFSET LENGTH [watch]: writes zeros to the target disk; "watch" posts progress.
zero_range() {
  local offset=$1 length=$2 pid rc
  (exec dd if=/dev/zero of="/dev/$TARGET" bs=1M iflag=count_bytes oflag=seek_bytes \
    seek="$offset" count="$length" conv=fsync 2>"$RUN/dd.err") &
  pid=$!
  if [ "$3" = watch ]; then
    watch_transfer wipe "$length" "proc_io $pid wchar" $pid
  fi
  wait $pid
  rc=$?
  if [ $rc -ne 0 ]; then
    fail disk_write "zeroing /dev/$TARGET at $offset failed: $(first_error "$RUN/dd.err")"
    return 1
  fi
}
