#!/usr/bin/env bash
# Installs (or removes) an hourly `ratwatch audit` with cron.
#
# Default: writes /etc/cron.d/ratwatch (needs root). With --crontab, adds one
# line to USER's crontab instead (marked "# ratwatch-audit", so it can be
# replaced and removed). Idempotent: running it again with the same options
# leaves the same files; with other options it replaces the entry.
#
# Fresh machine, one command (as root, from an unpacked release):
#   ./install-cron.sh --install-binary ./ratwatch --install-policy ./policy.yaml --run-now
#
# Remove:
#   ./install-cron.sh --uninstall          (add --purge to delete state and logs)
#
# See docs/audit.md.
set -euo pipefail

prog=$(basename "$0")
binary=/usr/local/bin/ratwatch
policy=/etc/ratwatch/policy.yaml
state=/var/lib/ratwatch
output=/var/log/ratwatch/audit.ndjson
logfile=/var/log/ratwatch/audit.log
format=ndjson
user=root
minute=
failon=
root=
use_crontab=0
use_syslog=0
uninstall=0
purge=0
run_now=0
check=1
install_binary=
install_policy=

usage() {
	cat <<EOF
Usage: $prog [options]
  --binary PATH          ratwatch binary the job runs (default $binary)
  --policy FILE          audit policy (default $policy)
  --state DIR            baseline and lock directory (default $state)
  --output FILE          report lines are appended here (default $output)
  --log FILE             the job's own messages are appended here (default $logfile)
  --format ndjson|ecs    line format of --output (default $format)
  --syslog               also send every line to syslog (tag ratwatch)
  --fail-on LEVEL        passed to ratwatch (found, installed, running, connected, attempted, established)
  --minute N             minute of the hour (default: derived from the host name, to spread a fleet)
  --user USER            user the job runs as (default root)
  --crontab              use USER's crontab instead of /etc/cron.d/ratwatch
  --install-binary FILE  first copy FILE to --binary (mode 0755)
  --install-policy FILE  first copy FILE to --policy (mode 0644), unless one is there already
  --run-now              run the audit once now (creates the first baseline)
  --no-check             do not validate the policy with the binary
  --root DIR             write every file under DIR (for tests and images); the command line keeps the paths as given
  --uninstall            remove the cron entry (and, with --purge, the state directory, output and log)
  -h, --help             this help
EOF
}

die() {
	echo "$prog: $*" >&2
	exit 1
}

while (($#)); do
	case $1 in
	--binary) binary=${2:?}; shift ;;
	--policy) policy=${2:?}; shift ;;
	--state) state=${2:?}; shift ;;
	--output) output=${2:?}; shift ;;
	--log) logfile=${2:?}; shift ;;
	--format) format=${2:?}; shift ;;
	--syslog) use_syslog=1 ;;
	--fail-on) failon=${2:?}; shift ;;
	--minute) minute=${2:?}; shift ;;
	--user) user=${2:?}; shift ;;
	--crontab) use_crontab=1 ;;
	--install-binary) install_binary=${2:?}; shift ;;
	--install-policy) install_policy=${2:?}; shift ;;
	--run-now) run_now=1 ;;
	--no-check) check=0 ;;
	--root) root=${2:?}; shift ;;
	--uninstall) uninstall=1 ;;
	--purge) purge=1 ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; die "unknown option $1" ;;
	esac
	shift
done

root=${root%/}
[[ $format == ndjson || $format == ecs ]] || die "--format must be ndjson or ecs"
for p in "$binary" "$policy" "$state" "$output" "$logfile"; do
	[[ $p == /* ]] || die "paths must be absolute: $p"
	[[ $p != *[[:space:]%\"\'\\]* ]] || die "paths must not contain spaces, quotes, backslashes or %: $p"
done
[[ $user =~ ^[a-z_][a-z0-9_.-]*$ ]] || die "bad user name: $user"

cron_d="$root/etc/cron.d/ratwatch"
spool="$root/var/spool/cron/crontabs/$user"
marker="# ratwatch-audit"

# crontab_edit FILTER_OUT [LINE]: rewrite USER's crontab without our line,
# then with LINE when given.
crontab_edit() {
	local line=${1-} current
	if [[ -n $root ]]; then
		current=$(cat "$spool" 2>/dev/null || true)
	else
		current=$(crontab -u "$user" -l 2>/dev/null || true)
	fi
	local next
	next=$(printf '%s\n' "$current" | grep -v -F -- "$marker" | sed '/^$/d' || true)
	if [[ -n $line ]]; then
		next=$(printf '%s\n%s\n' "$next" "$line" | sed '/^$/d')
	fi
	if [[ -n $root ]]; then
		mkdir -p "$(dirname "$spool")"
		if [[ -n $next ]]; then
			printf '%s\n' "$next" >"$spool.tmp" && mv "$spool.tmp" "$spool"
		else
			rm -f "$spool"
		fi
	elif [[ -n $next ]]; then
		printf '%s\n' "$next" | crontab -u "$user" -
	else
		crontab -u "$user" -r 2>/dev/null || true
	fi
}

if ((uninstall)); then
	rm -f "$cron_d"
	if ((use_crontab)) || [[ -e $spool ]] || { [[ -z $root ]] && command -v crontab >/dev/null && crontab -u "$user" -l 2>/dev/null | grep -q -F -- "$marker"; }; then
		crontab_edit ""
	fi
	if ((purge)); then
		rm -rf "$root$state"
		rm -f "$root$output" "$root$logfile"
	fi
	echo "$prog: removed the hourly ratwatch audit"
	exit 0
fi

if [[ -n $install_binary ]]; then
	[[ -f $install_binary ]] || die "--install-binary: $install_binary not found"
	install -D -m 0755 "$install_binary" "$root$binary"
fi
if [[ -n $install_policy ]]; then
	[[ -f $install_policy ]] || die "--install-policy: $install_policy not found"
	if [[ -e $root$policy ]]; then
		echo "$prog: keeping the existing $root$policy" >&2
	else
		install -D -m 0644 "$install_policy" "$root$policy"
	fi
fi

# here PATH: PATH under --root when it is there, else PATH itself.
here() { if [[ -n $root && -e $root$1 ]]; then echo "$root$1"; else echo "$1"; fi; }

if ((check)); then
	bin_here=$(here "$binary")
	pol_here=$(here "$policy")
	[[ -x $bin_here ]] || die "$bin_here is not an executable (use --install-binary, or --no-check)"
	[[ -f $pol_here ]] || die "$pol_here does not exist (use --install-policy; docs/examples/policy.yaml is an example)"
	"$bin_here" audit --policy "$pol_here" --check-policy >/dev/null || die "the policy $pol_here is not valid (see above)"
fi

if [[ -z $minute ]]; then
	# Spread a fleet over the hour, the same minute on every re-install.
	minute=$(( $(hostname | cksum | cut -d' ' -f1) % 60 ))
fi
[[ $minute =~ ^[0-9]+$ ]] && ((minute < 60)) || die "--minute must be 0..59"

args="audit --policy $policy --state $state -o $format --file $output"
((use_syslog)) && args+=" --syslog"
[[ -n $failon ]] && args+=" --fail-on $failon"
# cron runs the line with /bin/sh; exit codes 2/3 are findings, not errors:
# the NDJSON has them. The job's own messages go to --log, not to mail.
command="$binary $args >>$logfile 2>&1"

mkdir -p "$root$state" "$root$(dirname "$output")" "$root$(dirname "$logfile")"
chmod 0700 "$root$state"

if ((use_crontab)); then
	crontab_edit "$minute * * * * $command $marker"
	echo "$prog: added to the crontab of $user: minute $minute of every hour"
else
	mkdir -p "$(dirname "$cron_d")"
	tmp=$(mktemp "$cron_d.XXXXXX")
	cat >"$tmp" <<EOF
# ratwatch hourly audit. Installed by install-cron.sh; remove with
# install-cron.sh --uninstall. Findings: $output; messages: $logfile.
SHELL=/bin/sh
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
$minute * * * * $user $command
EOF
	chmod 0644 "$tmp"
	mv -f "$tmp" "$cron_d"
	echo "$prog: wrote $cron_d: minute $minute of every hour, as $user"
fi

if ((run_now)); then
	echo "$prog: running the first audit now (creates the baseline)"
	rc=0
	sh -c "$command" || rc=$?
	case $rc in
	0) echo "$prog: first audit: nothing that is not allowed" ;;
	2 | 3) echo "$prog: first audit: findings not allowed (exit $rc); see $output" ;;
	*) die "first audit failed (exit $rc); see $logfile" ;;
	esac
fi
