#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The Debian package: `dpkg -i` into the guest (its root is an overlay, the
# host's dpkg database is untouched), the files land where they belong, the
# installed /usr/sbin/dmwatch gives the same verdict as the built ./dmwatch, the
# nightly unit's command line mails the report, and purge removes it all.
#
# The .deb is built on the host by `make deb` (packaging under TCG takes longer
# than a scenario may): the newest .output/deb/dmwatch_*_amd64.deb, or
# $DMWATCH_DEB.  A missing one, or one older than ./dmwatch, is a SKIP that
# says so, never a silent pass.
. "$(dirname "$0")/lib.sh"

deb=${DMWATCH_DEB:-}
if [ -z "$deb" ]; then
	for f in "$REPO"/.output/deb/dmwatch_*_amd64.deb; do
		if [ -f "$f" ] && { [ -z "$deb" ] || [ "$f" -nt "$deb" ]; }; then
			deb=$f
		fi
	done
	[ -n "$deb" ] || skip "no .deb: run 'make deb' on the host before the VM tests"
	[ "$deb" -nt "$REPO/dmwatch" ] ||
		skip "$deb is older than ./dmwatch: run 'make deb' on the host again"
fi
[ -f "$deb" ] || die "no such package $deb"

W=$(mktemp -d /tmp/deb.XXXXXX)
on_cleanup "rm -rf $W"
HOST=$(hostname)
HOST=${HOST%%.*}

# a node with one finding: an LV no guest owns
pv=$(mkloop 64)
mkvg pve "$pv"
lvcreate -qq -L 8M -n vm-104-disk-0 pve
pve_init "$HOST"
cat > /etc/pve/storage.cfg <<'EOF'
lvm: local-lvm
	vgname pve
	content images
EOF

rc=0
built=$("$DMWATCH" scan --brief) || rc=$?
log "built: $built"
assert_eq 1 "$rc" "exit code of the built dmwatch"

log "installing $deb"
on_cleanup "dpkg --purge dmwatch > /dev/null 2>&1 || true"
dpkg -i "$deb" >&2
[ -x /usr/sbin/dmwatch ] || die "no /usr/sbin/dmwatch after dpkg -i"
for f in /usr/share/man/man8/dmwatch.8.gz /usr/share/bash-completion/completions/dmwatch \
	/lib/systemd/system/dmwatch-scan.service /lib/systemd/system/dmwatch-scan.timer \
	/etc/default/dmwatch /usr/share/doc/dmwatch/copyright; do
	[ -f "$f" ] || die "the package did not install $f"
done
grep -qx /etc/default/dmwatch /var/lib/dpkg/info/dmwatch.conffiles ||
	die "/etc/default/dmwatch is not a conffile"
assert_match "$(/usr/sbin/dmwatch --version)" '^dmwatch [0-9]'
if command -v man > /dev/null; then
	man -l /usr/share/man/man8/dmwatch.8.gz 2> /dev/null | grep -q 'dmwatch scan' ||
		die "the installed man page does not render"
fi
# bash completion loads and completes a command
bash -c '. /usr/share/bash-completion/completions/dmwatch 2>/dev/null; complete -p dmwatch' \
	> /dev/null || die "the bash completion does not register"

rc=0
line=$(/usr/sbin/dmwatch scan --brief) || rc=$?
log "installed: $line"
assert_eq 1 "$rc" "exit code of the installed dmwatch"
assert_eq "$built" "$line" "installed and built dmwatch agree"

# The nightly unit's command line, as systemd would run it (no systemd in here),
# with a fake sendmail.
cat > "$W/sendmail" <<EOF
#!/bin/sh
cat > "$W/mail.eml"
EOF
chmod +x "$W/sendmail"
exec_start=$(sed -n 's/^ExecStart=//p' /lib/systemd/system/dmwatch-scan.service)
assert_match "$exec_start" '^/usr/sbin/dmwatch scan '
set -a
# shellcheck disable=SC1091
. /etc/default/dmwatch
set +a
# shellcheck disable=SC2016 # the unit's text, not ours to expand
cmdline=${exec_start//'${DMWATCH_MAIL_TO}'/$DMWATCH_MAIL_TO}
# shellcheck disable=SC2016
cmdline=${cmdline//'$DMWATCH_SCAN_OPTS'/$DMWATCH_SCAN_OPTS}
log "the unit runs: $cmdline"
rc=0
# shellcheck disable=SC2086
SENDMAIL=$W/sendmail $cmdline > /dev/null || rc=$?
grep -q '^SuccessExitStatus=1 2$' /lib/systemd/system/dmwatch-scan.service ||
	die "exit 1 and 2 would fail the unit"
assert_eq 1 "$rc" "exit code of the unit's command"
assert_contains "$W/mail.eml" '^To: root$'
assert_contains "$W/mail.eml" "^Subject: \[dmwatch\] $HOST: grade B, 0 critical, 1 warning$"
if command -v systemd-analyze > /dev/null; then
	systemd-analyze verify /lib/systemd/system/dmwatch-scan.service \
		/lib/systemd/system/dmwatch-scan.timer > "$W/verify" 2>&1 || true
	# no systemd runs here: only complaints about lines of the unit files count
	if grep -Eq '\.(service|timer):[0-9]+:' "$W/verify"; then
		cat "$W/verify" >&2
		die "systemd-analyze verify complains about the units"
	fi
fi

dpkg --purge dmwatch >&2
[ ! -e /usr/sbin/dmwatch ] || die "/usr/sbin/dmwatch left after purge"
[ ! -e /etc/default/dmwatch ] || die "/etc/default/dmwatch left after purge"
log "deb install: all as expected"
