"""Sends one message with smtplib: send.py HOST:PORT FROM TO[,TO...] SUBJECT BODY.

Uses STARTTLS when the server offers it (certificate not checked: the
test server's is self-signed). Prints the refused recipients, if any.
"""
import smtplib
import ssl
import sys

server, sender, recipients, subject, body = sys.argv[1:6]
host, port = server.rsplit(":", 1)
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
recipients = recipients.split(",")
message = (
    f"From: {sender}\r\nTo: {', '.join(recipients)}\r\nSubject: {subject}\r\n\r\n{body}\r\n"
)
with smtplib.SMTP(host, int(port), timeout=30) as s:
    s.ehlo("client.localhost")
    if s.has_extn("starttls"):
        s.starttls(context=ctx)
        s.ehlo("client.localhost")
        print("starttls")
    try:
        refused = s.sendmail(sender, recipients, message)
    except smtplib.SMTPRecipientsRefused as e:
        refused = e.recipients
    for rcpt, (code, text) in sorted(refused.items()):
        print(f"refused {rcpt} {code}")
print("sent")
