#!/usr/bin/env bash
# Everything the tests need on a fresh Debian machine, then the whole suite.
# Servers (Dovecot, Cyrus, Courier, slapd, aiosmtpd) are started and stopped by the test fixtures
# themselves.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
[ -x /usr/sbin/dovecot ] || missing+=(dovecot-imapd)
[ -x /usr/lib/dovecot/lmtp ] || missing+=(dovecot-lmtpd)  # delivery that stamps Received
[ -x /usr/sbin/slapd ] || missing+=(slapd ldap-utils)
command -v certutil >/dev/null || missing+=(libnss3-tools)  # certutil, pk12util: Thunderbird import
[ -x /usr/libexec/neomutt/smime_keys ] || missing+=(neomutt)  # smime_keys: NeoMutt import
command -v gpgsm >/dev/null || missing+=(gpgsm)
command -v openssl >/dev/null || missing+=(openssl)
command -v tmux >/dev/null || missing+=(tmux)
# PKCS#11 tokens (tests/core/pki/tokens): SoftHSM2 is the module, OpenSC's pkcs11-tool loads
# keys into it.
[ -e /usr/lib/softhsm/libsofthsm2.so ] || missing+=(softhsm2)
command -v pkcs11-tool >/dev/null || missing+=(opensc)
# Interop peers (tests/interop): NSS's cmsutil (Thunderbird's engine) and Bouncy Castle's mail
# API with JavaMail, run by a JDK (javac compiles the test helper).
command -v cmsutil >/dev/null || missing+=(libnss3-tools)
command -v javac >/dev/null || missing+=(default-jdk-headless)
[ -e /usr/share/java/bcmail.jar ] || missing+=(libbcmail-java libbcpkix-java libbcprov-java)
[ -e /usr/share/java/javax.mail.jar ] || missing+=(libmail-java)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  else
    echo "tests/run.sh: please install: ${missing[*]} (needs root)" >&2
    exit 2
  fi
fi

# Cyrus and Courier IMAP conflict with dovecot-imapd as packages: unpacked, not installed.
bash tests/support/servers/fetch.sh

python3 -m pip install -q --disable-pip-version-check -e '.[test]'
python3 -m ruff check core cli tui themes tests bench
python3 -m ruff format --check core cli tui themes tests bench
python3 tests/typecheck.py  # mypy --strict on smimetui.core, smimetui.cli and smimetui.tui
lint-imports  # the layers ([tool.importlinter] in pyproject.toml)
# The built wheel in a fresh virtualenv, started headless and in a pseudo-terminal; the tests
# that read the real terminal then run that installed command, not the editable install.
SMIMETUI_COMMAND="$(bash tests/wheel_check.sh | tail -n 1)"
export SMIMETUI_COMMAND
python3 -m pytest "$@"
