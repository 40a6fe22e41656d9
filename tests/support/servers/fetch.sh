#!/usr/bin/env bash
# Cyrus IMAP and Courier IMAP for the backend tests, next to the installed Dovecot.
#
# The Debian packages cyrus-imapd, courier-imap and dovecot-imapd conflict with each other
# (installing one removes the others), so the first two are never installed: their .deb files
# are downloaded and unpacked into a private tree (outside the repository), and only the
# non-conflicting runtime libraries they link against are installed. The fixtures in
# tests/support/servers/cyrus.py and courier.py run the servers from that tree.
#
#   SMIMETUI_TEST_SERVERS  where the tree goes (default /var/cache/smimetui-test-servers)
#
# Needs root for apt-get (CI is root); run again, it only checks that the tree is there.
set -euo pipefail

dest="${SMIMETUI_TEST_SERVERS:-/var/cache/smimetui-test-servers}"
# Unpacked, never installed (they conflict with dovecot-imapd or would start services).
unpacked=(cyrus-imapd cyrus-common sasl2-bin
          courier-imap courier-base courier-authlib courier-authdaemon courier-authlib-pipe)
# The libraries those packages depend on (their Depends: lib* fields; ldd agrees for the programs
# the fixtures run), less libclamav12 and libzephyr4 (cyr_virusscan and notifyd only): plain
# libraries, no conflicts.  Most are there already on a machine with Dovecot.
libraries=(libc6 libcom-err2 libcourier-unicode4 libcrypt1 libdb5.3 libgamin0 libgcc-s1 libgdbm6
           libgnutls30 libical3 libicu72 libidn12 libjansson4 libkrb5-3 libldap-2.5-0 libltdl7
           libpam0g libpcre3 libpq5 libsasl2-2 libsasl2-modules libsasl2-modules-db libsqlite3-0
           libssl3 libstdc++6 libwrap0 libxapian30 libxml2)
stamp="$dest/.complete"
want="${unpacked[*]}"

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "tests/support/servers/fetch.sh: needs root (apt-get); Cyrus and Courier tests will skip" >&2
  exit 0
fi

missing=()
for lib in "${libraries[@]}"; do
  dpkg-query -W -f='${Status}' "$lib" 2>/dev/null | grep -q "ok installed" || missing+=("$lib")
done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

rm -rf "$dest.part"
mkdir -p "$dest.part/debs"
( cd "$dest.part/debs" && apt-get download -q "${unpacked[@]}" 2>/dev/null ) || {
  apt-get update -q
  ( cd "$dest.part/debs" && apt-get download -q "${unpacked[@]}" )
}
for deb in "$dest.part"/debs/*.deb; do
  dpkg-deb -x "$deb" "$dest.part/root"
done
rm -rf "$dest.part/debs"
echo "$want" > "$dest.part/.complete"
rm -rf "$dest"
mv "$dest.part" "$dest"
echo "Cyrus and Courier IMAP unpacked in $dest"
