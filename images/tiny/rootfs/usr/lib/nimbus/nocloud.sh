# The NoCloud seed (sourced by /etc/init.d/rcS): a FAT partition labelled CIDATA with
#   meta-data   instance-id, local-hostname, public-keys (YAML, or JSON for the scalars)
#   user-data   #cloud-config with hostname and ssh_authorized_keys
# The seed applies once per instance-id, as cloud-init does: hostname, root's
# authorized_keys (replaced) and new host keys. network-config is not read.
SEED_MNT=/run/nimbus/seed
INSTANCE_FILE=/var/lib/nimbus/instance-id

# The volume label in a FAT boot sector (FAT12/16 at byte 43, FAT32 at byte 71).
fat_label() {
  if [ "$(dd if="$1" bs=1 skip=82 count=5 2>/dev/null)" = FAT32 ]; then
    dd if="$1" bs=1 skip=71 count=11 2>/dev/null
  else
    dd if="$1" bs=1 skip=43 count=11 2>/dev/null
  fi | tr -d '\000' | sed 's/ *$//'
}

# The seed partition: labelled CIDATA (any case), on the disk the root is on if there is
# one there (old disks of the machine may carry seeds of earlier instances).
seed_device() {
  root_sys=$(readlink -f "/sys/dev/block/$(awk '$5 == "/" { print $3; exit }' /proc/self/mountinfo)")
  root_disk=${root_sys%/*}
  for part in "$root_disk"/*/partition; do
    [ -f "$part" ] || continue
    dev=/dev/$(basename "${part%/partition}")
    label=$(fat_label "$dev" | tr a-z A-Z)
    [ "$label" = CIDATA ] && { echo "$dev"; return 0; }
  done
  findfs LABEL=CIDATA 2>/dev/null || findfs LABEL=cidata 2>/dev/null
}

# The value of a top-level "KEY: value" line (YAML) or "KEY": "value" pair (JSON), unquoted.
seed_scalar() {
  [ -f "$1" ] || return 0
  if [ "$(head -c1 "$1")" = '{' ]; then
    tr -d '\r\n' < "$1" | sed -n "s/.*\"$2\"[[:space:]]*:[[:space:]]*\"\([^\"]*\)\".*/\1/p"
  else
    tr -d '\r' < "$1" | sed -n "s/^$2:[[:space:]]*//p" | head -n 1 |
      sed -e 's/[[:space:]]*$//' -e "s/^[\"']\(.*\)[\"']\$/\1/"
  fi
}

# The items of a top-level YAML list "KEY:" followed by "- item" lines, unquoted.
seed_list() {
  [ -f "$1" ] || return 0
  tr -d '\r' < "$1" | awk -v key="$2" -v q="'" '
    $0 ~ "^" key ":[ \t]*$" { inlist = 1; next }
    inlist && /^[ \t]*-[ \t]/ {
      v = $0; sub(/^[ \t]*-[ \t]*/, "", v); sub(/[ \t]+$/, "", v)
      if (v ~ /^".*"$/ || v ~ ("^" q ".*" q "$")) v = substr(v, 2, length(v) - 2)
      print v; next
    }
    inlist && /^[ \t]*(#.*)?$/ { next }
    { inlist = 0 }'
}

# Only lines that are public keys (type, base64, optional comment) reach authorized_keys.
public_keys_only() {
  grep -E '^(ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com) [A-Za-z0-9+/]+={0,3}( [^[:cntrl:]]*)?$'
}

valid_hostname() {
  case $1 in
    ''|-*|*[!A-Za-z0-9.-]*) return 1 ;;
  esac
  [ ${#1} -le 64 ]
}

set_hostname() {
  hostname "$1"
  echo "$1" > /etc/hostname
  grep -v '^127\.0\.1\.1[[:space:]]' /etc/hosts > /etc/hosts.new
  printf '127.0.1.1\t%s\n' "$1" >> /etc/hosts.new
  mv /etc/hosts.new /etc/hosts
}

install_root_keys() {
  mkdir -p /root/.ssh
  chmod 0700 /root /root/.ssh
  printf '%s\n' "$1" > /root/.ssh/authorized_keys.new
  chmod 0600 /root/.ssh/authorized_keys.new
  mv /root/.ssh/authorized_keys.new /root/.ssh/authorized_keys
}

apply_seed() {
  dev=$(seed_device)
  if [ -z "$dev" ]; then
    say "no NoCloud seed: no partition labelled CIDATA"
    return 0
  fi
  mkdir -p "$SEED_MNT"
  if ! mount -t vfat -o ro,nosuid,nodev,noexec "$dev" "$SEED_MNT"; then
    say "ERROR: cannot mount the seed $dev (vfat)"
    return 0
  fi
  meta=$SEED_MNT/meta-data
  user=$SEED_MNT/user-data
  if [ ! -f "$meta" ] && [ ! -f "$user" ]; then
    umount "$SEED_MNT"
    say "the seed $dev is empty"
    return 0
  fi

  instance=$(seed_scalar "$meta" instance-id)
  [ -n "$instance" ] || instance=seed-$(cat "$meta" "$user" 2>/dev/null | sha256sum | cut -c1-16)
  if [ "$instance" = "$(cat "$INSTANCE_FILE" 2>/dev/null)" ]; then
    umount "$SEED_MNT"
    say "seed: instance $instance was set up at an earlier boot"
    return 0
  fi

  # cloud-init's order: user-data's hostname wins over meta-data's local-hostname.
  name=
  if head -n 1 "$user" 2>/dev/null | grep -q '^#cloud-config'; then
    name=$(seed_scalar "$user" hostname)
    keys=$( (seed_list "$user" ssh_authorized_keys; seed_list "$meta" public-keys) | public_keys_only)
  else
    keys=$(seed_list "$meta" public-keys | public_keys_only)
  fi
  [ -n "$name" ] || name=$(seed_scalar "$meta" local-hostname)
  umount "$SEED_MNT"

  if valid_hostname "$name"; then
    set_hostname "$name"
  elif [ -n "$name" ]; then
    say "seed: ignoring the hostname (only letters, digits, '.' and '-', at most 64)"
  fi
  install_root_keys "$keys"
  if [ -n "$keys" ]; then
    say "seed: $(printf '%s\n' "$keys" | wc -l) SSH key(s) for root"
  else
    say "seed: no SSH keys; nobody can log in"
  fi
  rm -f "$HOSTKEY_DIR"/dropbear_*_host_key
  mkdir -p "${INSTANCE_FILE%/*}"
  echo "$instance" > "$INSTANCE_FILE"
  say "seed: instance $instance, hostname $(hostname)"
}
