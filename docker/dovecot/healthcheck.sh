#!/bin/bash
# Healthy when Dovecot answers the IMAP greeting on port 143 within 5 seconds.
# shellcheck disable=SC2016 # the inner script expands its own variables
exec timeout 5 bash -c 'exec 3<>/dev/tcp/127.0.0.1/143 && IFS= read -r line <&3 && [[ $line == "* OK"* ]]'
