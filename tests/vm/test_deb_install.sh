#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The Debian package: `dpkg -i` into the guest (its root is an overlay, the
# host's dpkg database is untouched), the files land where they belong, the
# installed /usr/sbin/dmwatch gives the same verdict as the built ./dmwatch, the
# nightly unit's command line mails the report; then, with a real systemd
# running (in a PID namespace of the guest, as in a container), the enabled
# units run sandboxed as shipped (the exporter answers with lvm and dm read), an
# upgrade to a newer build restarts every enabled unit on the new binary and
# leaves it running (issue 13: an upgrade used to stop them for good), and purge
# removes it all.
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
# every variable an installed unit reads from it is set (and so documented) there
unit_vars=$(grep -ho '\$[{]\?DMWATCH_[A-Z_]*' /lib/systemd/system/dmwatch-*.service | grep -o 'DMWATCH_[A-Z_]*' | sort -u)
[ -n "$unit_vars" ] || die "no DMWATCH_ variable found in the units"
for v in $unit_vars; do
	grep -q "^$v=" /etc/default/dmwatch || die "/etc/default/dmwatch does not set $v, which a unit reads"
done
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
	# (where this test and lib.sh keep their state and the dpkg database) as at a
	# boot; its timer-driven twin would do the same later
	ln -sf /dev/null /etc/systemd/system/systemd-tmpfiles-setup.service
	ln -sf /dev/null /etc/systemd/system/systemd-tmpfiles-clean.timer
	# Not a job of this shell: unshare ignores SIGTERM, so lib.sh's cleanup, which
	# kills and waits for the jobs before it runs on_cleanup, would wait forever
	# after a failure. --kill-child: systemd goes when unshare is killed.
	(
		container=dmwatch-vm exec unshare --pid --fork --kill-child --mount-proc \
			/lib/systemd/systemd --system --unit=dmwatch-vm.target \
			--log-target=console > "$W/systemd.log" 2>&1 &
		echo $! > "$W/systemd.pid"
	)
	SD_PID=$(< "$W/systemd.pid")
	on_cleanup "stop_systemd"
	wait_until 30 find_init || die "no systemd under unshare"
	# under TCG its start takes close to a minute
	wait_until 240 sd systemctl is-active dmwatch-vm.target ||
		{ tail -n 30 "$W/systemd.log" >&2; die "systemd did not come up"; }
}
# unshare has exited (a zombie counts: PID 1 of the guest, not this shell, reaps it)
systemd_gone() {
	! grep -qs '^State:[[:space:]]*[^Z]' "/proc/$SD_PID/status"
}
stop_systemd() {
	[ -n "$SD_PID" ] || return 0
	sd systemctl exit > /dev/null 2>&1 || :
	wait_until 30 systemd_gone || kill -KILL "$SD_PID" 2> /dev/null || :
	SD_PID=
}

# main pid of a service; for a timer, when it last became active (a timer has
# no process: a restart shows as a new activation time)
unit_instance() {
	case $1 in
	*.service) sd systemctl show -p MainPID --value "$1" ;;
	*) sd systemctl show -p ActiveEnterTimestampMonotonic --value "$1" ;;
	esac
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
# A container host's policy-rc.d (Docker's answers 101 to everything) makes
# deb-systemd-invoke skip every start and restart; a real node has none. One
# that allows all is bound over it in systemd's mount namespace only (a private
# one, gone with it), where the upgrade's dpkg runs: the file itself, the
# host's over 9p, is never touched.
if [ -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 0\n' > "$W/policy-rc.d"
	chmod 0755 "$W/policy-rc.d"
	sd mount --bind "$W/policy-rc.d" /usr/sbin/policy-rc.d
	sd /usr/sbin/policy-rc.d dmwatch-record.service restart ||
		die "policy-rc.d still denies in systemd's namespace"
fi
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
declare -A before
for u in $enabled; do
	before[$u]=$(unit_instance "$u")
	log "before the upgrade: $u active, ${before[$u]}"
done

# a newer build: the same package with a higher version, so dpkg runs the
# upgrade path of the maintainer scripts (prerm upgrade NEW, postinst
# configure OLD), and a binary that differs from the running one
mkdir -p "$W/new/DEBIAN"
dpkg-deb -x "$deb" "$W/new"
dpkg-deb -e "$deb" "$W/new/DEBIAN"
old_version=$(sed -n 's/^Version: //p' "$W/new/DEBIAN/control")
new_version=$old_version+upgrade1
sed -i "s/^Version: .*/Version: $new_version/" "$W/new/DEBIAN/control"
dpkg-deb -b "$W/new" "$W/new.deb" > /dev/null
log "upgrading $old_version -> $new_version"
# dpkg in systemd's namespaces, as on a node: its maintainer scripts talk to it
sd "${DPKG[@]}" -i "$W/new.deb" > "$W/dpkg.log" 2>&1 ||
	{ cat "$W/dpkg.log" >&2; die "the upgrade failed"; }
assert_eq "$new_version" "$(dpkg-query --admindir="$A" -W -f='${Version}' dmwatch)" \
	"installed version"
grep -qxF "Unpacking dmwatch ($new_version) over ($old_version) ..." "$W/dpkg.log" ||
	{ cat "$W/dpkg.log" >&2; die "dpkg did not upgrade the installed $old_version"; }
for u in $enabled; do
	wait_until 60 sd systemctl is-active "$u" ||
		{ sd systemctl status --no-pager "$u" >&2 || :; die "$u is not running after the upgrade"; }
	now=$(unit_instance "$u")
	# restarted, not left as it was (a service on the old binary)
	if [ "$now" = "${before[$u]}" ]; then
		cat "$W/dpkg.log" >&2
		sd systemctl is-enabled "$u" >&2 || :
		die "$u was not restarted by the upgrade (still $now)"
	fi
	case $u in
	*.service)
		[ "$now" -gt 0 ] || die "$u has no main process after the upgrade"
		# the old process's binary was replaced by dpkg: it would read
		# "/usr/sbin/dmwatch (deleted)"
		exe=$(sd readlink "/proc/$now/exe")
		assert_eq /usr/sbin/dmwatch "$exe" "$u's binary after the upgrade"
		;;
	esac
	log "after the upgrade: $u active, $now (was ${before[$u]})"
done
# the static nightly service is not run because of an upgrade: no mail
assert_eq inactive "$(sd systemctl is-active dmwatch-scan.service || :)" \
	"dmwatch-scan.service after the upgrade"
wait_until 30 serve_up || :
metrics=$(scrape) || die "dmwatch-serve does not answer after the upgrade"
assert_match "$metrics" $'\ndmwatch_up 1\n'
log "after the upgrade every enabled unit runs again: $enabled"
stop_systemd

"${DPKG[@]}" --purge dmwatch > "$W/dpkg.log" 2>&1 || { cat "$W/dpkg.log" >&2; die "purge failed"; }
[ ! -e /usr/sbin/dmwatch ] || die "/usr/sbin/dmwatch left after purge"
[ ! -e /etc/default/dmwatch ] || die "/etc/default/dmwatch left after purge"
log "deb install: all as expected"
