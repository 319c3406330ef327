#!/bin/bash
# Postfix container start: TLS certificate, settings from the environment, then postfix start-fg.
set -euo pipefail
SERVICE_NAME=postfix
# shellcheck source=../common/lib.sh
. /usr/local/lib/emailclient/lib.sh

ensure_mail_tls

MAIL_HOSTNAME=${MAIL_HOSTNAME:-mail.example.test}
MAIL_DOMAINS=${MAIL_DOMAINS:-example.test}
DOVECOT_HOST=${DOVECOT_HOST:-dovecot}
DOVECOT_LMTP_PORT=${DOVECOT_LMTP_PORT:-24}
DOVECOT_AUTH_PORT=${DOVECOT_AUTH_PORT:-12345}
POSTFIX_RELAYHOST=${POSTFIX_RELAYHOST:-}
POSTFIX_RELAYHOST_USERNAME=${POSTFIX_RELAYHOST_USERNAME:-}
POSTFIX_RELAYHOST_PASSWORD=${POSTFIX_RELAYHOST_PASSWORD:-}

# mynetworks: loopback and the internal network, with the Docker gateway excluded first
# (Postfix uses the first match, and "!address" excludes).
nets="127.0.0.0/8"
for gw in $(docker_gateways); do nets="!$gw $nets"; done
for net in $(internal_networks); do nets="$nets $net"; done

postconf -e \
  "myhostname=$MAIL_HOSTNAME" \
  "virtual_mailbox_domains=$(echo "$MAIL_DOMAINS" | tr ',' ' ')" \
  "virtual_transport=lmtp:inet:$DOVECOT_HOST:$DOVECOT_LMTP_PORT" \
  "smtpd_sasl_path=inet:$DOVECOT_HOST:$DOVECOT_AUTH_PORT" \
  "mynetworks=$nets" \
  "relayhost=$POSTFIX_RELAYHOST"

# Optional login at the relay host (e.g. an email provider's smarthost on port 587).
if [ -n "$POSTFIX_RELAYHOST_USERNAME" ]; then
  [ -n "$POSTFIX_RELAYHOST" ] || die "POSTFIX_RELAYHOST_USERNAME is set but POSTFIX_RELAYHOST is not"
  umask 077
  printf '%s %s:%s\n' "$POSTFIX_RELAYHOST" "$POSTFIX_RELAYHOST_USERNAME" "$POSTFIX_RELAYHOST_PASSWORD" >/etc/postfix/sasl_passwd
  umask 022
  postconf -e \
    "smtp_sasl_auth_enable=yes" \
    "smtp_sasl_password_maps=texthash:/etc/postfix/sasl_passwd" \
    "smtp_tls_security_level=encrypt"
else
  rm -f /etc/postfix/sasl_passwd
  postconf -e "smtp_sasl_auth_enable=no" "smtp_sasl_password_maps=" "smtp_tls_security_level=may"
fi

log "hostname $MAIL_HOSTNAME; domains $MAIL_DOMAINS; delivering to lmtp:$DOVECOT_HOST:$DOVECOT_LMTP_PORT; relayhost ${POSTFIX_RELAYHOST:-none (direct MX delivery)}; mynetworks $nets"

# The spool volume: on first start Docker fills it from the image; later images may have other
# postfix/postdrop ids than the ones it was written with, so reset its ownership every start.
/usr/local/bin/postfix-fix-permissions
# `postfix check` prints nothing without a terminal; script(1) gives it one.
if ! script -qec "postfix check" /dev/null; then
  die "postfix check failed (see the messages above)"
fi

exec "$@"
