# mode=deploy: download the image, verify its sha256 before the disk is touched, write it,
# then write the NoCloud seed into its CIDATA partition. Sourced by agent.sh.

STAGE=/stage
# RAM kept free besides a staged image (the contract's margin).
STAGE_MARGIN=$((64 * 1048576))

do_deploy() {
  local disk_size avail_kb budget
  require_deploy_instructions || return 1
  resolve_target "$I_TARGET_DISK" || return 1
  disk_size=$(disk_bytes "$TARGET")
  if [ "$I_IMAGE_COMPRESSION" = none ] && [ "$I_IMAGE_SIZE" -gt "$disk_size" ]; then
    fail disk_write "image is $I_IMAGE_SIZE bytes but /dev/$TARGET has $disk_size"
    return 1
  fi
  DECOMPRESS=$(decompressor "$I_IMAGE_COMPRESSION")
  avail_kb=$(sed -n 's/^MemAvailable: *\([0-9]*\) kB/\1/p' /proc/meminfo)
  budget=$((avail_kb * 1024 - STAGE_MARGIN))
  if [ "$NIMBUS_STAGE" != never ] && [ "$I_IMAGE_SIZE" -le "$budget" ]; then
    deploy_staged || return 1
  else
    log "download: the image ($(mib "$I_IMAGE_SIZE")) is not staged in RAM (budget $(mib $((budget > 0 ? budget : 0))), stage=$NIMBUS_STAGE): two passes, hash then write"
    deploy_two_pass || return 1
  fi
  seed_cidata "$TARGET" || return 1
  RESULT_DISK=/dev/$TARGET
}

require_deploy_instructions() {
  [ -n "$I_IMAGE_URL" ] || { fail callback "instructions lack image_url"; return 1; }
  [ -n "$I_SEED_URL" ] || { fail callback "instructions lack seed_url"; return 1; }
  case $I_IMAGE_SHA256 in
    *[!0-9a-fA-F]* | "") fail callback "instructions: image_sha256 is not 64 hex digits"; return 1 ;;
  esac
  [ ${#I_IMAGE_SHA256} -eq 64 ] || { fail callback "instructions: image_sha256 is not 64 hex digits"; return 1; }
  I_IMAGE_SHA256=$(echo "$I_IMAGE_SHA256" | tr A-F a-f)
  case $I_IMAGE_SIZE in
    *[!0-9]* | "") fail callback "instructions: image_size is not a byte count"; return 1 ;;
  esac
  I_IMAGE_COMPRESSION=${I_IMAGE_COMPRESSION:-none}
  decompressor "$I_IMAGE_COMPRESSION" >/dev/null || {
    fail callback "instructions: image_compression $I_IMAGE_COMPRESSION is not none gzip or zstd"
    return 1
  }
  log "deploy: image $(mib "$I_IMAGE_SIZE") compression=$I_IMAGE_COMPRESSION target=${I_TARGET_DISK:-auto}"
}

# The image fits in RAM: download it to a tmpfs, check it, then write it.
deploy_staged() {
  local img=$STAGE/image pid rc got sum
  mkdir -p "$STAGE"
  # Sized to the image: a server sending more than image_size fills it and fails the download.
  mount -t tmpfs -o size=$((I_IMAGE_SIZE + 1048576)),mode=0700 tmpfs "$STAGE" || {
    fail download "cannot mount a tmpfs to stage the image"
    return 1
  }
  log "download: staging $(mib "$I_IMAGE_SIZE") in RAM"
  progress download 0 "$I_IMAGE_SIZE" now
  (wget_image "$I_IMAGE_URL" >"$img" 2>"$RUN/download.err") &
  pid=$!
  watch_transfer download "$I_IMAGE_SIZE" "file_size $img" $pid
  wait $pid
  rc=$?
  got=$(file_size "$img")
  if [ -n "$WATCH_STALLED" ]; then
    fail download "image download stalled at $got of $I_IMAGE_SIZE bytes"
    return 1
  fi
  if ! http_outcome $rc "$RUN/download.err"; then
    fail download "image download failed after $got bytes: $HTTP_ERROR"
    return 1
  fi
  if [ "$got" != "$I_IMAGE_SIZE" ]; then
    fail download "the image served is $got bytes but image_size is $I_IMAGE_SIZE"
    return 1
  fi
  progress download "$got" "$I_IMAGE_SIZE" now
  log "download: $got bytes"

  progress verify 0 "$I_IMAGE_SIZE" now
  (exec sha256sum <"$img" >"$RUN/sha256.out") &
  pid=$!
  watch_transfer verify "$I_IMAGE_SIZE" "fd_pos $pid 0" $pid
  wait $pid
  sum=$(cut -d' ' -f1 "$RUN/sha256.out")
  progress verify "$I_IMAGE_SIZE" "$I_IMAGE_SIZE" now
  if [ "$sum" != "$I_IMAGE_SHA256" ]; then
    fail image_checksum "sha256 of the image is $sum but image_sha256 is $I_IMAGE_SHA256: disk not touched"
    return 1
  fi
  log "verify: sha256 matches"

  write_image_file "$img" || return 1
  umount "$STAGE" 2>/dev/null
  return 0
}

# write_image_file FILE: decompresses the verified FILE onto the target disk.
write_image_file() {
  local img=$1 fifo=$RUN/write.fifo ddpid dpid ddrc drc
  rm -f "$fifo"
  mkfifo "$fifo"
  log "write: $I_IMAGE_COMPRESSION image to /dev/$TARGET"
  progress write 0 "$I_IMAGE_SIZE" now
  (exec dd of="/dev/$TARGET" bs=1M iflag=fullblock <"$fifo" 2>"$RUN/dd.err") &
  ddpid=$!
  (exec $DECOMPRESS <"$img" >"$fifo" 2>"$RUN/decompress.err") &
  dpid=$!
  # progress: how far the decompressor has read the image as served
  watch_transfer write "$I_IMAGE_SIZE" "fd_pos $dpid 0" $dpid $ddpid
  wait $dpid
  drc=$?
  wait $ddpid
  ddrc=$?
  rm -f "$fifo"
  [ -z "$WATCH_STALLED" ] || { fail disk_write "writing /dev/$TARGET stalled"; return 1; }
  finish_write "$ddrc" "$drc" || return 1
}

# finish_write DD_STATUS DECOMPRESS_STATUS: checks the write, syncs, re-reads partitions.
finish_write() {
  if [ "$1" -ne 0 ]; then
    fail disk_write "writing /dev/$TARGET failed: $(first_error "$RUN/dd.err")"
    return 1
  fi
  if [ "$2" -ne 0 ]; then
    fail disk_write "$I_IMAGE_COMPRESSION decompression failed: $(first_error "$RUN/decompress.err")"
    return 1
  fi
  reread_partitions "$TARGET"
  progress write "$I_IMAGE_SIZE" "$I_IMAGE_SIZE" now
  log "write: image on /dev/$TARGET, synced; partitions: $(words $(partitions_of "$TARGET"))"
}

# The image does not fit in RAM: a first streaming pass only hashes; the second hashes again
# while writing, and a different second hash means the disk holds something else (disk_write).
deploy_two_pass() {
  local wpid hpid tpid dpid ddpid wrc sum ddrc drc
  rm -f "$RUN"/*.fifo
  mkfifo "$RUN/hash.fifo"
  progress download 0 "$I_IMAGE_SIZE" now
  (exec sha256sum <"$RUN/hash.fifo" >"$RUN/sha256.out") &
  hpid=$!
  (wget_image "$I_IMAGE_URL" >"$RUN/hash.fifo" 2>"$RUN/download.err") &
  wpid=$!
  watch_transfer download "$I_IMAGE_SIZE" "proc_io $hpid rchar" $wpid $hpid
  wait $wpid
  wrc=$?
  wait $hpid
  rm -f "$RUN/hash.fifo"
  if [ -n "$WATCH_STALLED" ]; then
    fail download "image download stalled after $WATCH_DONE of $I_IMAGE_SIZE bytes"
    return 1
  fi
  if ! http_outcome $wrc "$RUN/download.err"; then
    fail download "image download failed: $HTTP_ERROR"
    return 1
  fi
  progress download "$I_IMAGE_SIZE" "$I_IMAGE_SIZE" now
  progress verify 0 "$I_IMAGE_SIZE" now
  sum=$(cut -d' ' -f1 "$RUN/sha256.out")
  progress verify "$I_IMAGE_SIZE" "$I_IMAGE_SIZE" now
  if [ "$sum" != "$I_IMAGE_SHA256" ]; then
    fail image_checksum "sha256 of the image is $sum but image_sha256 is $I_IMAGE_SHA256: disk not touched"
    return 1
  fi
  log "verify: sha256 matches (first pass)"

  mkfifo "$RUN/dl.fifo" "$RUN/hash.fifo" "$RUN/dec.fifo" "$RUN/write.fifo"
  log "write: $I_IMAGE_COMPRESSION image to /dev/$TARGET (second pass)"
  progress write 0 "$I_IMAGE_SIZE" now
  (exec sha256sum <"$RUN/hash.fifo" >"$RUN/sha256.out") &
  hpid=$!
  (exec dd of="/dev/$TARGET" bs=1M iflag=fullblock <"$RUN/write.fifo" 2>"$RUN/dd.err") &
  ddpid=$!
  (exec $DECOMPRESS <"$RUN/dec.fifo" >"$RUN/write.fifo" 2>"$RUN/decompress.err") &
  dpid=$!
  (exec tee "$RUN/hash.fifo" <"$RUN/dl.fifo" >"$RUN/dec.fifo") &
  tpid=$!
  (wget_image "$I_IMAGE_URL" >"$RUN/dl.fifo" 2>"$RUN/download.err") &
  wpid=$!
  watch_transfer write "$I_IMAGE_SIZE" "proc_io $tpid rchar" $wpid $tpid $dpid $ddpid $hpid
  wait $wpid
  wrc=$?
  wait $tpid
  wait $dpid
  drc=$?
  wait $ddpid
  ddrc=$?
  wait $hpid
  rm -f "$RUN"/*.fifo
  [ -z "$WATCH_STALLED" ] || { fail download "image download stalled in the second pass: /dev/$TARGET is partly written"; return 1; }
  if ! http_outcome $wrc "$RUN/download.err"; then
    fail download "image download failed in the second pass ($HTTP_ERROR): /dev/$TARGET is partly written"
    return 1
  fi
  sum=$(cut -d' ' -f1 "$RUN/sha256.out")
  if [ "$sum" != "$I_IMAGE_SHA256" ]; then
    fail disk_write "the image changed between the two passes (second sha256 $sum): /dev/$TARGET holds something else"
    return 1
  fi
  finish_write "$ddrc" "$drc"
}

# seed_cidata DISK: writes meta-data, user-data and network-config (those served; 404 means
# absent) from seed_url into the image's CIDATA partition.
seed_cidata() {
  local disk=$1 part f n=0 got='' absent='' mnt=/mnt/cidata
  progress seed 0 4 now
  part=$(find_cidata "$disk") || {
    fail disk_write "image has no CIDATA partition"
    return 1
  }
  rm -rf "$RUN/seed"
  mkdir -p "$RUN/seed" "$mnt"
  for f in meta-data user-data network-config; do
    if http_get "${I_SEED_URL%/}/$f" "$RUN/seed/$f"; then
      got="$got $f"
    elif [ "$HTTP_STATUS" = 404 ]; then
      absent="$absent $f"
      rm -f "$RUN/seed/$f"
    else
      fail download "seed file $f: $HTTP_ERROR"
      return 1
    fi
    n=$((n + 1))
    progress seed $n 4
  done
  if ! mount -t vfat "/dev/$part" "$mnt" 2>"$RUN/mount.err"; then
    fail disk_write "cannot mount the CIDATA partition /dev/$part: $(first_error "$RUN/mount.err")"
    return 1
  fi
  for f in $got; do
    if ! cp "$RUN/seed/$f" "$mnt/$f" 2>"$RUN/cp.err"; then
      fail disk_write "cannot write $f to /dev/$part: $(first_error "$RUN/cp.err")"
      umount "$mnt" 2>/dev/null
      return 1
    fi
  done
  # the image's CIDATA is meant to be empty; a stale file must not stand in for an absent one
  for f in $absent; do rm -f "$mnt/$f"; done
  sync
  if ! umount "$mnt" 2>"$RUN/umount.err"; then
    fail disk_write "cannot unmount the CIDATA partition /dev/$part: $(first_error "$RUN/umount.err")"
    return 1
  fi
  sync
  progress seed 4 4 now
  log "seed: /dev/$part (CIDATA) has${got:- nothing}${absent:+; not served:$absent}"
}
