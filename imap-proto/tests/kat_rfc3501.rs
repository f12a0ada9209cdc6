//! Known answers: the example exchanges of RFC 3501 sections 6 to 8, each
//! parsed and serialized again. Where the serializer writes a different
//! but equivalent form, the expected bytes are given next to the wire
//! bytes; the accepted equivalences are:
//!
//! - a command name, keyword, flag or section name in any letter case is
//!   written in the RFC's spelling (`fetch 12 full` -> `FETCH 12 FULL`,
//!   `\deleted` -> `\Deleted`, `body[header]` -> `BODY[HEADER]`);
//! - `inbox` is written `INBOX` (RFC 3501 section 5.1);
//! - a string is written as an atom where the grammar allows one and the
//!   content fits, else quoted, else as a literal, whatever form it came in
//!   (`"comp.mail.*"` stays quoted as a list-mailbox... only when needed);
//! - STORE flags are always written as a parenthesized list;
//! - a FETCH attribute list of one is written without parentheses.

mod common;
use common::{Dir, check};

#[test]
fn section_6_1_any_state() {
    check(Dir::C, b"abcd CAPABILITY\r\n", None);
    check(
        Dir::S,
        b"* CAPABILITY IMAP4rev1 STARTTLS AUTH=GSSAPI\r\n",
        None,
    );
    check(Dir::S, b"abcd OK CAPABILITY completed\r\n", None);
    check(Dir::C, b"efgh STARTTLS\r\n", None);
    check(Dir::S, b"efgh OK STARTLS completed\r\n", None);
    check(Dir::C, b"ijkl CAPABILITY\r\n", None);
    check(
        Dir::S,
        b"* CAPABILITY IMAP4rev1 AUTH=GSSAPI AUTH=PLAIN\r\n",
        None,
    );
    check(Dir::S, b"ijkl OK CAPABILITY completed\r\n", None);
    check(Dir::C, b"a002 NOOP\r\n", None);
    check(Dir::S, b"a002 OK NOOP completed\r\n", None);
    check(Dir::C, b"a047 NOOP\r\n", None);
    check(Dir::S, b"* 22 EXPUNGE\r\n", None);
    check(Dir::S, b"* 23 EXISTS\r\n", None);
    check(Dir::S, b"* 3 RECENT\r\n", None);
    check(Dir::S, b"* 14 FETCH (FLAGS (\\Seen \\Deleted))\r\n", None);
    check(Dir::S, b"a047 OK NOOP completed\r\n", None);
    check(Dir::C, b"A023 LOGOUT\r\n", None);
    check(Dir::S, b"* BYE IMAP4rev1 Server logging out\r\n", None);
    check(Dir::S, b"A023 OK LOGOUT completed\r\n", None);
}

#[test]
fn section_6_2_not_authenticated() {
    check(Dir::C, b"a001 CAPABILITY\r\n", None);
    check(
        Dir::S,
        b"* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\r\n",
        None,
    );
    check(Dir::S, b"a001 OK CAPABILITY completed\r\n", None);
    check(Dir::C, b"a002 STARTTLS\r\n", None);
    check(Dir::S, b"a002 OK Begin TLS negotiation now\r\n", None);
    check(Dir::C, b"a004 LOGIN joe password\r\n", None);
    check(Dir::S, b"a004 OK LOGIN completed\r\n", None);
    // 6.2.2: the GSSAPI exchange; challenges are base64 continuations.
    check(Dir::C, b"A001 AUTHENTICATE GSSAPI\r\n", None);
    check(Dir::S, b"+ \r\n", None);
    check(Dir::S, b"+ YGgGCSqGSIb3EgECAgIAb1kwV6ADAgEFoQMCAQ+iSzBJoAMCAQGiQgRAtHTEuOP2BXb9sBYFR4SJlDZxmg39IxmRBOhXRKdDA0uHTCOT9Bq3OsUTXUlk0CsFLoa8j+gvGDlgHuqzWHPSQg==\r\n", None);
    check(
        Dir::S,
        b"A001 OK GSSAPI authentication successful\r\n",
        None,
    );
    check(Dir::C, b"a001 LOGIN SMITH SESAME\r\n", None);
    check(Dir::S, b"a001 OK LOGIN completed\r\n", None);
}

#[test]
fn section_6_3_authenticated() {
    check(Dir::C, b"A142 SELECT INBOX\r\n", None);
    check(Dir::S, b"* 172 EXISTS\r\n", None);
    check(Dir::S, b"* 1 RECENT\r\n", None);
    check(
        Dir::S,
        b"* OK [UNSEEN 12] Message 12 is first unseen\r\n",
        None,
    );
    check(
        Dir::S,
        b"* OK [UIDVALIDITY 3857529045] UIDs valid\r\n",
        None,
    );
    check(Dir::S, b"* OK [UIDNEXT 4392] Predicted next UID\r\n", None);
    check(
        Dir::S,
        b"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n",
        None,
    );
    check(
        Dir::S,
        b"* OK [PERMANENTFLAGS (\\Deleted \\Seen \\*)] Limited\r\n",
        None,
    );
    check(Dir::S, b"A142 OK [READ-WRITE] SELECT completed\r\n", None);
    check(Dir::C, b"A932 EXAMINE blurdybloop\r\n", None);
    check(
        Dir::S,
        b"* OK [PERMANENTFLAGS ()] No permanent flags permitted\r\n",
        None,
    );
    check(Dir::S, b"A932 OK [READ-ONLY] EXAMINE completed\r\n", None);
    check(Dir::C, b"A003 CREATE owatagusiam/\r\n", None);
    check(Dir::S, b"A003 OK CREATE completed\r\n", None);
    check(Dir::C, b"A004 CREATE owatagusiam/blurdybloop\r\n", None);
    check(Dir::C, b"A682 LIST \"\" *\r\n", None);
    check(Dir::S, b"* LIST () \"/\" blurdybloop\r\n", None);
    check(Dir::S, b"* LIST (\\Noselect) \"/\" foo\r\n", None);
    check(Dir::S, b"* LIST () \"/\" foo/bar\r\n", None);
    check(Dir::S, b"A682 OK LIST completed\r\n", None);
    check(Dir::C, b"A683 DELETE blurdybloop\r\n", None);
    check(
        Dir::S,
        b"A684 NO Name \"foo\" has inferior hierarchical names\r\n",
        None,
    );
    check(Dir::C, b"A685 DELETE foo/bar\r\n", None);
    check(Dir::C, b"A86 LIST \"\" %\r\n", None);
    check(Dir::S, b"* LIST (\\Noselect) \".\" foo\r\n", None);
    check(Dir::S, b"* LIST () \".\" foo.bar\r\n", None);
    check(Dir::C, b"A683 RENAME blurdybloop sarasoop\r\n", None);
    check(Dir::C, b"A684 RENAME foo zowie\r\n", None);
    check(Dir::S, b"* LIST () \".\" INBOX\r\n", None);
    check(Dir::S, b"* LIST () \".\" INBOX.bar\r\n", None);
    check(Dir::C, b"Z433 RENAME INBOX old-mail\r\n", None);
    check(Dir::C, b"A002 SUBSCRIBE #news.comp.mail.mime\r\n", None);
    check(Dir::C, b"A002 UNSUBSCRIBE #news.comp.mail.mime\r\n", None);
    check(Dir::S, b"A002 OK UNSUBSCRIBE completed\r\n", None);
    check(Dir::C, b"A101 LIST \"\" \"\"\r\n", None);
    check(Dir::S, b"* LIST (\\Noselect) \"/\" \"\"\r\n", None);
    check(Dir::C, b"A102 LIST #news.comp.mail.misc \"\"\r\n", None);
    check(Dir::S, b"* LIST (\\Noselect) \".\" #news.\r\n", None);
    check(Dir::C, b"A103 LIST /usr/staff/jones \"\"\r\n", None);
    check(Dir::S, b"* LIST (\\Noselect) \"/\" /\r\n", None);
    check(Dir::C, b"A202 LIST ~/Mail/ %\r\n", None);
    check(Dir::S, b"* LIST (\\Noselect) \"/\" ~/Mail/foo\r\n", None);
    check(Dir::S, b"* LIST () \"/\" ~/Mail/meetings\r\n", None);
    // LSUB: quoted patterns that are valid list-mailbox atoms are written bare.
    check(
        Dir::C,
        b"A002 LSUB \"#news.\" \"comp.mail.*\"\r\n",
        Some(b"A002 LSUB #news. comp.mail.*\r\n"),
    );
    check(Dir::S, b"* LSUB () \".\" #news.comp.mail.mime\r\n", None);
    check(Dir::S, b"* LSUB () \".\" #news.comp.mail.misc\r\n", None);
    check(
        Dir::C,
        b"A003 LSUB \"#news.\" \"comp.%\"\r\n",
        Some(b"A003 LSUB #news. comp.%\r\n"),
    );
    // \NoSelect is written in the RFC's spelling \Noselect.
    check(
        Dir::S,
        b"* LSUB (\\NoSelect) \".\" #news.comp.mail\r\n",
        Some(b"* LSUB (\\Noselect) \".\" #news.comp.mail\r\n"),
    );
    check(
        Dir::C,
        b"A042 STATUS blurdybloop (UIDNEXT MESSAGES)\r\n",
        None,
    );
    check(
        Dir::S,
        b"* STATUS blurdybloop (MESSAGES 231 UIDNEXT 44292)\r\n",
        None,
    );
    check(Dir::S, b"A042 OK STATUS completed\r\n", None);
    let msg = b"Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)\r\nFrom: Fred Foobar <foobar@Blurdybloop.COM>\r\nSubject: afternoon meeting\r\nTo: mooch@owatagu.siam.edu\r\nMessage-Id: <B27397-0100000@Blurdybloop.COM>\r\nMIME-Version: 1.0\r\nContent-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n\r\nHello Joe, do you think we can meet at 3:30 tomorrow?\r\n";
    assert_eq!(msg.len(), 310);
    let mut append = b"A003 APPEND saved-messages (\\Seen) {310}\r\n".to_vec();
    append.extend_from_slice(msg);
    append.extend_from_slice(b"\r\n");
    check(Dir::C, &append, None);
    check(Dir::S, b"+ Ready for literal data\r\n", None);
    check(Dir::S, b"A003 OK APPEND completed\r\n", None);
}

#[test]
fn section_6_4_selected() {
    check(Dir::C, b"FXXZ CHECK\r\n", None);
    check(Dir::S, b"FXXZ OK CHECK Completed\r\n", None);
    check(Dir::C, b"A341 CLOSE\r\n", None);
    check(Dir::C, b"A202 EXPUNGE\r\n", None);
    check(Dir::S, b"* 3 EXPUNGE\r\n", None);
    check(Dir::S, b"A202 OK EXPUNGE completed\r\n", None);
    check(
        Dir::C,
        b"A282 SEARCH FLAGGED SINCE 1-Feb-1994 NOT FROM \"Smith\"\r\n",
        Some(b"A282 SEARCH FLAGGED SINCE 1-Feb-1994 NOT FROM Smith\r\n"),
    );
    check(Dir::S, b"* SEARCH 2 84 882\r\n", None);
    check(
        Dir::C,
        b"A283 SEARCH TEXT \"string not in mailbox\"\r\n",
        None,
    );
    check(Dir::S, b"* SEARCH\r\n", None);
    check(
        Dir::C,
        b"A284 SEARCH CHARSET UTF-8 TEXT {6}\r\nXXXXXX\r\n",
        Some(b"A284 SEARCH CHARSET UTF-8 TEXT XXXXXX\r\n"),
    );
    check(Dir::S, b"* SEARCH 43\r\n", None);
    check(
        Dir::C,
        b"A654 FETCH 2:4 (FLAGS BODY[HEADER.FIELDS (DATE FROM)])\r\n",
        None,
    );
    check(Dir::C, b"A003 STORE 2:4 +FLAGS (\\Deleted)\r\n", None);
    check(Dir::S, b"* 2 FETCH (FLAGS (\\Deleted \\Seen))\r\n", None);
    check(
        Dir::S,
        b"* 4 FETCH (FLAGS (\\Deleted \\Flagged \\Seen))\r\n",
        None,
    );
    check(Dir::C, b"A003 COPY 2:4 MEETING\r\n", None);
    check(Dir::S, b"A003 OK COPY completed\r\n", None);
    check(Dir::C, b"A999 UID FETCH 4827313:4828442 FLAGS\r\n", None);
    check(Dir::S, b"* 23 FETCH (FLAGS (\\Seen) UID 4827313)\r\n", None);
    check(Dir::S, b"A999 OK UID FETCH completed\r\n", None);
    check(Dir::S, b"* CAPABILITY IMAP4rev1 XPIG-LATIN\r\n", None);
}

#[test]
fn section_7_responses() {
    check(Dir::S, b"* OK IMAP4rev1 server ready\r\n", None);
    check(Dir::C, b"A001 LOGIN fred blurdybloop\r\n", None);
    check(
        Dir::S,
        b"* OK [ALERT] System shutdown in 10 minutes\r\n",
        None,
    );
    check(Dir::S, b"A001 OK LOGIN Completed\r\n", None);
    check(Dir::C, b"A222 COPY 1:2 owatagusiam\r\n", None);
    check(
        Dir::S,
        b"* NO Disk is 98% full, please delete unnecessary data\r\n",
        None,
    );
    check(Dir::C, b"A223 COPY 3:200 blurdybloop\r\n", None);
    check(Dir::S, b"A223 NO COPY failed: disk is full\r\n", None);
    check(Dir::S, b"* BAD Command line too long\r\n", None);
    check(Dir::S, b"* BAD Empty command line\r\n", None);
    check(Dir::C, b"A443 EXPUNGE\r\n", None);
    check(
        Dir::S,
        b"* BAD Disk crash, attempting salvage to a new disk!\r\n",
        None,
    );
    check(Dir::S, b"* OK Salvage successful, no data lost\r\n", None);
    check(Dir::S, b"A443 OK Expunge completed\r\n", None);
    check(
        Dir::S,
        b"* PREAUTH IMAP4rev1 server logged in as Smith\r\n",
        None,
    );
    check(Dir::S, b"* BYE Autologout; idle for too long\r\n", None);
    check(
        Dir::S,
        b"* CAPABILITY IMAP4rev1 STARTTLS AUTH=GSSAPI XPIG-LATIN\r\n",
        None,
    );
    check(Dir::S, b"* LIST (\\Noselect) \"/\" ~/Mail/foo\r\n", None);
    check(Dir::S, b"* LSUB () \".\" #news.comp.mail.misc\r\n", None);
    check(Dir::S, b"* SEARCH 2 3 6\r\n", None);
    check(Dir::S, b"* 5 RECENT\r\n", None);
    check(Dir::S, b"* 44 EXPUNGE\r\n", None);
    check(
        Dir::S,
        b"* 23 FETCH (FLAGS (\\Seen) RFC822.SIZE 44827)\r\n",
        None,
    );
    // 7.5: literals in a command; a string literal without CR/LF is written quoted.
    check(
        Dir::C,
        b"A001 LOGIN {11}\r\nFRED FOOBAR {7}\r\nfat man\r\n",
        Some(b"A001 LOGIN \"FRED FOOBAR\" \"fat man\"\r\n"),
    );
    check(Dir::S, b"+ Ready for additional command text\r\n", None);
    check(
        Dir::S,
        b"A044 BAD No such command as \"BLURDYBLOOP\"\r\n",
        None,
    );
}

#[test]
fn section_8_sample_session() {
    check(Dir::S, b"* OK IMAP4rev1 Service Ready\r\n", None);
    check(
        Dir::C,
        b"a001 login mrc secret\r\n",
        Some(b"a001 LOGIN mrc secret\r\n"),
    );
    check(
        Dir::C,
        b"a002 select inbox\r\n",
        Some(b"a002 SELECT INBOX\r\n"),
    );
    check(Dir::S, b"* 18 EXISTS\r\n", None);
    check(
        Dir::S,
        b"* OK [UNSEEN 17] Message 17 is the first unseen message\r\n",
        None,
    );
    check(Dir::S, b"a002 OK [READ-WRITE] SELECT completed\r\n", None);
    check(
        Dir::C,
        b"a003 fetch 12 full\r\n",
        Some(b"a003 FETCH 12 FULL\r\n"),
    );
    check(Dir::S, b"* 12 FETCH (FLAGS (\\Seen) INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" RFC822.SIZE 4286 ENVELOPE (\"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\" \"IMAP4rev1 WG mtg summary and minutes\" ((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) ((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) ((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) ((NIL NIL \"imap\" \"cac.washington.edu\")) ((NIL NIL \"minutes\" \"CNRI.Reston.VA.US\")(\"John Klensin\" NIL \"KLENSIN\" \"MIT.EDU\")) NIL NIL \"<B27397-0100000@cac.washington.edu>\") BODY (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 3028 92))\r\n", None);
    check(Dir::S, b"a003 OK FETCH completed\r\n", None);
    check(
        Dir::C,
        b"a004 fetch 12 body[header]\r\n",
        Some(b"a004 FETCH 12 BODY[HEADER]\r\n"),
    );
    let hdr = b"Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\r\nFrom: Terry Gray <gray@cac.washington.edu>\r\nSubject: IMAP4rev1 WG mtg summary and minutes\r\nTo: imap@cac.washington.edu\r\ncc: minutes@CNRI.Reston.VA.US, John Klensin <KLENSIN@MIT.EDU>\r\nMessage-Id: <B27397-0100000@cac.washington.edu>\r\nMIME-Version: 1.0\r\nContent-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n\r\n";
    assert_eq!(hdr.len(), 342);
    let mut f = b"* 12 FETCH (BODY[HEADER] {342}\r\n".to_vec();
    f.extend_from_slice(hdr);
    f.extend_from_slice(b")\r\n");
    check(Dir::S, &f, None);
    check(Dir::S, b"a004 OK FETCH completed\r\n", None);
    check(
        Dir::C,
        b"a005 store 12 +flags \\deleted\r\n",
        Some(b"a005 STORE 12 +FLAGS (\\Deleted)\r\n"),
    );
    check(Dir::S, b"* 12 FETCH (FLAGS (\\Seen \\Deleted))\r\n", None);
    check(Dir::S, b"a005 OK +FLAGS completed\r\n", None);
    check(Dir::C, b"a006 logout\r\n", Some(b"a006 LOGOUT\r\n"));
    check(
        Dir::S,
        b"* BYE IMAP4rev1 server terminating connection\r\n",
        None,
    );
    check(Dir::S, b"a006 OK LOGOUT completed\r\n", None);
}
