# debfetch.sh - sourced by tools/fetch-qemu10.sh and tools/fetch-efi-arm64.sh:
# Debian packages downloaded and unpacked into a directory through a
# private apt configuration, nothing installed system-wide.
#
# The caller sets `name` (for messages) and `retry` (how to try again),
# then calls debfetch_begin DIR SOURCES [APT-OPTION...]: DIR made absolute
# in $dir, its .done and fetch-failed.txt removed, $log emptied, the
# Debian keyring and apt-get checked, DIR/apt made afresh (its own sources
# list holding SOURCES, one line each, and its own lists and cache; the
# system's dpkg status, keys and apt.conf.d are read, never written) with
# $a naming it, DIR/debs for the downloads.  debfetch_apt ARGS... runs
# apt-get with that configuration (and the APT-OPTIONs given to begin);
# debfetch_unpack unpacks every DIR/debs/*.deb into DIR/root.new;
# debfetch_fail MSG writes MSG to stderr and DIR/fetch-failed.txt and
# exits 1; debfetch_why is the first error or warning apt logged, else its
# last line.  POSIX sh.

keyring=/usr/share/keyrings/debian-archive-keyring.gpg
mirror=${TALLY_DEBIAN_MIRROR:-http://deb.debian.org/debian}
debfetch_opts=""

debfetch_why() {
	grep -m 1 -E '^(E|W): ' "$log" || tail -n 1 "$log"
}

debfetch_fail() {
	{
		echo "$name: $*"
		echo "(details: $log; retry: $retry)"
	} | tee "$dir/fetch-failed.txt" >&2
	exit 1
}

debfetch_begin() {
	mkdir -p "$1"
	dir=$(cd "$1" && pwd)
	rm -f "$dir/.done" "$dir/fetch-failed.txt"
	log="$dir/fetch.log"
	: >"$log"
	[ -f "$keyring" ] || debfetch_fail "$keyring missing (package debian-archive-keyring)"
	command -v apt-get >/dev/null || debfetch_fail "apt-get not found: this needs a Debian 12 machine"
	a="$dir/apt"
	rm -rf "$a" "$dir/debs" "$dir/root.new"
	mkdir -p "$a/sources.list.d" "$a/state/lists/partial" "$a/cache/archives/partial" "$dir/debs"
	printf '%s\n' "$2" >"$a/sources.list"
	shift 2
	debfetch_opts="$*"
}

debfetch_apt() {
	# shellcheck disable=SC2086  # the options given to begin, word by word
	apt-get -q -o Dir::Etc::sourcelist="$a/sources.list" \
		-o Dir::Etc::sourceparts="$a/sources.list.d" \
		-o Dir::State="$a/state" -o Dir::Cache="$a/cache" \
		-o Acquire::Languages=none -o APT::Sandbox::User=root $debfetch_opts "$@"
}

debfetch_unpack() {
	mkdir -p "$dir/root.new"
	for deb in "$dir"/debs/*.deb; do
		dpkg -x "$deb" "$dir/root.new" || debfetch_fail "dpkg -x $deb failed"
	done
}
