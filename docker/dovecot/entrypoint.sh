#!/bin/bash
# Dovecot container start: TLS certificate, internal-network policy, checks, then dovecot -F.
set -euo pipefail
SERVICE_NAME=dovecot
# shellcheck source=../common/lib.sh
. /usr/local/lib/emailclient/lib.sh

ensure_mail_tls

# The passwd-file with the mailboxes (mounted by docker-compose.yml).
USERS=/etc/dovecot/users
if [ -d "$USERS" ]; then
  die "$USERS is a directory: the users file named by DOVECOT_USERS_FILE does not exist on the host (Docker created an empty folder in its place)"
elif [ ! -f "$USERS" ]; then
  log "no users file at $USERS: starting with no mailboxes"
  : >"$USERS"
elif ! runuser -u dovecot -- test -r "$USERS"; then
  die "$USERS is not readable by the dovecot user inside the container: chmod 644 it on the host"
fi
users=$(grep -cvE '^[[:space:]]*(#|$)' "$USERS" || true)
log "users file $USERS: $users mailbox(es)"

# Plain-text logins (no TLS) are allowed from the internal network only, never from the Docker
# gateway (connections forwarded from published ports may arrive from it).
mkdir -p /etc/dovecot/conf.generated
{
  echo "# Written by entrypoint.sh at container start (MAIL_INTERNAL_NETWORKS=${MAIL_INTERNAL_NETWORKS:-auto})."
  for net in $(internal_networks); do
    printf 'remote %s {\n  disable_plaintext_auth = no\n}\n' "$net"
  done
  for gw in $(docker_gateways); do
    printf 'remote %s {\n  disable_plaintext_auth = yes\n}\n' "$gw"
  done
} >/etc/dovecot/conf.generated/internal-networks.conf
log "plain-text logins without TLS allowed from: $(internal_networks | tr '\n' ' ')(not from gateway $(docker_gateways | tr '\n' ' '))"

# The maildir volume: owned by vmail (uid 5000), created empty by Docker on first start.
mkdir -p /var/vmail
chown vmail:vmail /var/vmail
chmod 770 /var/vmail

# Fail here, with Dovecot's own message, rather than in a restart loop.
doveconf -n >/dev/null

exec "$@"
