# DHCP on every NIC (sourced by /etc/init.d/rcS). network-config from the seed is not read.

# Starts busybox udhcpc on each physical NIC at once and waits until each has a lease or
# has given up for now (about 10 s); a NIC without a lease keeps trying in the background.
dhcp_all_nics() {
  for netdev in /sys/class/net/*; do
    nic=${netdev##*/}
    [ -e "$netdev/device" ] || continue
    ip link set "$nic" up
    udhcpc -i "$nic" -b -t 5 -T 2 -A 10 -S -x "hostname:$(hostname)" \
      -s /usr/share/udhcpc/default.script -p "/run/udhcpc.$nic.pid" >/dev/null 2>&1 &
  done
  wait
  for lease in /run/nimbus/ip.*; do
    [ -f "$lease" ] && say "${lease##*/ip.}: $(cat "$lease")"
  done
}
