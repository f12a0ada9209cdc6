"""Submission with smtplib: submit.py HOST SUBMISSION_PORT SMTPS_PORT USER PASSWORD RCPT.

On the submission port: MAIL before AUTH is refused (530), a wrong
password is refused (535), then STARTTLS, AUTH and the message. On the
SMTPS port: implicit TLS (RFC 8314), AUTH and a second message. The
certificate is not checked (the test server's is self-signed).
"""
import smtplib
import ssl
import sys

host, submission, smtps, user, password, rcpt = sys.argv[1:7]
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
sender = f"{user}@localhost"


def message(subject):
    return f"From: {sender}\r\nTo: {rcpt}\r\nSubject: {subject}\r\n\r\nfrom {user}\r\n"


with smtplib.SMTP(host, int(submission), timeout=30) as s:
    s.ehlo("client.localhost")
    try:
        s.sendmail(sender, [rcpt], message("without auth"))
        print("sent without auth")
    except smtplib.SMTPSenderRefused as e:
        print(f"without auth: {e.smtp_code}")
    s.starttls(context=ctx)
    s.ehlo("client.localhost")
    print("auth offered:", s.has_extn("auth"))
    # One AUTH PLAIN with a wrong password (login() would try every
    # mechanism offered, each failure adding to the failure delay).
    s.user, s.password = user, password + "x"
    try:
        s.auth("PLAIN", s.auth_plain)
        print("wrong password accepted")
    except smtplib.SMTPAuthenticationError as e:
        print(f"wrong password: {e.smtp_code}")
    s.login(user, password)
    s.sendmail(sender, [rcpt], message("over submission"))
    print("submission sent")

with smtplib.SMTP_SSL(host, int(smtps), context=ctx, timeout=30) as s:
    s.ehlo("client.localhost")
    s.login(user, password)
    s.sendmail(sender, [rcpt], message("over smtps"))
    print("smtps sent")
