# Kernel modules and the network: every NIC with a carrier runs udhcpc, and the first to get a
# lease configures the address and default route (udhcpc.script). Sourced by agent.sh.

NET=/run/nimbus-net
# Seconds to wait for a carrier on any NIC, and for the first DHCP lease.
CARRIER_WAIT_S=10
LEASE_WAIT_S=60

# Loads every module in modules.list; a module whose hardware is absent loads all the same,
# and one that fails is only logged (the machine may not need it).
load_modules() {
  local m loaded=0 failed=
  for m in $(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' /usr/lib/nimbus/modules.list); do
    if modprobe "$m" 2>/dev/null; then loaded=$((loaded + 1)); else failed="$failed $m"; fi
  done
  # e.g. crct10dif_pclmul on a CPU without PCLMULQDQ; its generic twin is in the list
  log "modules: loaded $loaded${failed:+; not loadable here:$failed}"
}

nics() { ls /sys/class/net | grep -v '^lo$'; }

# Brings the network up; NET_IP and NET_IFACE are the winning lease's address and NIC.
NET_IP=
NET_IFACE=
net_up() {
  local all with_carrier i waited=0
  rm -rf "$NET"
  mkdir -p "$NET"
  all=$(nics)
  if [ -z "$all" ]; then
    log "network: no NIC found (driver missing from modules.list?)"
    return 1
  fi
  for i in $all; do ip link set "$i" up 2>/dev/null; done
  # virtio and e1000 report a carrier within a second; a real switch port may take longer.
  while :; do
    with_carrier=
    for i in $all; do
      [ "$(cat "/sys/class/net/$i/carrier" 2>/dev/null)" = 1 ] && with_carrier="$with_carrier $i"
    done
    [ -n "$with_carrier" ] && break
    if [ $waited -ge $((CARRIER_WAIT_S * 2)) ]; then
      log "network: no carrier on $(words $all) after ${CARRIER_WAIT_S} s; trying DHCP on all"
      with_carrier=$all
      break
    fi
    sleep 0.5
    waited=$((waited + 1))
  done
  log "network: DHCP on $(words $with_carrier)"
  for i in $with_carrier; do
    udhcpc -f -i "$i" -s /usr/lib/nimbus/udhcpc.script -t 4 -T 2 -A 3 -V nimbus-ramdisk \
      >"$NET/udhcpc.$i.log" 2>&1 &
    echo "$i $!" >> "$NET/udhcpc.pids"
  done
  waited=0
  while [ ! -s "$NET/ip" ]; do
    if [ $waited -ge $((LEASE_WAIT_S * 2)) ]; then
      log "network: no DHCP lease in ${LEASE_WAIT_S} s"
      while read -r i pid; do kill "$pid" 2>/dev/null; done < "$NET/udhcpc.pids"
      return 1
    fi
    sleep 0.5
    waited=$((waited + 1))
  done
  NET_IP=$(cat "$NET/ip")
  NET_IFACE=$(cat "$NET/winner")
  # The winner's udhcpc stays to renew the lease; the others stop.
  while read -r i pid; do
    [ "$i" = "$NET_IFACE" ] || kill "$pid" 2>/dev/null
  done < "$NET/udhcpc.pids"
  log "network: $NET_IP on $NET_IFACE ($(cat "/sys/class/net/$NET_IFACE/address"))$(cat "$NET/router" 2>/dev/null | sed 's/^/ via /')"
  return 0
}
