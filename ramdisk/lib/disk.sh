# Disks: choosing the target, re-reading partitions, finding the NoCloud CIDATA partition.
# Sourced by agent.sh.

# Seconds to wait for disks to appear (SCSI/AHCI scans run after their module has loaded).
DISK_WAIT_S=15

# Whole disks that a deploy may target, by name order: vd*, sd*, nvme*n*, xvd*.
candidate_disks() {
  local p n
  for p in /sys/block/*; do
    n=${p##*/}
    case $n in
      nvme*c*n*) continue ;; # hidden per-path node of a multipath namespace
      vd* | sd* | nvme*n* | xvd*) ;;
      *) continue ;;
    esac
    [ "$(cat "$p/removable" 2>/dev/null)" = 1 ] && continue
    [ "$(cat "$p/size" 2>/dev/null || echo 0)" -gt 0 ] || continue
    echo "$n"
  done | sort
}

disk_bytes() { echo $(($(cat "/sys/block/$1/size") * 512)); }

# resolve_target auto|/dev/NAME: sets TARGET (a name like vda) or fails with class no_disk.
TARGET=
resolve_target() {
  local want=${1:-auto} waited=0 name
  name=${want#/dev/}
  while :; do
    if [ "$want" = auto ]; then
      TARGET=$(candidate_disks | head -n1)
    elif [ -e "/sys/block/$name" ]; then
      TARGET=$name
    fi
    [ -n "$TARGET" ] && break
    if [ $waited -ge $((DISK_WAIT_S * 2)) ]; then
      if [ "$want" = auto ]; then
        fail no_disk "no non-removable disk found (looked for vd sd nvme xvd; have: $(words $(ls /sys/block)))"
      else
        fail no_disk "target disk $want not found (have: $(words $(ls /sys/block)))"
      fi
      return 1
    fi
    sleep 0.5
    waited=$((waited + 1))
  done
  log "disk: target /dev/$TARGET ($(mib "$(disk_bytes "$TARGET")"))"
}

# Flushes the disk and makes the kernel read its new partition table.
reread_partitions() {
  local disk=$1 waited=0
  sync
  blockdev --flushbufs "/dev/$disk" 2>/dev/null
  if ! blockdev --rereadpt "/dev/$disk" 2>"$RUN/rereadpt.err"; then
    log "disk: re-reading the partition table of /dev/$disk failed: $(first_error "$RUN/rereadpt.err")"
    partprobe "/dev/$disk" 2>/dev/null
  fi
  # devtmpfs creates the partition nodes; give it a moment
  while [ $waited -lt 10 ] && ! ls -d /sys/block/"$disk"/"$disk"* >/dev/null 2>&1; do
    sleep 0.5
    waited=$((waited + 1))
  done
}

partitions_of() {
  local p
  for p in /sys/block/"$1"/"$1"*; do
    [ -e "$p/partition" ] && echo "${p##*/}"
  done
}

# The FAT volume label in a partition's boot sector (upper case, trailing spaces removed), or
# nothing when it holds no FAT file system. busybox has no blkid; this is what it would read.
fat_label() {
  local dev=$1 bs=$RUN/bootsector type at
  dd if="$dev" of="$bs" bs=512 count=1 2>/dev/null || return 1
  type=$(dd if="$bs" bs=1 skip=82 count=8 2>/dev/null)
  case $type in
    FAT32*) at=71 ;;
    *)
      type=$(dd if="$bs" bs=1 skip=54 count=8 2>/dev/null)
      case $type in FAT*) at=43 ;; *) return 1 ;; esac
      ;;
  esac
  dd if="$bs" bs=1 skip=$at count=11 2>/dev/null | tr -d '\000' | sed 's/ *$//' | tr a-z A-Z
}

# find_cidata DISK: prints the name of DISK's partition labelled CIDATA.
find_cidata() {
  local part dev
  for part in $(partitions_of "$1"); do
    [ "$(fat_label "/dev/$part")" = CIDATA ] && { echo "$part"; return 0; }
  done
  # busybox findfs also reads the label from the root directory entry
  for dev in $(findfs LABEL=CIDATA 2>/dev/null) $(findfs LABEL=cidata 2>/dev/null); do
    case ${dev#/dev/} in "$1"?*) echo "${dev#/dev/}"; return 0 ;; esac
  done
  return 1
}
