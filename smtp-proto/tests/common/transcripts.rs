//! The transcripts the known-answer tests and the split tests share.

/// RFC 5321 D.1: a typical transaction, one recipient refused.
pub const D1: &str = "
      S: 220 foo.com Simple Mail Transfer Service Ready
      C: EHLO bar.com
      S: 250-foo.com greets bar.com
      S: 250-8BITMIME
      S: 250-SIZE
      S: 250-DSN
      S: 250 HELP
      C: MAIL FROM:<Smith@bar.com>
      S: 250 OK
      C: RCPT TO:<Jones@foo.com>
      S: 250 OK
      C: RCPT TO:<Green@foo.com>
      S: 550 No such user here
      C: RCPT TO:<Brown@foo.com>
      S: 250 OK
      C: DATA
      S: 354 Start mail input; end with <CRLF>.<CRLF>
      C: Blah blah blah...
      C: ...etc. etc. etc.
      C: .
      S: 250 OK
      C: QUIT
      S: 221 foo.com Service closing transmission channel
";

/// RFC 5321 D.2: an aborted transaction.
pub const D2: &str = "
      S: 220 foo.com Simple Mail Transfer Service Ready
      C: EHLO bar.com
      S: 250-foo.com greets bar.com
      S: 250-8BITMIME
      S: 250-SIZE
      S: 250-DSN
      S: 250 HELP
      C: MAIL FROM:<Smith@bar.com>
      S: 250 OK
      C: RCPT TO:<Jones@foo.com>
      S: 250 OK
      C: RCPT TO:<Green@foo.com>
      S: 550 No such user here
      C: RSET
      S: 250 OK
      C: QUIT
      S: 221 foo.com Service closing transmission channel
";

/// RFC 5321 D.3, step 1: source host to relay host.
pub const D3_1: &str = "
      S: 220 foo.com Simple Mail Transfer Service Ready
      C: EHLO bar.com
      S: 250-foo.com greets bar.com
      S: 250-8BITMIME
      S: 250-SIZE
      S: 250-DSN
      S: 250 HELP
      C: MAIL FROM:<JQP@bar.com>
      S: 250 OK
      C: RCPT TO:<Jones@XYZ.COM>
      S: 250 OK
      C: DATA
      S: 354 Start mail input; end with <CRLF>.<CRLF>
      C: Date: Thu, 21 May 1998 05:33:29 -0700
      C: From: John Q. Public <JQP@bar.com>
      C: Subject: The Next Meeting of the Board
      C: To: Jones@xyz.com
      C:
      C: Bill:
      C: The next meeting of the board of directors will be
      C: on Tuesday.
      C: John.
      C: .
      S: 250 OK
      C: QUIT
      S: 221 foo.com Service closing transmission channel
";

/// RFC 5321 D.3, step 2: relay host to destination host.
pub const D3_2: &str = "
           S: 220 xyz.com Simple Mail Transfer Service Ready
           C: EHLO foo.com
           S: 250 xyz.com is on the air
           C: MAIL FROM:<JQP@bar.com>
           S: 250 OK
           C: RCPT TO:<Jones@XYZ.COM>
           S: 250 OK
           C: DATA
           S: 354 Start mail input; end with <CRLF>.<CRLF>
           C: Received: from bar.com by foo.com ; Thu, 21 May 1998
           C:     05:33:29 -0700
           C: Date: Thu, 21 May 1998 05:33:22 -0700
           C: From: John Q. Public <JQP@bar.com>
           C: Subject:  The Next Meeting of the Board
           C: To: Jones@xyz.com
           C:
           C: Bill:
           C: The next meeting of the board of directors will be
           C: on Tuesday.
           C:                         John.
           C: .
           S: 250 OK
           C: QUIT
           S: 221 foo.com Service closing transmission channel
";

/// RFC 5321 D.4: verifying and sending.
pub const D4: &str = "
      S: 220 foo.com Simple Mail Transfer Service Ready
      C: EHLO bar.com
      S: 250-foo.com greets bar.com
      S: 250-8BITMIME
      S: 250-SIZE
      S: 250-DSN
      S: 250-VRFY
      S: 250 HELP
      C: VRFY Crispin
      S: 250 Mark Crispin <Admin.MRC@foo.com>
      C: MAIL FROM:<EAK@bar.com>
      S: 250 OK
      C: RCPT TO:<Admin.MRC@foo.com>
      S: 250 OK
      C: DATA
      S: 354 Start mail input; end with <CRLF>.<CRLF>
      C: Blah blah blah...
      C: ...etc. etc. etc.
      C: .
      S: 250 OK
      C: QUIT
      S: 221 foo.com Service closing transmission channel
";

/// RFC 2920 3: the pipelined form of the session.
pub const PIPELINED: &str = r#"
   S: 220 innosoft.com SMTP service ready
   C: EHLO dbc.mtview.ca.us
   S: 250-innosoft.com
   S: 250 PIPELINING
   C: MAIL FROM:<mrose@dbc.mtview.ca.us>
   C: RCPT TO:<ned@innosoft.com>
   C: RCPT TO:<dan@innosoft.com>
   C: RCPT TO:<kvc@innosoft.com>
   C: DATA
   S: 250 sender <mrose@dbc.mtview.ca.us> OK
   S: 250 recipient <ned@innosoft.com> OK
   S: 250 recipient <dan@innosoft.com> OK
   S: 250 recipient <kvc@innosoft.com> OK
   S: 354 enter mail, end with line containing only "."
   C: .
   C: QUIT
   S: 250 message sent
   S: 221 goodbye
"#;

/// RFC 2920 3: every recipient refused, so DATA gets 554.
pub const PIPELINED_NO_RECIPIENTS: &str = r#"
   S: 220 innosoft.com SMTP service ready
   C: EHLO dbc.mtview.ca.us
   S: 250-innosoft.com
   S: 250 PIPELINING
   C: MAIL FROM:<mrose@dbc.mtview.ca.us>
   C: RCPT TO:<nsb@thumper.bellcore.com>
   C: RCPT TO:<galvin@tis.com>
   C: DATA
   S: 250 sender <mrose@dbc.mtview.ca.us> OK
   S: 550 remote mail to <nsb@thumper.bellore.com> not allowed
   S: 550 remote mail to <galvin@tis.com> not allowed
   S: 554 no valid recipients given
   C: QUIT
   S: 221 goodbye
"#;

/// RFC 2033 4.3: LMTP, one reply per accepted recipient after the dot.
pub const LMTP: &str = "
   S: 220 foo.edu LMTP server ready
   C: LHLO foo.edu
   S: 250-foo.edu
   S: 250-PIPELINING
   S: 250 SIZE
   C: MAIL FROM:<chris@bar.com>
   S: 250 OK
   C: RCPT TO:<pat@foo.edu>
   S: 250 OK
   C: RCPT TO:<jones@foo.edu>
   S: 550 No such user here
   C: RCPT TO:<green@foo.edu>
   S: 250 OK
   C: DATA
   S: 354 Start mail input; end with <CRLF>.<CRLF>
   C: Blah blah blah...
   C: ...etc. etc. etc.
   C: .
   S: 250 OK
   S: 452 <green@foo.edu> is temporarily over quota
   C: QUIT
   S: 221 foo.edu closing connection
";

/// RFC 3030 4.1: a message in one BDAT LAST chunk.
pub const BDAT_SIMPLE: &str = "
   S: 220 cnri.reston.va.us SMTP service ready
   C: EHLO ymir.claremont.edu
   S: 250-cnri.reston.va.us says hello
   S: 250 CHUNKING
   C: MAIL FROM:<Sam@Random.com>
   S: 250 <Sam@Random.com>... Sender ok
   C: RCPT TO:<Susan@Random.com>
   S: 250 <Susan@random.com>... Recipient ok
   C: BDAT 86 LAST
   C+ To: Susan@random.com<CRLF>From: Sam@random.com<CRLF>Subject: This is a bodyless test message<CRLF>
   S: 250 Message OK, 86 Octets received
   C: QUIT
   S: 221 Goodbye
";

/// RFC 3030 4.2: BINARYMIME in several chunks and `BDAT 0 LAST` (sizes
/// shortened).
pub const BDAT_CHUNKS: &str = "
   S: 220 cnri.reston.va.us SMTP service ready
   C: EHLO ymir.claremont.edu
   S: 250-cnri.reston.va.us says hello
   S: 250-8BITMIME
   S: 250-BINARYMIME
   S: 250 CHUNKING
   C: MAIL FROM:<ned@ymir.claremont.edu> BODY=BINARYMIME
   C: RCPT TO:<gvaudre@cnri.reston.va.us>
   C: RCPT TO:<jstewart@cnri.reston.va.us>
   S: 250 <ned@ymir.claremont.edu>... Sender and BINARYMIME ok
   S: 250 <gvaudre@cnri.reston.va.us>... Recipient ok
   S: 250 <jstewart@cnri.reston.va.us>... Recipient ok
   C: BDAT 12
   C+ <NUL><SOH>binary<LF>.<CRLF>
   S: 250 12 octets received
   C: BDAT 5
   C+ more.
   S: 250 5 octets received
   C: BDAT 0 LAST
   S: 250 Message OK, 17 octets received
   C: QUIT
   S: 221 Goodbye
";

/// RFC 4954 8 with RFC 3207: STARTTLS, then AUTH PLAIN with an initial
/// response, then the same with a 334 round.
pub const AUTH_AFTER_STARTTLS: &str = "
   S: 220 smtp.example.com ESMTP Server
   C: EHLO client.example.com
   S: 250-smtp.example.com Hello client.example.com
   S: 250-AUTH GSSAPI DIGEST-MD5
   S: 250-ENHANCEDSTATUSCODES
   S: 250 STARTTLS
   C: STARTTLS
   S: 220 Ready to start TLS
   C: <TLS>
   C: EHLO client.example.com
   S: 250-smtp.example.com Hello client.example.com
   S: 250 AUTH GSSAPI DIGEST-MD5 PLAIN
   C: AUTH PLAIN dGVzdAB0ZXN0ADEyMzQ=
   S: 235 2.7.0 Authentication successful
";

/// RFC 4954 8: AUTH PLAIN with an empty 334 challenge.
pub const AUTH_PLAIN_CHALLENGE: &str = "
   S: 220 smtp.example.com ESMTP Server
   C: STARTTLS
   S: 220 Ready to start TLS
   C: <TLS>
   C: EHLO client.example.com
   S: 250-smtp.example.com Hello client.example.com
   S: 250 AUTH GSSAPI DIGEST-MD5 PLAIN
   C: AUTH PLAIN
   S: 334
   C+ dGVzdAB0ZXN0ADEyMzQ=<CRLF>
   S: 235 2.7.0 Authentication successful
";

/// The LOGIN exchange, refused once and then accepted.
pub const AUTH_LOGIN: &str = "
   S: 220 smtp.example.com ESMTP Server
   C: STARTTLS
   S: 220 Ready to start TLS
   C: <TLS>
   C: EHLO client.example.com
   S: 250 smtp.example.com
   C: AUTH LOGIN
   S: 334 VXNlcm5hbWU6
   C+ dGVzdA==<CRLF>
   S: 334 UGFzc3dvcmQ6
   C+ d3Jvbmc=<CRLF>
   S: 535 5.7.8 Authentication credentials invalid
   C: AUTH LOGIN dGVzdA==
   S: 334 UGFzc3dvcmQ6
   C+ MTIzNA==<CRLF>
   S: 235 2.7.0 Authentication successful
";

/// RFC 3207 4.2 / CVE-2011-0411: a command pipelined after STARTTLS in the
/// same packet is discarded, not run after the handshake.
pub const STARTTLS_INJECTION: &str = "
   S: 220 mx.example ESMTP
   C: EHLO client.example
   S: 250-mx.example
   S: 250 STARTTLS
   C: STARTTLS
   C: MAIL FROM:<injected@evil.example>
   C: RCPT TO:<victim@mx.example>
   S: 220 2.0.0 Ready to start TLS
   C: <TLS>
   C: MAIL FROM:<after@tls.example>
   S: 503 5.5.1 send EHLO first
   C: EHLO client.example
   S: 250 mx.example
   C: MAIL FROM:<after@tls.example>
   S: 250 OK
";

/// RFC 1870 6: a declared size over the limit is refused at MAIL.
pub const SIZE_DECLARED: &str = "
   S: 220 thor.innosoft.com ESMTP
   C: EHLO ymir.claremont.edu
   S: 250-thor.innosoft.com
   S: 250 SIZE 1000000
   C: MAIL FROM:<ned@thor.innosoft.com> SIZE=500000
   S: 250 Address Ok.
   C: RSET
   S: 250 OK
   C: MAIL FROM:<ned@thor.innosoft.com> SIZE=1000001
   S: 552 5.3.4 message too large
";

/// Every transcript with the configuration it runs under.
pub fn all() -> Vec<(&'static str, smtp_proto::server::Config, &'static str)> {
    let c = super::config;
    let lmtp = || smtp_proto::server::Config {
        mode: smtp_proto::server::Mode::Lmtp,
        ..c()
    };
    let sized = || {
        let mut x = c();
        x.limits.message_size = Some(1_000_000);
        x
    };
    vec![
        ("D1", c(), D1),
        ("D2", c(), D2),
        ("D3_1", c(), D3_1),
        ("D3_2", c(), D3_2),
        ("D4", c(), D4),
        ("PIPELINED", c(), PIPELINED),
        ("PIPELINED_NO_RECIPIENTS", c(), PIPELINED_NO_RECIPIENTS),
        ("LMTP", lmtp(), LMTP),
        ("BDAT_SIMPLE", c(), BDAT_SIMPLE),
        ("BDAT_CHUNKS", c(), BDAT_CHUNKS),
        ("AUTH_AFTER_STARTTLS", c(), AUTH_AFTER_STARTTLS),
        ("AUTH_PLAIN_CHALLENGE", c(), AUTH_PLAIN_CHALLENGE),
        ("AUTH_LOGIN", c(), AUTH_LOGIN),
        ("STARTTLS_INJECTION", c(), STARTTLS_INJECTION),
        ("SIZE_DECLARED", sized(), SIZE_DECLARED),
    ]
}
