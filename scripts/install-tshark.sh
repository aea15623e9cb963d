#!/bin/sh
# Install tshark without prompts (Debian/Ubuntu).  Needs root, or sudo.
set -e
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq tshark >/dev/null
tshark --version | head -1
