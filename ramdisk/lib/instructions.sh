# The instructions: GET {api}/deploy/v1/instructions, one key=value a line. Sourced by agent.sh.

# The values the instructions may carry (contract: [A-Za-z0-9._:/=+@-] only).
I_MODE=
I_IMAGE_URL=
I_IMAGE_SHA256=
I_IMAGE_COMPRESSION=
I_IMAGE_SIZE=
I_TARGET_DISK=auto
I_SEED_URL=
I_WIPE=

# fetch_instructions: GET the instructions and set the I_* variables; unknown keys are ignored.
fetch_instructions() {
  local file=$RUN/instructions line key value
  if ! http_get "$NIMBUS_API/deploy/v1/instructions" "$file"; then
    if [ "$HTTP_STATUS" = 403 ]; then
      fail callback "instructions refused with HTTP 403: the deploy token is not valid"
    else
      fail callback "cannot fetch the instructions: $HTTP_ERROR"
    fi
    return 1
  fi
  while IFS= read -r line || [ -n "$line" ]; do
    line=$(printf '%s' "$line" | tr -d '\r')
    case $line in "" | "#"*) continue ;; esac
    key=${line%%=*}
    value=${line#*=}
    [ "$key" != "$line" ] || continue
    case $key in
      mode | image_url | image_sha256 | image_compression | image_size | target_disk | seed_url | wipe) ;;
      *) continue ;; # forward compatibility: keys this agent does not know are ignored
    esac
    case $value in
      *[!A-Za-z0-9._:/=+@-]*)
        fail callback "instructions: the value of $key has characters outside the contract"
        return 1
        ;;
    esac
    case $key in
      mode) I_MODE=$value ;;
      image_url) I_IMAGE_URL=$value ;;
      image_sha256) I_IMAGE_SHA256=$value ;;
      image_compression) I_IMAGE_COMPRESSION=$value ;;
      image_size) I_IMAGE_SIZE=$value ;;
      target_disk) I_TARGET_DISK=${value:-auto} ;;
      seed_url) I_SEED_URL=$value ;;
      wipe) I_WIPE=$value ;;
    esac
  done < "$file"
  I_MODE=${I_MODE:-$NIMBUS_MODE}
  log "instructions: mode=$I_MODE"
}
