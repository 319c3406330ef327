#!/bin/bash
# Healthy when the Postfix master runs and port 25 answers with a 220 greeting within 5 seconds.
postfix status >/dev/null 2>&1 || exit 1
# shellcheck disable=SC2016 # the inner script expands its own variables
exec timeout 5 bash -c 'exec 3<>/dev/tcp/127.0.0.1/25 && IFS= read -r line <&3 && [[ $line == 220* ]] && printf "QUIT\r\n" >&3'
