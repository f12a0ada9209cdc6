"""Reads a mailbox over IMAPS (imaplib) and POP3S (poplib), waiting until
it holds at least N messages: read.py HOST IMAPS_PORT POP3S_PORT USER PASSWORD N.

Prints, per protocol, one line per message: `imaps <uid> <subject>` and
`pop3s <n> <subject>`, then the full text of each message after a
`--- imaps <uid>` line, so that the caller can check headers and bodies.
"""
import email
import imaplib
import poplib
import ssl
import sys
import time

host, imaps_port, pop3s_port, user, password, want = sys.argv[1:7]
want = int(want)
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE


def subject(raw):
    return email.message_from_bytes(raw).get("Subject", "")


deadline = time.time() + 30
while True:
    m = imaplib.IMAP4_SSL(host, int(imaps_port), ssl_context=ctx, timeout=30)
    m.login(user, password)
    typ, data = m.select("INBOX")
    assert typ == "OK", data
    if int(data[0]) >= want or time.time() > deadline:
        break
    m.logout()
    time.sleep(0.1)

typ, data = m.uid("SEARCH", None, "ALL")
uids = data[0].split()
texts = []
for uid in uids:
    typ, parts = m.uid("FETCH", uid, "(BODY.PEEK[])")
    raw = parts[0][1]
    print(f"imaps {uid.decode()} {subject(raw)}")
    texts.append((uid.decode(), raw))
m.logout()

p = poplib.POP3_SSL(host, int(pop3s_port), context=ctx, timeout=30)
p.user(user)
p.pass_(password)
count, _ = p.stat()
for n in range(1, count + 1):
    raw = b"\r\n".join(p.retr(n)[1])
    print(f"pop3s {n} {subject(raw)}")
p.quit()

for uid, raw in texts:
    print(f"--- imaps {uid}")
    print(raw.decode("utf-8", "replace"))
