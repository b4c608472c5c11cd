# mode=inspect: the hardware inventory as the contract's JSON, posted to /deploy/v1/inventory.
# Sourced by agent.sh.

# A JSON string: quotes, backslashes and control characters are dropped (hardware names
# never need them), the rest is kept as is.
json_str() {
  printf '"%s"' "$(printf '%s' "$1" | tr -d '"\\' | tr -d '\000-\037' | sed -e 's/^ *//' -e 's/ *$//')"
}

read_sys() { cat "$1" 2>/dev/null | head -n1; }

# Installed memory: the online memory blocks (what the firmware gave the OS, holes included);
# MemTotal, which leaves out what the kernel reserved, when the kernel has no memory blocks.
memory_bytes() {
  local block online
  block=$(read_sys /sys/devices/system/memory/block_size_bytes)
  online=$(cat /sys/devices/system/memory/memory*/state 2>/dev/null | grep -c '^online')
  if [ -n "$block" ] && [ "$online" -gt 0 ]; then
    echo $((0x$block * online))
  else
    echo $(($(sed -n 's/^MemTotal: *\([0-9]*\) kB/\1/p' /proc/meminfo) * 1024))
  fi
}

inventory_json() {
  local cpus model sep p n rot speed
  cpus=$(grep -c '^processor' /proc/cpuinfo)
  model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)
  printf '{"cpus":{"count":%d,"model":%s},' "$cpus" "$(json_str "$model")"
  printf '"memoryBytes":%s,' "$(memory_bytes)"
  printf '"disks":['
  sep=
  for p in /sys/block/*; do
    n=${p##*/}
    case $n in loop* | ram* | zram* | dm-* | md* | sr* | fd* | nbd*) continue ;; esac
    [ "$(read_sys "$p/size")" -gt 0 ] 2>/dev/null || continue
    if [ "$(read_sys "$p/queue/rotational")" = 1 ]; then rot=true; else rot=false; fi
    printf '%s{"name":%s,"sizeBytes":%s,"model":%s,"rotational":%s}' "$sep" "$(json_str "$n")" \
      "$(disk_bytes "$n")" "$(json_str "$(read_sys "$p/device/model")")" "$rot"
    sep=,
  done
  printf '],"nics":['
  sep=
  for n in $(nics); do
    # only physical NICs (a device behind them); speed is unknown (-1 or unreadable) when down
    [ -e "/sys/class/net/$n/device" ] || continue
    speed=$(read_sys "/sys/class/net/$n/speed")
    case $speed in "" | -* | *[!0-9]*) speed=null ;; esac
    printf '%s{"name":%s,"mac":%s,"speedMbps":%s}' "$sep" "$(json_str "$n")" \
      "$(json_str "$(read_sys "/sys/class/net/$n/address")")" "$speed"
    sep=,
  done
  printf '],"system":{"vendor":%s,"product":%s,"serial":%s}}\n' \
    "$(json_str "$(read_sys /sys/class/dmi/id/sys_vendor)")" \
    "$(json_str "$(read_sys /sys/class/dmi/id/product_name)")" \
    "$(json_str "$(read_sys /sys/class/dmi/id/product_serial)")"
}

do_inspect() {
  local tries=0 waited=0
  progress inspect 0 2 now
  # give SCSI/NVMe scans a moment (an inventory without disks is still sent)
  while [ -z "$(candidate_disks)" ] && [ $waited -lt 10 ]; do
    sleep 0.5
    waited=$((waited + 1))
  done
  inventory_json > "$RUN/inventory.json"
  log "inspect: $(grep -o '"count":[0-9]*' "$RUN/inventory.json" | head -n1 | cut -d: -f2) CPU, $(mib "$(memory_bytes)"), disks: $(words $(ls /sys/block))"
  progress inspect 1 2
  until http_post_json "$NIMBUS_API/deploy/v1/inventory" "$RUN/inventory.json" /dev/null; do
    tries=$((tries + 1))
    case $HTTP_STATUS in 4??) tries=5 ;; esac
    if [ $tries -ge 5 ]; then
      fail callback "inventory post failed: $HTTP_ERROR"
      return 1
    fi
    sleep $((tries * 2))
  done
  progress inspect 2 2 now
  log "inspect: inventory sent ($(file_size "$RUN/inventory.json") bytes)"
}
