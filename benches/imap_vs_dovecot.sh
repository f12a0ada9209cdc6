#!/bin/sh
# The IMAP server (examples/imap_server) and Dovecot, timed by the same
# client (examples/imap_bench) on copies of the same Maildirs, on loopback:
#   m10k   10,000 messages of ~600 octets   SELECT, FETCH 1:* (UID FLAGS RFC822.SIZE), SEARCH TEXT
#   m100k 100,000 messages of ~600 octets   SELECT, FETCH 1:* (UID FLAGS RFC822.SIZE)
#   body      200 messages of ~50 KB        FETCH 1:* BODY.PEEK[]
# and then the first SELECT of m10k and m100k after a restart of each server
# (on-disk state only: our missive-index, Dovecot's index), median of RUNS
# restarts.
#
#   sh benches/imap_vs_dovecot.sh [RUNS]
#
# Needs dovecot-imapd (apt-get install -y dovecot-imapd); without it only
# this server is measured. Run as root (Dovecot's mail processes run as the
# owner of the copied Maildirs). Ports 10143 and 10144 on 127.0.0.1.
set -eu
RUNS=${1:-10}
cd "$(dirname "$0")/.."
cargo build --release --example imap_server --example imap_bench
BIN=target/release/examples
WORK=$(mktemp -d /tmp/imap-vs-dovecot.XXXXXX)
SERVER_PID=
cleanup() {
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
    [ -f "$WORK/dovecot.conf" ] && doveadm -c "$WORK/dovecot.conf" stop 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

mkdir -p "$WORK/ours" "$WORK/dovecot"
$BIN/imap_bench make-folder --maildir "$WORK/ours/m10k/Maildir" --count 10000 --size 600
$BIN/imap_bench make-folder --maildir "$WORK/ours/m100k/Maildir" --count 100000 --size 600
$BIN/imap_bench make-folder --maildir "$WORK/ours/body/Maildir" --count 200 --size 50000
cp -a "$WORK/ours/." "$WORK/dovecot/"
printf 'm10k:{PLAIN}secret\nm100k:{PLAIN}secret\nbody:{PLAIN}secret\n' > "$WORK/passwd"

start_ours() {
    $BIN/imap_server --listen 127.0.0.1:10143 --passwd "$WORK/passwd" \
        --mail-location "maildir:$WORK/ours/%u/Maildir" >> "$WORK/ours.log" 2>&1 &
    SERVER_PID=$!
}
start_ours

if command -v dovecot > /dev/null; then
    NOBODY=$(id -u nobody)
    NOGROUP=$(id -g nobody)
    chown -R nobody "$WORK/dovecot"
    chmod 755 "$WORK"
    cat > "$WORK/dovecot.conf" <<EOF
base_dir = $WORK/run
state_dir = $WORK/state
log_path = $WORK/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = nobody
default_internal_user = nobody
first_valid_uid = 1
mail_location = maildir:$WORK/dovecot/%n/Maildir
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%n $WORK/passwd
}
userdb {
  driver = static
  args = uid=$NOBODY gid=$NOGROUP home=$WORK/dovecot/%n
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = 10144
  }
  inet_listener imaps {
    port = 0
  }
}
EOF
    dovecot -c "$WORK/dovecot.conf"
fi
sleep 1

for label in missive dovecot; do
    case $label in
        missive) ADDR=127.0.0.1:10143 ;;
        dovecot) command -v dovecot > /dev/null || continue; ADDR=127.0.0.1:10144 ;;
    esac
    $BIN/imap_bench run --connect $ADDR --user m10k --password secret --label $label --runs "$RUNS" --search
    $BIN/imap_bench run --connect $ADDR --user m100k --password secret --label $label --runs "$RUNS"
    $BIN/imap_bench run --connect $ADDR --user body --password secret --label $label --runs "$RUNS" --body
done

# The first SELECT after a restart.
listening() { ss -ltn | grep -q "127.0.0.1:$1 "; }
wait_port() { i=0; until listening "$1" || [ $i -ge 100 ]; do sleep 0.1; i=$((i + 1)); done; }
restart() {
    case $1 in
        missive)
            kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
            start_ours; wait_port 10143 ;;
        dovecot)
            doveadm -c "$WORK/dovecot.conf" stop
            i=0; while listening 10144 && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
            dovecot -c "$WORK/dovecot.conf"; wait_port 10144 ;;
    esac
}
for label in missive dovecot; do
    case $label in
        missive) ADDR=127.0.0.1:10143 ;;
        dovecot) command -v dovecot > /dev/null || continue; ADDR=127.0.0.1:10144 ;;
    esac
    for user in m10k m100k; do
        : > "$WORK/first.txt"
        for r in $(seq "$RUNS"); do
            restart $label
            $BIN/imap_bench run --connect $ADDR --user $user --password secret --label $label --runs 1 \
                | sed -n '1s/.* median *\([0-9.]*\) \([a-z]*\) .*/\1 \2/p' >> "$WORK/first.txt"
        done
        sort -n "$WORK/first.txt" | awk -v l=$label -v u=$user '{ t[NR] = $1; unit = $2 }
            END { printf "%-8s %-6s %-34s median %9s %s  min %9s %s  runs %d\n", l, u, "SELECT (first after a restart)", t[int((NR + 1) / 2)], unit, t[1], unit, NR }'
    done
done
