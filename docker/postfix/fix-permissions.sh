#!/bin/bash
# Sets owner, group and mode of the Postfix queue and data directories as Postfix's own
# postfix-files list says (what `postfix set-permissions` does for them). The queue lives in a
# volume that may have been written by an image whose postfix/postdrop ids differ.
# `postfix set-permissions` itself is not used: it also walks the manual pages, which the slim
# image does not install, and stops with an error there.
# Usage: fix-permissions.sh [postfix-config-dir]
set -euo pipefail
conf=${1:-/etc/postfix}
pc() { postconf -c "$conf" -h "$1"; }
queue=$(pc queue_directory)
data=$(pc data_directory)
owner=$(pc mail_owner)
sgid=$(pc setgid_group)
meta=$(pc meta_directory)

# shellcheck disable=SC2016 # literal $ in postfix-files
grep -E '^\$(queue|data)_directory(:|/)' "$meta/postfix-files" |
  while IFS=: read -r path type own grp mode flags _; do
    path=${path/\$queue_directory/$queue}
    path=${path/\$data_directory/$data}
    own=${own/\$mail_owner/$owner}
    grp=${grp/\$setgid_group/$sgid}
    [ "$grp" = "-" ] && grp=
    case $type in
      d) mkdir -p "$path" ;;
      f) [ -e "$path" ] || continue ;;
      *) continue ;;
    esac
    rec=
    [[ ${flags:-} == *r* ]] && rec=-R
    chown $rec "$own" "$path"
    [ -z "$grp" ] || chgrp $rec "$grp" "$path"
    # like post-install: never chmod -R files (queue file state is kept in their mode bits)
    if [ "$type" = d ] && [ -n "$rec" ]; then
      find "$path" -type d -exec chmod "$mode" {} +
    else
      chmod "$mode" "$path"
    fi
  done
