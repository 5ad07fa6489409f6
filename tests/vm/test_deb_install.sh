#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The Debian package: `dpkg -i` into the guest (its root is an overlay, the
# host's dpkg database is untouched), the files land where they belong, the
# installed /usr/sbin/dmwatch gives the same verdict as the built ./dmwatch, the
# nightly unit's command line mails the report; then, with a real systemd
# running (in a PID namespace of the guest, as in a container), the enabled
# units run sandboxed as shipped (the exporter answers with lvm and dm read);
# and purge removes it all.
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

# A dpkg database of its own: reading the host's (138,000 files over 9p) and
# running its triggers (man-db's index) costs minutes per dpkg run under TCG,
# and this test runs three. Dependencies are the host's packages, so not in it.
A=$W/dpkg
mkdir -p "$A/updates" "$A/info" "$A/triggers"
: > "$A/status"
: > "$A/available"
DPKG=(dpkg --admindir="$A" --force-depends)
log "installing $deb"
on_cleanup "dpkg --admindir=$A --force-depends --purge dmwatch > /dev/null 2>&1 || true"
# (its complaints about the dependencies it does not know go to a file)
"${DPKG[@]}" -i "$deb" > "$W/dpkg.log" 2>&1 || { cat "$W/dpkg.log" >&2; die "dpkg -i failed"; }
[ -x /usr/sbin/dmwatch ] || die "no /usr/sbin/dmwatch after dpkg -i"
for f in /usr/share/man/man8/dmwatch.8.gz /usr/share/bash-completion/completions/dmwatch \
	/lib/systemd/system/dmwatch-scan.service /lib/systemd/system/dmwatch-scan.timer \
	/lib/systemd/system/dmwatch-serve.service /lib/systemd/system/dmwatch-record.service \
	/usr/share/dmwatch/prometheus/dmwatch.rules.yml /usr/share/dmwatch/grafana/dmwatch.json \
	/etc/default/dmwatch /usr/share/doc/dmwatch/copyright; do
	[ -f "$f" ] || die "the package did not install $f"
done
grep -qx /etc/default/dmwatch "$A/info/dmwatch.conffiles" ||
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

# ---- with systemd: the units as shipped ----

# systemd as PID 1 of a PID namespace (container mode, like systemd-nspawn),
# booting into a target that pulls in nothing: only what this test starts runs.
# It talks only to clients in its PID namespace (it must know their pid):
# systemctl, and dpkg whose maintainer scripts call it, run in there (sd).
SD_PID=
SD_INIT=
sd() {
	nsenter -t "$SD_INIT" -p -m -- "$@"
}
find_init() {
	SD_INIT=$(pgrep -P "$SD_PID" | head -n 1)
	[ -n "$SD_INIT" ]
}
start_systemd() {
	mkdir -p /etc/systemd/system
	cat > /etc/systemd/system/dmwatch-vm.target <<-'EOF'
	[Unit]
	Description=dmwatch VM test: nothing but what the test starts
	DefaultDependencies=no
	EOF
	# the units pull in sysinit.target, whose systemd-tmpfiles-setup empties /tmp
	# (where this test and lib.sh keep their state) as at a boot
	ln -sf /dev/null /etc/systemd/system/systemd-tmpfiles-setup.service
	container=dmwatch-vm unshare --pid --fork --mount-proc /lib/systemd/systemd --system \
		--unit=dmwatch-vm.target --log-target=console > "$W/systemd.log" 2>&1 &
	SD_PID=$!
	on_cleanup "stop_systemd"
	wait_until 30 find_init || die "no systemd under unshare"
	# under TCG its start takes close to a minute
	wait_until 240 sd systemctl is-active dmwatch-vm.target ||
		{ tail -n 30 "$W/systemd.log" >&2; die "systemd did not come up"; }
}
stop_systemd() {
	[ -n "$SD_PID" ] || return 0
	sd systemctl exit > /dev/null 2>&1 || :
	wait_until 30 sh -c "! kill -0 $SD_PID" || kill -KILL "$SD_PID" 2> /dev/null
	wait "$SD_PID" 2> /dev/null || :
	SD_PID=
}


# what the exporter answers on its default address
scrape() {
	local line body=
	exec 3<> /dev/tcp/127.0.0.1/9877 || return 1
	printf 'GET /metrics HTTP/1.0\r\n\r\n' >&3
	while IFS= read -r line <&3; do body+=$line$'\n'; done
	exec 3<&-
	printf '%s' "$body"
}

start_systemd
log "systemd $(systemctl --version | head -n 1) runs in a PID namespace"
enabled="dmwatch-record.service dmwatch-serve.service dmwatch-scan.timer"
# shellcheck disable=SC2086
sd systemctl enable $enabled >&2
# shellcheck disable=SC2086
sd systemctl start $enabled ||
	{ sd systemctl status --no-pager $enabled >&2 || :; die "the enabled units do not start"; }
for u in $enabled; do
	wait_until 60 sd systemctl is-active "$u" ||
		{ sd systemctl status --no-pager "$u" >&2 || :; die "$u is not running"; }
done
# the recorder is ready (Type=notify) and the exporter scans inside its sandbox:
# dm and lvm read, the LV with no guest found
serve_up() {
	scrape 2> /dev/null | grep -q '^dmwatch_up 1$'
}
wait_until 30 serve_up || :
metrics=$(scrape) || die "dmwatch-serve does not answer on 127.0.0.1:9877"
assert_match "$metrics" $'\ndmwatch_up 1\n'
assert_match "$metrics" $'\ndmwatch_source_available\\{source="lvm"\\} 1\n'
assert_match "$metrics" $'\ndmwatch_source_available\\{source="dm"\\} 1\n'
assert_match "$metrics" 'dmwatch_device_severity\{name="pve-vm--104--disk--0",class="tombstone",reason="no-guest",vmid="104"\} 1'
log "running sandboxed as shipped: $enabled"
stop_systemd

"${DPKG[@]}" --purge dmwatch > "$W/dpkg.log" 2>&1 || { cat "$W/dpkg.log" >&2; die "purge failed"; }
[ ! -e /usr/sbin/dmwatch ] || die "/usr/sbin/dmwatch left after purge"
[ ! -e /etc/default/dmwatch ] || die "/etc/default/dmwatch left after purge"
log "deb install: all as expected"
