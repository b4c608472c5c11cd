# Messages of the boot scripts (sourced by /etc/init.d/rcS). Their stdout is /dev/console.

say() { echo "nimbus: $*"; }

# The console device /dev/console writes to: the one /proc/consoles flags with C.
preferred_console() {
  awk 'match($0, /\([^)]*\)/) && substr($0, RSTART, RLENGTH) ~ /C/ { print $1; exit }' /proc/consoles 2>/dev/null
}

# A line the provider reads from the serial port (ttyS0), whatever the console is.
serial_line() {
  echo "$1"
  if [ "$(preferred_console)" != ttyS0 ] && [ -c /dev/ttyS0 ]; then
    echo "$1" 2>/dev/null > /dev/ttyS0
  fi
}
