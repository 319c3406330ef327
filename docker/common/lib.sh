# shellcheck shell=bash
# Shared by the dovecot and postfix entrypoints (sourced, bash).

log() { printf '%s [%s] %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "${SERVICE_NAME:-mail}" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

MAIL_TLS_DIR_IN_CONTAINER=/etc/mail-tls

# ensure_mail_tls: make sure $MAIL_TLS_DIR_IN_CONTAINER holds fullchain.pem + privkey.pem.
# When both are there (your own certificate, mounted), they are used as they are. When neither
# is, a self-signed certificate for $MAIL_HOSTNAME is generated once and kept in the volume,
# which dovecot and postfix share; a file lock stops both containers generating at once.
ensure_mail_tls() {
  local dir=$MAIL_TLS_DIR_IN_CONTAINER
  local cert=$dir/fullchain.pem key=$dir/privkey.pem
  if [ -s "$cert" ] && [ -s "$key" ]; then return 0; fi
  mkdir -p "$dir" || die "cannot create $dir"
  exec 9>"$dir/.generate.lock" || die "$dir is not writable and has no fullchain.pem + privkey.pem"
  flock -w 60 9 || die "timed out waiting for the certificate lock in $dir"
  if [ ! -s "$cert" ] && [ ! -s "$key" ]; then
    local host=${MAIL_HOSTNAME:-mail.example.test}
    log "no certificate in $dir: generating a self-signed one for $host (replace it with a real one for production)"
    openssl req -x509 -newkey rsa:2048 -sha256 -nodes -days 825 \
      -subj "/CN=$host" \
      -addext "subjectAltName=DNS:$host,DNS:dovecot,DNS:postfix,DNS:localhost" \
      -keyout "$key.tmp" -out "$cert.tmp" 2>/dev/null || die "openssl could not generate a certificate"
    chmod 600 "$key.tmp"
    chmod 644 "$cert.tmp"
    mv "$key.tmp" "$key"
    mv "$cert.tmp" "$cert"
  elif [ ! -s "$cert" ] || [ ! -s "$key" ]; then
    die "$dir has only one of fullchain.pem and privkey.pem: provide both, or neither to get a self-signed certificate"
  fi
  flock -u 9
  exec 9>&-
}

# internal_networks: the IPv4 networks allowed to log in without TLS (the compose network, where
# the app and the worker are). MAIL_INTERNAL_NETWORKS=auto (default) means every network this
# container is attached to; "none" means no network; anything else is a list of CIDRs.
internal_networks() {
  local spec=${MAIL_INTERNAL_NETWORKS:-auto}
  case "$spec" in
    none | '') ;;
    auto) ip -o -4 route show scope link 2>/dev/null | awk '$1 ~ /\// { print $1 }' ;;
    *) tr -s ', ' '\n' <<<"$spec" | sed '/^$/d' ;;
  esac
}

# docker_gateways: the default gateway of the container. Connections to ports published on the
# host can arrive from this address (Docker's userland proxy, e.g. for IPv6 or localhost
# clients), so it is never treated as internal, whatever the list above says.
docker_gateways() {
  ip -4 route show default 2>/dev/null | awk '{ print $3 }'
}
