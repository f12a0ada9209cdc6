#!/usr/bin/env bash
# full_server and Postfix under the same SMTP load, in one run: Postfix's
# smtp-source sends M messages of S octets over N concurrent sessions to
# each, and the script reports
#   - the accept rate: messages / the time smtp-source took (every message
#     acknowledged with 250 after its fsync);
#   - the end-to-end rate: messages / the time until the last one is a file
#     in the recipient's Maildir new/ (counted every 20 ms).
#
#   benches/throughput.sh [SESSIONS] [MESSAGES] [SIZE] [ROUNDS]
#   (defaults 20 5000 4096 1)
#   FULL_SERVER=target/release/examples/full_server benches/throughput.sh  # no build
#   SKIP_POSTFIX=1 benches/throughput.sh          # full_server alone
#
# full_server (zero configuration, ephemeral ports, data in a temporary
# directory) delivers to alice@localhost in data/mail/alice/Maildir.
# Postfix delivers with virtual(8) into /tmp/pfbench/mail/bench/ (a Maildir).
# Both run one after the other on the same machine.
#
# Needs the postfix package (smtp-source, and Postfix itself) and root:
# Postfix's master starts as root, and a private instance in /tmp/pfbench
# must be listed in /etc/postfix/main.cf's alternate_config_directories
# (added here when missing). Without postfix nothing can be measured.
set -euo pipefail
SESSIONS=${1:-20}
MESSAGES=${2:-5000}
SIZE=${3:-4096}
ROUNDS=${4:-1}
cd "$(dirname "$0")/.."

command -v smtp-source >/dev/null || {
    echo "throughput.sh: smtp-source not found (apt-get install postfix)" >&2
    exit 1
}
[ "$(id -u)" = 0 ] || {
    echo "throughput.sh: run as root (Postfix's master starts as root)" >&2
    exit 1
}

# FULL_SERVER=path skips the build (a binary built earlier).
if [ -z "${FULL_SERVER:-}" ]; then
    cargo build --release --example full_server >&2
fi
BIN=${FULL_SERVER:-target/release/examples/full_server}
WORK=$(mktemp -d /tmp/missive-throughput.XXXXXX)
PF=/tmp/pfbench
SERVER_PID=
cleanup() {
    [ -n "$SERVER_PID" ] && kill -INT "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null || true
    postfix -c "$PF" stop >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

count() {
    # Files in a Maildir's new/ (0 while it does not exist yet).
    if [ -d "$1" ]; then find "$1" -maxdepth 1 -type f | wc -l; else echo 0; fi
}

# drive NAME PORT RCPT NEWDIR: prints one result line.
drive() {
    local name=$1 port=$2 rcpt=$3 dir=$4 before start accepted end n
    before=$(count "$dir")
    start=$(date +%s.%N)
    smtp-source -s "$SESSIONS" -m "$MESSAGES" -l "$SIZE" -f load@localhost -t "$rcpt" \
        "127.0.0.1:$port"
    accepted=$(date +%s.%N)
    local deadline=$(( $(date +%s) + 600 ))
    while :; do
        n=$(( $(count "$dir") - before ))
        [ "$n" -ge "$MESSAGES" ] && break
        if [ "$(date +%s)" -gt "$deadline" ]; then
            echo "$name: only $n of $MESSAGES messages arrived within 600 s" >&2
            exit 1
        fi
        sleep 0.02
    done
    end=$(date +%s.%N)
    python3 - "$name" "$start" "$accepted" "$end" "$MESSAGES" <<'EOF'
import sys
name, s, a, e, n = sys.argv[1], *map(float, sys.argv[2:5]), int(sys.argv[5])
print(f"{name:12s} accepted {n} in {a-s:6.2f} s = {n/(a-s):7.0f} msg/s; "
      f"all in Maildir after {e-s:6.2f} s = {n/(e-s):7.0f} msg/s")
EOF
}

# --- Postfix: a private instance on a free loopback port ---------------
start_postfix() {
    local port=$1
    if [ ! -f /etc/postfix/main.cf ]; then
        printf 'compatibility_level = 3.6\nalternate_config_directories = %s\n' "$PF" \
            > /etc/postfix/main.cf
    elif ! postconf -h alternate_config_directories | tr ', ' '\n\n' | grep -qx "$PF"; then
        local cur
        cur=$(postconf -h alternate_config_directories)
        postconf -e "alternate_config_directories = ${cur:+$cur, }$PF"
    fi
    postfix -c "$PF" stop >/dev/null 2>&1 || true
    rm -rf "$PF"
    mkdir -p "$PF/data" "$PF/mail" "$PF/queue"
    chown postfix "$PF/data"
    chown nobody:nogroup "$PF/mail"
    echo "bench@pf.example bench/" > "$PF/vmailbox"
    cat > "$PF/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $PF/queue
data_directory = $PF/data
mail_owner = postfix
myhostname = postfix.example
mydestination =
mynetworks = 127.0.0.0/8
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
maillog_file = $PF/maillog
maillog_file_prefixes = $PF
alias_maps =
alias_database =
smtpd_tls_security_level = none
smtp_tls_security_level = none
smtp_dns_support_level = disabled
virtual_mailbox_domains = pf.example
virtual_mailbox_base = $PF/mail
virtual_mailbox_maps = texthash:$PF/vmailbox
virtual_uid_maps = static:65534
virtual_gid_maps = static:65534
EOF
    {
        echo "127.0.0.1:$port inet n - n - - smtpd"
        cat <<'EOF'
pickup unix n - n 60 1 pickup
cleanup unix n - n - 0 cleanup
qmgr unix n - n 300 1 qmgr
tlsmgr unix - - n 1000? 1 tlsmgr
rewrite unix - - n - - trivial-rewrite
bounce unix - - n - 0 bounce
defer unix - - n - 0 bounce
trace unix - - n - 0 bounce
verify unix - - n - 1 verify
flush unix n - n 1000? 0 flush
proxymap unix - - n - - proxymap
proxywrite unix - - n - 1 proxymap
smtp unix - - n - - smtp
relay unix - - n - - smtp
showq unix n - n - - showq
error unix - - n - - error
retry unix - - n - - error
discard unix - - n - - discard
local unix - n n - - local
virtual unix - n n - - virtual
lmtp unix - - n - - lmtp
anvil unix - - n - 1 anvil
scache unix - - n - 1 scache
postlog unix-dgram n - n - 1 postlogd
EOF
    } > "$PF/master.cf"
    postfix -c "$PF" check
    script -qc "postfix -c $PF start" /dev/null >/dev/null
    for _ in $(seq 100); do
        python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)" \
            2>/dev/null && return 0
        sleep 0.1
    done
    echo "throughput.sh: Postfix did not start; see $PF/maillog" >&2
    exit 1
}

# --- full_server: zero configuration, ephemeral ports --------------------
start_full_server() {
    : > "$WORK/full_server.log"
    "$BIN" --data "$WORK/data" --ephemeral-ports > "$WORK/full_server.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 100); do
        FS_PORT=$(awk '$1 == "SMTP" { split($2, a, ":"); print a[2]; exit }' "$WORK/full_server.log")
        [ -n "$FS_PORT" ] && return 0
        sleep 0.1
    done
    echo "throughput.sh: full_server did not start:" >&2
    cat "$WORK/full_server.log" >&2
    exit 1
}

echo "load: smtp-source -s $SESSIONS -m $MESSAGES -l $SIZE, $(nproc) cores, $(uname -r)"
if [ -z "${SKIP_POSTFIX:-}" ]; then
    PF_PORT=$(free_port)
    start_postfix "$PF_PORT"
fi
start_full_server
for round in $(seq "$ROUNDS"); do
    [ "$ROUNDS" -gt 1 ] && echo "round $round"
    if [ -z "${SKIP_POSTFIX:-}" ]; then
        drive "Postfix" "$PF_PORT" bench@pf.example "$PF/mail/bench/new"
    fi
    drive "full_server" "$FS_PORT" alice@localhost "$WORK/data/mail/alice/Maildir/new"
done
