#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scan's report outputs against real LVM: --brief for each status with its exit
# code, --prom as an atomic textfile (a reader never sees half a file), --html
# with hostile names escaped, --mail-to as MIME through a fake sendmail (parsed
# by Python's email package), `dmwatch serve` scraped live on loopback (404,
# concurrent clients, --min-interval, SIGTERM, bad --listen), and the man page
# documents every command and option.  The .deb: test_deb_install.sh.
. "$(dirname "$0")/lib.sh"

W=$(mktemp -d /tmp/outputs.XXXXXX)
on_cleanup "rm -rf $W"
# A private copy: the host may relink ./dmwatch while this scenario runs.
BUILT=$DMWATCH
cp "$BUILT" "$W/dmwatch"
DMWATCH=$W/dmwatch
HOST=$(hostname)
HOST=${HOST%%.*}

# brief: the --brief line of a live scan; its exit code in BRIEF_RC
# the perfdata after the counts: every snapshot and pool with the thresholds
PERF="( '[^']+'=[0-9.]+%;80;95;0;100)+"

brief() {
	BRIEF_RC=0
	BRIEF=$("$DMWATCH" scan --brief) || BRIEF_RC=$?
	log "brief ($BRIEF_RC): $BRIEF"
}

# --- a node that is fine --------------------------------------------------------

pv=$(mkloop 128)
mkvg pve "$pv"
lvcreate -qq -L 48M -T pve/data
lvcreate -qq -V 16M -T pve/data -n vm-100-disk-0
pve_init "$HOST"
cat > /etc/pve/storage.cfg <<'EOF'
lvmthin: local-lvm
	thinpool data
	vgname pve
	content rootdir,images
EOF
cat > "/etc/pve/nodes/$HOST/qemu-server/100.conf" <<'EOF'
name: <script>alert("vm")</script>
scsi0: local-lvm:vm-100-disk-0,size=16M
EOF

brief
assert_eq 0 "$BRIEF_RC" "exit code of a clean node"
assert_match "$BRIEF" '^DMWATCH OK - grade A\+: [0-9]+ dm devices, no problems \| devices=[0-9]+ warnings=0 criticals=0'"$PERF"'$'

# --- warnings: an orphan LV --------------------------------------------------------

lvcreate -qq -V 16M -T pve/data -n vm-104-disk-0
brief
assert_eq 1 "$BRIEF_RC" "exit code with a tombstone"
assert_match "$BRIEF" '^DMWATCH WARNING - grade B: 1 tombstone \| devices=[0-9]+ warnings=1 criticals=0'"$PERF"'$'

# --- critical: a second mapping of a guest disk, and a hostile dm name ------------

dm_create pve-vm--100--disk--0-dup "$(dmsetup table pve-vm--100--disk--0)"
# (dmsetup stores it mangled, x\x3cb\x3e..., and libdevmapper gives the name back)
hostile='x<b>&"'\''y'
dm_create "$hostile" "0 8 zero"
brief
assert_eq 2 "$BRIEF_RC" "exit code with a duplicate"
assert_match "$BRIEF" '^DMWATCH CRITICAL - grade F: 1 duplicate, 1 tombstone \| devices=[0-9]+ warnings=1 criticals=1'"$PERF"'$'

"$DMWATCH" scan --json > "$W/scan.json" || true
ndev=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["summary"]["devices"])' "$W/scan.json")
assert_match "$BRIEF" "devices=$ndev "
# perfdata for Nagios graphs: the thin pool's data and metadata with the thresholds
assert_match "$BRIEF" "'pve/data'=[0-9.]+%;80;95;0;100 'pve/data metadata'=[0-9.]+%;80;95;0;100"

# --- --html ------------------------------------------------------------------------

rc=0
# --all: the hostile unmanaged name has no finding, so only the full device table shows it
"$DMWATCH" scan --all --html "$W/report.html" > "$W/table.txt" || rc=$?
assert_eq 2 "$rc" "exit code with --html"
assert_contains "$W/table.txt" 'grade F'
keep "$W/report.html"
assert_contains "$W/report.html" '^<!DOCTYPE html>'
assert_contains "$W/report.html" 'Grade <b>F</b>'
assert_contains "$W/report.html" 'pve-vm--100--disk--0-dup'
assert_contains "$W/report.html" 'dmsetup remove pve-vm--100--disk--0-dup'
assert_contains "$W/report.html" 'lvchange -an pve/vm-104-disk-0'
assert_contains "$W/report.html" 'x&lt;b&gt;&amp;&quot;&#39;y'
assert_contains "$W/report.html" '&lt;script&gt;alert\(&quot;vm&quot;\)&lt;/script&gt;'
assert_contains "$W/report.html" 'live scan'
assert_not_contains "$W/report.html" '<script|x<b>'
"$DMWATCH" scan --html - > "$W/stdout.html" || true
assert_contains "$W/stdout.html" '^<!DOCTYPE html>'
assert_not_contains "$W/stdout.html" '^dmwatch scan'
expect_fail "$DMWATCH" scan --html - --json
assert_eq 3 "$EXPECT_RC" "--html - with --json"

# --- --prom: the textfile collector never sees a partial file -------------------------

tf=$W/textfile
mkdir -p "$tf"
"$DMWATCH" scan --prom "$tf/dmwatch.prom" > /dev/null || true
keep "$tf/dmwatch.prom"
assert_contains "$tf/dmwatch.prom" '^dmwatch_up 1$'
assert_contains "$tf/dmwatch.prom" '^dmwatch_grade 5$'
assert_contains "$tf/dmwatch.prom" '^dmwatch_devices\{class="duplicate",severity="critical"\} 1$'
assert_contains "$tf/dmwatch.prom" '^dmwatch_tombstones\{reason="no-guest"\} 1$'
assert_contains "$tf/dmwatch.prom" '^dmwatch_device_severity\{name="pve-vm--100--disk--0-dup",class="duplicate",vmid="100"\} 2$'
assert_contains "$tf/dmwatch.prom" '^dmwatch_thin_pool_data_used_ratio\{name="pve-data-tpool",vg="pve",lv="data"\} 0(\.[0-9]+)?$'
assert_contains "$tf/dmwatch.prom" '^dmwatch_thin_pool_metadata_used_ratio\{name="pve-data-tpool",vg="pve",lv="data"\} 0(\.[0-9]+)?$'
assert_contains "$tf/dmwatch.prom" '^dmwatch_guest_health\{vmid="100",type="qemu",name="<script>alert\(\\"vm\\"\)</script>"\} 2$'
assert_eq "$(stat -c %a "$tf/dmwatch.prom")" 644 "textfile mode"
if command -v promtool > /dev/null; then
	promtool check metrics < "$tf/dmwatch.prom" >&2 || die "promtool rejects the textfile"
fi

# A reader racing ten writers: every read is a whole file (it ends with the last
# family, never empty or cut).
last=$(tail -n 1 "$tf/dmwatch.prom")
(
	for _ in $(seq 10); do
		"$DMWATCH" scan --prom "$tf/dmwatch.prom" > /dev/null 2>&1 || true
	done
	touch "$W/writers-done"
) &
reads=0
while [ ! -e "$W/writers-done" ]; do
	got=$(tail -n 1 "$tf/dmwatch.prom")
	[ "${got%% *}" = "${last%% *}" ] || die "a reader saw a partial textfile (last line '$got')"
	reads=$((reads + 1))
done
wait
log "$reads whole reads while 10 scans rewrote the textfile"
assert_eq "$(ls -A "$tf")" dmwatch.prom "files in the textfile directory"
expect_fail "$DMWATCH" scan --prom /nonexistent/dir/x.prom
assert_eq 3 "$EXPECT_RC" "--prom into a missing directory"

# --- --mail-to through a fake sendmail ---------------------------------------------------

cat > "$W/sendmail" <<EOF
#!/bin/sh
printf '%s\n' "\$@" > "$W/mail.args"
cat > "$W/mail.eml"
EOF
chmod +x "$W/sendmail"
rc=0
SENDMAIL=$W/sendmail "$DMWATCH" scan --mail-to admin@example.org --mail-from dmwatch@example.org \
	> /dev/null || rc=$?
assert_eq 2 "$rc" "exit code with --mail-to"
keep "$W/mail.eml"
assert_eq "$(tr '\n' ' ' < "$W/mail.args")" "-t -oi " "sendmail arguments"
python3 - "$W/mail.eml" "$HOST" <<'EOF'
import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
def need(cond, what):
    if not cond:
        sys.exit("FAIL: mail: " + what)
need(m["To"] == "admin@example.org", "To %r" % m["To"])
need(m["From"] == "dmwatch@example.org", "From %r" % m["From"])
need(m["Subject"] == "[dmwatch] %s: grade F, 1 critical, 1 warning" % sys.argv[2],
     "Subject %r" % m["Subject"])
need(m["Date"] and m["Message-ID"], "Date and Message-ID")
need(m.get_content_type() == "multipart/alternative", "type %s" % m.get_content_type())
parts = list(m.iter_parts())
need([p.get_content_type() for p in parts] == ["text/plain", "text/html"],
     "parts %s" % [p.get_content_type() for p in parts])
text, html = parts[0].get_content(), parts[1].get_content()
need("grade F" in text and "pve-vm--100--disk--0-dup" in text, "text part")
need("Grade <b>F</b>" in html and "dmsetup remove pve-vm--100--disk--0-dup" in html, "html part")
need("<script>" not in html, "html part escapes names")
for line in open(sys.argv[1], "rb").read().split(b"\n"):
    need(len(line) <= 998, "line longer than SMTP allows")
EOF

# a sendmail that fails: exit 3, said on stderr
printf '#!/bin/sh\ncat >/dev/null\nexit 75\n' > "$W/badmail"
chmod +x "$W/badmail"
expect_fail env SENDMAIL="$W/badmail" "$DMWATCH" scan --mail-to root --brief
assert_eq 3 "$EXPECT_RC" "exit code when sendmail fails"
expect_fail "$DMWATCH" scan --mail-to 'a@b
Bcc: c@d'
assert_eq 3 "$EXPECT_RC" "a mail address with a newline"

# a scan that cannot run still reports: UNKNOWN line, dmwatch_up 0, a "scan failed" mail
rm -f "$W/mail.eml"
rc=0
out=$(SENDMAIL=$W/sendmail "$DMWATCH" scan --state /nonexistent.json --brief --mail-to root \
	--prom "$tf/dmwatch.prom") || rc=$?
assert_eq 3 "$rc" "exit code without a state"
assert_match "$out" '^DMWATCH UNKNOWN - .*nonexistent\.json'
assert_contains "$tf/dmwatch.prom" '^dmwatch_up 0$'
assert_contains "$W/mail.eml" '^Subject: \[dmwatch\] .*: scan failed$'

# --- serve -------------------------------------------------------------------------

# The guest boots with its loopback interface down: binding works, connecting not.
if ! ip -o link show lo | grep -q 'state UNKNOWN\|LOOPBACK,UP'; then
	ip link set lo up 2> /dev/null || busybox ip link set lo up
fi

"$DMWATCH" serve --listen 127.0.0.1:0 -v 2> "$W/serve.err" &
serve_pid=$!
wait_for_line "$W/serve.err" 'serving metrics on http://127\.0\.0\.1:[0-9]+/metrics' 120
port=$(sed -n 's|.*http://127\.0\.0\.1:\([0-9]*\)/metrics.*|\1|p' "$W/serve.err")
log "serve listens on port $port"
python3 - "$port" <<'EOF'
import socket, sys, threading, urllib.request, urllib.error
port = int(sys.argv[1])
base = "http://127.0.0.1:%d" % port
def need(cond, what):
    if not cond:
        sys.exit("FAIL: serve: " + what)
def get(path, method="GET"):
    req = urllib.request.Request(base + path, method=method)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, ""
# a client that connects and never speaks must not hold the others up
idle = socket.create_connection(("127.0.0.1", port), timeout=10)
st, hdr, body = get("/metrics")
need(st == 200, "status %s" % st)
need(hdr["Content-Type"].startswith("text/plain; version=0.0.4"), "content type")
need("\ndmwatch_up 1\n" in body, "dmwatch_up 1")
need('dmwatch_devices{class="duplicate",severity="critical"} 1\n' in body, "duplicate count")
need(get("/")[0] == 404 and get("/metrics/x")[0] == 404, "404 elsewhere")
need(get("/metrics", "POST")[0] == 405, "405 for POST")
results = []
def worker():
    results.append(get("/metrics"))
threads = [threading.Thread(target=worker) for _ in range(6)]
for t in threads:
    t.start()
for t in threads:
    t.join(120)
need(len(results) == 6 and all(r[0] == 200 and "dmwatch_grade 5" in r[2] for r in results),
     "six concurrent scrapes")
idle.close()
EOF
kill -TERM "$serve_pid"
rc=0
for _ in $(seq 100); do
	kill -0 "$serve_pid" 2> /dev/null || break
	sleep 0.1
done
kill -0 "$serve_pid" 2> /dev/null && die "serve still running 10 s after SIGTERM"
wait "$serve_pid" || rc=$?
assert_eq 0 "$rc" "serve exit code after SIGTERM"

# --min-interval: two scrapes inside it get the same scan (same duration sample)
"$DMWATCH" serve --listen 127.0.0.1:0 --min-interval 600 2> "$W/serve2.err" &
serve_pid=$!
wait_for_line "$W/serve2.err" 'serving metrics on' 120
port=$(sed -n 's|.*http://127\.0\.0\.1:\([0-9]*\)/metrics.*|\1|p' "$W/serve2.err")
python3 - "$port" <<'EOF'
import sys, urllib.request
u = "http://127.0.0.1:%s/metrics" % sys.argv[1]
a = urllib.request.urlopen(u, timeout=60).read()
b = urllib.request.urlopen(u, timeout=60).read()
if a != b:
    sys.exit("FAIL: --min-interval 600 scanned twice")
EOF
kill -TERM "$serve_pid"
wait "$serve_pid" || die "serve --min-interval did not end cleanly"

for spec in nonsense 127.0.0.1:70000 '[::1'; do
	rc=0
	"$DMWATCH" serve --listen "$spec" 2> "$W/bad.err" || rc=$?
	assert_eq 3 "$rc" "exit code of serve --listen '$spec'"
	assert_eq 1 "$(wc -l < "$W/bad.err")" "lines of error for --listen '$spec'"
done

# --- the man page documents every command and option -------------------------------

man8=$REPO/dist/man/dmwatch.8
# (help texts in variables first: a failure inside `for x in $(...)` would go unseen)
cmds=$("$DMWATCH" --help | awk '/^Commands:/ { on = 1; next } on && !NF { exit } on { print $1 }')
[ -n "$cmds" ] || die "no commands in dmwatch --help"
for cmd in $cmds; do
	grep -q "^\.SS $cmd\$" "$man8" || die "dmwatch.8 has no section for '$cmd'"
	help=$("$DMWATCH" "$cmd" --help)
	opts=$(sed -nE 's/^ +(-[^ ,]+, +)?--([a-z][a-z0-9-]*).*/\2/p' <<< "$help")
	[ -n "$opts" ] || die "no options in dmwatch $cmd --help"
	for opt in $opts; do
		case $opt in help | usage) continue ;; esac
		grep -qF -- "\\-\\-${opt//-/\\-}" "$man8" || die "dmwatch.8 does not document $cmd --$opt"
	done
done
if command -v man > /dev/null; then
	warn=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$man8" 2>&1 > /dev/null || true)
	[ -z "$warn" ] || die "man reports: $warn"
fi

log "report outputs: all as expected"
