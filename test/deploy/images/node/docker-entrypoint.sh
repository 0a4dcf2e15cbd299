#!/bin/sh
# As upstream's: a first argument that is an option or not a command runs under node (`docker run node:20 -e "..."`).
set -e
if [ "${1#-}" != "${1}" ] || [ -z "$(command -v "${1}")" ] || { [ -f "${1}" ] && ! [ -x "${1}" ]; }; then
  set -- node "$@"
fi
exec "$@"
