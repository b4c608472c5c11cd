# The SSH server, dropbear (sourced by /etc/init.d/rcS).
#   -s: no password logins for anyone (-g: nor for root), so only root's authorized_keys let one in.
#   No RSA host key: generating one takes seconds on slow (emulated) CPUs; every current
#   client takes ed25519 or ECDSA.
HOSTKEY_DIR=/etc/dropbear
HOSTKEY_TYPES="ed25519 ecdsa"

# Host keys are made on the machine at the first boot of an instance (never in the image,
# which many machines share); apply_seed removes them when a new instance starts.
ensure_host_keys() {
  mkdir -p "$HOSTKEY_DIR"
  chmod 0700 "$HOSTKEY_DIR"
  for type in $HOSTKEY_TYPES; do
    key=$HOSTKEY_DIR/dropbear_${type}_host_key
    [ -s "$key" ] && continue
    if dropbearkey -t "$type" -f "$key" >/dev/null 2>&1; then
      say "generated the $type host key"
    else
      say "ERROR: dropbearkey -t $type failed"
    fi
  done
}

# True once something listens on TCP port 22 (IPv4 or IPv6).
port22_listening() {
  awk '$2 ~ /:0016$/ && $4 == "0A" { found = 1 } END { exit !found }' /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

start_sshd() {
  set --
  for type in $HOSTKEY_TYPES; do
    key=$HOSTKEY_DIR/dropbear_${type}_host_key
    [ -s "$key" ] && set -- "$@" -r "$key"
  done
  dropbear -s -g -p 22 -P /run/dropbear.pid "$@" || return 1
  tries=50
  while [ $tries -gt 0 ]; do
    port22_listening && return 0
    usleep 100000
    tries=$((tries - 1))
  done
  return 1
}

# The public host keys on the serial console, so the provider can pin them before the
# first connection (the same idea as cloud-init's "BEGIN SSH HOST KEY KEYS" block).
print_host_keys() {
  for type in $HOSTKEY_TYPES; do
    key=$HOSTKEY_DIR/dropbear_${type}_host_key
    [ -s "$key" ] || continue
    dropbearkey -y -f "$key" 2>/dev/null | awk '/^(ssh-|ecdsa-)/ { print "NIMBUS-HOSTKEY " $1 " " $2 }' |
      while read -r line; do serial_line "$line"; done
  done
}
