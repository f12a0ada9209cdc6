//! main.cf and dovecot.conf parsing against Postfix's and Dovecot's
//! documented defaults and syntax rules.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use mta_core::config::{
    AccessConfig, ConfigError, Environment, InetInterfaces, Loaded, MailboxFormat, MainCf,
    MainConfig, MynetworksStyle, Protocol, Restriction, SslMode, SyntaxProblem, TlsSecurityLevel,
    ValueProblem, WarningKind,
};
use mta_core::maps::{IpNetwork, TableKind, TableRef};

fn env() -> Environment {
    Environment::loopback("mx.example.com")
}

fn load(text: &str) -> Loaded {
    let cf = MainCf::parse_str(text, "/etc/missive/main.cf").expect("syntax");
    MainConfig::from_cf(&cf, &env()).expect("values")
}

fn load_err(text: &str) -> ConfigError {
    match MainCf::parse_str(text, "/etc/missive/main.cf") {
        Err(e) => e,
        Ok(cf) => MainConfig::from_cf(&cf, &env()).expect_err("should fail"),
    }
}

fn no_tables(_: &TableRef, _: &str) -> bool {
    false
}

fn table(s: &str) -> TableRef {
    s.parse().unwrap()
}

/// Every parameter the issue lists, with the default postconf(5) documents.
#[test]
fn postfix_defaults() {
    let loaded = load("");
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let c = loaded.config;
    assert_eq!(c.myhostname, "mx.example.com");
    assert_eq!(c.mydomain, "example.com");
    assert_eq!(c.myorigin, "mx.example.com");
    // $myhostname, localhost.$mydomain, localhost
    for d in ["mx.example.com", "localhost.example.com", "localhost"] {
        assert!(c.mydestination.matches(d, &no_tables), "{d}");
    }
    assert!(!c.mydestination.matches("example.com", &no_tables));
    assert_eq!(c.mynetworks_style, MynetworksStyle::Host);
    // host style over the loopback interfaces: 127.0.0.1/32 and [::1]/128.
    let lo: IpAddr = "127.0.0.1".parse().unwrap();
    assert!(c.mynetworks.matches(lo, &no_tables));
    assert!(c.mynetworks.matches("::1".parse().unwrap(), &no_tables));
    assert!(
        !c.mynetworks
            .matches("127.0.0.2".parse().unwrap(), &no_tables)
    );
    assert!(c.relay_domains.is_empty());
    assert_eq!(c.relayhost, None);
    assert_eq!(c.inet_interfaces, InetInterfaces::All);
    assert!(c.inet_protocols.ipv4 && c.inet_protocols.ipv6);
    assert_eq!(c.smtpd_banner, "mx.example.com ESMTP Postfix");
    assert_eq!(c.message_size_limit, 10_240_000);
    assert_eq!(c.recipient_delimiter, "");
    assert_eq!(c.mail_spool_directory, PathBuf::from("/var/mail"));
    assert_eq!(c.home_mailbox, "");
    assert_eq!(c.alias_maps, vec![table("hash:/etc/aliases")]);
    assert!(c.transport_maps.is_empty());
    assert!(c.virtual_alias_maps.is_empty());
    assert!(c.virtual_alias_domains.is_empty());
    assert!(c.virtual_mailbox_domains.is_empty());
    assert!(c.virtual_mailbox_maps.is_empty());
    assert_eq!(c.virtual_mailbox_base, PathBuf::from(""));
    assert_eq!(
        c.smtpd_relay_restrictions,
        vec![
            Restriction::PermitMynetworks,
            Restriction::PermitSaslAuthenticated,
            Restriction::DeferUnauthDestination
        ]
    );
    assert!(c.smtpd_recipient_restrictions.is_empty());
    assert!(c.smtpd_reject_unlisted_recipient);
    assert_eq!(c.smtpd_tls_cert_file, None);
    assert_eq!(c.smtpd_tls_key_file, None);
    assert_eq!(c.smtpd_tls_security_level, TlsSecurityLevel::None);
    assert_eq!(c.maximal_queue_lifetime, Duration::from_secs(5 * 86_400));
    assert_eq!(c.bounce_queue_lifetime, Duration::from_secs(5 * 86_400));
    assert_eq!(c.minimal_backoff_time, Duration::from_secs(300));
    assert_eq!(c.maximal_backoff_time, Duration::from_secs(4000));
    assert_eq!(c.queue_directory, PathBuf::from("/var/spool/postfix"));
    assert_eq!(c.hopcount_limit, 50);
    assert_eq!(c.default_transport, "smtp");
    assert_eq!(c.relay_transport, "relay");
    assert_eq!(c.local_transport, "local:mx.example.com");
    assert_eq!(c.virtual_transport, "virtual");
    assert_eq!(c.virtual_alias_recursion_limit, 1000);
    assert_eq!(c.virtual_alias_expansion_limit, 1000);
    assert!(c.parent_matches("relay_domains"));
    assert!(c.parent_matches("smtpd_access_maps"));
    assert!(!c.parent_matches("mydestination"));
    assert!(!c.parent_matches("transport_maps"));
    assert_eq!(c.smtpd_null_access_lookup_key, "<>");
    assert!(c.allow_mail_to_commands.alias && c.allow_mail_to_commands.forward);
    assert!(!c.allow_mail_to_commands.include);
    assert!(c.propagate_virtual_extensions);
    assert_eq!(c.codes.reject, 554);
    assert_eq!(c.codes.defer, 450);
    assert_eq!(c.codes.relay_reject, 554);
    assert_eq!(c.codes.access_reject, 554);
    assert_eq!(c.codes.access_defer, 450);
    assert_eq!(c.codes.unknown_local, 550);
}

#[test]
fn hostname_and_domain_rules() {
    // A name without a dot: mydomain falls back to "localdomain".
    let cf = MainCf::parse_str("", "main.cf").unwrap();
    let c = MainConfig::from_cf(&cf, &Environment::loopback("box"))
        .unwrap()
        .config;
    assert_eq!(c.myhostname, "box");
    assert_eq!(c.mydomain, "localdomain");
    // A short host name gets .$mydomain when mydomain is set.
    let cf = MainCf::parse_str("mydomain = example.org", "main.cf").unwrap();
    let c = MainConfig::from_cf(&cf, &Environment::loopback("box"))
        .unwrap()
        .config;
    assert_eq!(c.myhostname, "box.example.org");
    // An explicit mydomain wins over the derived one.
    let c = load("mydomain = example.net").config;
    assert_eq!(c.mydomain, "example.net");
    assert!(c.mydestination.matches("localhost.example.net", &no_tables));
}

#[test]
fn syntax_comments_continuations_last_wins() {
    let text = "# a comment\n\
                \n\
                mydestination = a.example,\n\
                \x20   b.example\n\
                \x20 # a comment inside the continued value\n\
                \tc.example\n\
                smtpd_banner = $myhostname ESMTP # not a comment\n\
                message_size_limit = 1\n\
                message_size_limit = 2\n";
    let loaded = load(text);
    let c = &loaded.config;
    for d in ["a.example", "b.example", "c.example"] {
        assert!(c.mydestination.matches(d, &no_tables), "{d}");
    }
    assert_eq!(c.smtpd_banner, "mx.example.com ESMTP # not a comment");
    assert_eq!(c.message_size_limit, 2);
    assert_eq!(loaded.warnings.len(), 1);
    let w = &loaded.warnings[0];
    assert_eq!(w.kind, WarningKind::Duplicate("message_size_limit".into()));
    assert_eq!(w.location.line, Some(9));
    assert!(w.to_string().starts_with("/etc/missive/main.cf:9:"), "{w}");
}

#[test]
fn expansion_is_lazy_and_supports_conditionals() {
    let text = "smtpd_banner = $mail_name at ${myhostname} ($(mydomain))\n\
                mail_name = missive\n\
                relayhost = ${custom_relay?[$custom_relay]:25}\n\
                custom_relay = smarthost.example\n\
                home_mailbox = ${unset_thing:Maildir/}\n\
                mail_spool_directory = ${myhostname?{/var/mail}:{/nowhere}}\n\
                queue_directory = ${unset_thing?{/a}:{/b}}\n\
                virtual_mailbox_base = /srv/$$literal\n";
    let loaded = load(text);
    let c = &loaded.config;
    assert_eq!(c.smtpd_banner, "missive at mx.example.com (example.com)");
    assert_eq!(c.relayhost.as_deref(), Some("[smarthost.example]:25"));
    assert_eq!(c.home_mailbox, "Maildir/");
    assert_eq!(c.mail_spool_directory, PathBuf::from("/var/mail"));
    assert_eq!(c.queue_directory, PathBuf::from("/b"));
    assert_eq!(c.virtual_mailbox_base, PathBuf::from("/srv/$literal"));
    // custom_relay is referenced by a known parameter: no "unknown" warning.
    // unset_thing is undefined: it warns.
    assert!(
        !loaded
            .warnings
            .iter()
            .any(|w| matches!(&w.kind, WarningKind::UnknownParameter(_)))
    );
    assert!(
        loaded
            .warnings
            .iter()
            .any(|w| w.kind == WarningKind::UndefinedParameter("unset_thing".into()))
    );
}

#[test]
fn unknown_parameters_warn_with_location() {
    let loaded = load("myhostname = a.example\nbiff = no\nreadme_directory = no\n");
    let unknown: Vec<_> = loaded
        .warnings
        .iter()
        .filter_map(|w| match &w.kind {
            WarningKind::UnknownParameter(n) => Some((n.clone(), w.location.line)),
            _ => None,
        })
        .collect();
    assert_eq!(
        unknown,
        [
            ("biff".into(), Some(2)),
            ("readme_directory".into(), Some(3))
        ]
    );
}

#[test]
fn time_units_and_default_units() {
    let c = load(
        "maximal_queue_lifetime = 2\n\
         bounce_queue_lifetime = 3h\n\
         minimal_backoff_time = 90\n\
         maximal_backoff_time = 1w\n",
    )
    .config;
    // maximal_queue_lifetime and bounce_queue_lifetime count days when bare.
    assert_eq!(c.maximal_queue_lifetime, Duration::from_secs(2 * 86_400));
    assert_eq!(c.bounce_queue_lifetime, Duration::from_secs(3 * 3600));
    // The backoff times count seconds when bare.
    assert_eq!(c.minimal_backoff_time, Duration::from_secs(90));
    assert_eq!(c.maximal_backoff_time, Duration::from_secs(7 * 86_400));
    let c = load("minimal_backoff_time = 10m\nmaximal_queue_lifetime = 0").config;
    assert_eq!(c.minimal_backoff_time, Duration::from_secs(600));
    assert_eq!(c.maximal_queue_lifetime, Duration::ZERO);
}

#[test]
fn bad_values_name_file_line_parameter() {
    let cases: &[(&str, usize, &str)] = &[
        (
            "a = 1\nmaximal_queue_lifetime = 5x\n",
            2,
            "maximal_queue_lifetime",
        ),
        ("message_size_limit = 10M\n", 1, "message_size_limit"),
        ("message_size_limit = -1\n", 1, "message_size_limit"),
        ("hopcount_limit = 99999999999\n", 1, "hopcount_limit"),
        (
            "\n\nsmtpd_recipient_restrictions = permit_mynetworks, reject_spam_now\n",
            3,
            "smtpd_recipient_restrictions",
        ),
        (
            "smtpd_relay_restrictions = check_client_access\n",
            1,
            "smtpd_relay_restrictions",
        ),
        ("alias_maps = mysql:/etc/x.cf\n", 1, "alias_maps"),
        ("mynetworks = 10.0.0.0/33\n", 1, "mynetworks"),
        ("mynetworks_style = everything\n", 1, "mynetworks_style"),
        (
            "smtpd_tls_security_level = dane\n",
            1,
            "smtpd_tls_security_level",
        ),
        (
            "smtpd_reject_unlisted_recipient = maybe\n",
            1,
            "smtpd_reject_unlisted_recipient",
        ),
        ("smtpd_banner = $a\na = $b\nb = $a\n", 1, "smtpd_banner"),
        ("smtpd_banner = ${myhostname\n", 1, "smtpd_banner"),
    ];
    for (text, line, parameter) in cases {
        let e = load_err(text);
        match &e {
            ConfigError::Value {
                location,
                parameter: p,
                ..
            } => {
                assert_eq!(location.line, Some(*line), "{text}: {e}");
                assert_eq!(p, parameter, "{text}");
                let shown = e.to_string();
                assert!(
                    shown.starts_with(&format!(
                        "/etc/missive/main.cf:{line}: bad value for parameter {parameter}:"
                    )),
                    "{shown}"
                );
            }
            other => panic!("{text}: {other:?}"),
        }
    }
}

#[test]
fn syntax_errors() {
    let e = load_err("myhostname = a\nthis line has no equals\n");
    match e {
        ConfigError::Syntax { location, problem } => {
            assert_eq!(location.line, Some(2));
            assert!(matches!(problem, SyntaxProblem::MissingEquals(_)));
        }
        other => panic!("{other:?}"),
    }
    let e = load_err("bad-name = 1\n");
    assert!(matches!(
        e,
        ConfigError::Syntax {
            problem: SyntaxProblem::BadName(_),
            ..
        }
    ));
}

#[test]
fn open_relay_configuration_is_refused() {
    let e = load_err("smtpd_relay_restrictions = permit_mynetworks, permit\n");
    assert!(matches!(
        e,
        ConfigError::Value {
            problem: ValueProblem::OpenRelay,
            ..
        }
    ));
    let e =
        load_err("smtpd_relay_restrictions =\nsmtpd_recipient_restrictions = permit_mynetworks\n");
    assert!(matches!(
        e,
        ConfigError::Value {
            problem: ValueProblem::OpenRelay,
            ..
        }
    ));
    // Postfix 2.x style: everything in smtpd_recipient_restrictions.
    let c = load(
        "smtpd_relay_restrictions =\n\
         smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination,\n\
         \x20 check_recipient_access hash:/etc/postfix/access\n",
    )
    .config;
    assert_eq!(
        c.smtpd_recipient_restrictions,
        vec![
            Restriction::PermitMynetworks,
            Restriction::RejectUnauthDestination,
            Restriction::CheckRecipientAccess(table("hash:/etc/postfix/access")),
        ]
    );
}

#[test]
fn lists_tables_and_networks() {
    let c = load(
        "alias_maps = hash:/etc/aliases, texthash:/etc/more-aliases lmdb:/x\n\
         mynetworks = 127.0.0.0/8 [::ffff:127.0.0.0]/104, [::1]/128 192.0.2.7 cidr:/etc/postfix/nets\n\
         relay_domains = !bad.example.org, example.org, hash:/etc/postfix/relay\n\
         virtual_alias_maps = hash:/etc/postfix/virtual\n\
         inet_interfaces = loopback-only\n\
         inet_protocols = ipv4\n",
    )
    .config;
    assert_eq!(c.alias_maps.len(), 3);
    assert!(c.alias_maps.iter().all(|t| t.kind == TableKind::Indexed));
    assert_eq!(c.alias_maps[1].type_name, "texthash");
    assert!(
        c.mynetworks
            .matches("127.9.9.9".parse().unwrap(), &no_tables)
    );
    assert!(
        c.mynetworks
            .matches("::ffff:127.0.0.1".parse().unwrap(), &no_tables)
    );
    assert!(
        c.mynetworks
            .matches("192.0.2.7".parse().unwrap(), &no_tables)
    );
    assert!(
        !c.mynetworks
            .matches("192.0.2.8".parse().unwrap(), &no_tables)
    );
    let nets = table("cidr:/etc/postfix/nets");
    let in_table = |t: &TableRef, k: &str| *t == nets && k == "10.1.2.3";
    assert!(c.mynetworks.matches("10.1.2.3".parse().unwrap(), &in_table));
    // relay_domains: parent domains match subdomains by default.
    assert!(c.relay_domains.matches("example.org", &no_tables));
    assert!(c.relay_domains.matches("mx.example.org", &no_tables));
    assert!(!c.relay_domains.matches("bad.example.org", &no_tables));
    assert!(!c.relay_domains.matches("notexample.org", &no_tables));
    let relay = table("hash:/etc/postfix/relay");
    let in_relay = |t: &TableRef, k: &str| *t == relay && k == "partner.example";
    assert!(c.relay_domains.matches("mx.partner.example", &in_relay));
    // virtual_alias_domains defaults to $virtual_alias_maps.
    let v = table("hash:/etc/postfix/virtual");
    let in_virtual = |t: &TableRef, k: &str| *t == v && k == "hosted.example";
    assert!(
        c.virtual_alias_domains
            .matches("hosted.example", &in_virtual)
    );
    assert_eq!(c.inet_interfaces, InetInterfaces::LoopbackOnly);
    assert!(c.inet_protocols.ipv4 && !c.inet_protocols.ipv6);
}

#[test]
fn mydestination_needs_a_dot_for_subdomains() {
    let c = load("mydestination = example.com, .example.net").config;
    assert!(c.mydestination.matches("example.com", &no_tables));
    assert!(!c.mydestination.matches("sub.example.com", &no_tables));
    assert!(c.mydestination.matches("sub.example.net", &no_tables));
    assert!(!c.mydestination.matches("example.net", &no_tables));
}

#[test]
fn mynetworks_style_derivation() {
    let interfaces = vec![
        ("127.0.0.1".parse().unwrap(), 8),
        ("192.168.10.20".parse().unwrap(), 24),
        ("172.20.1.1".parse().unwrap(), 24),
        ("2001:db8::5".parse().unwrap(), 64),
    ];
    let env = Environment {
        hostname: "mx.example.com".into(),
        interfaces,
    };
    let derive = |style: &str| {
        let cf = MainCf::parse_str(&format!("mynetworks_style = {style}"), "main.cf").unwrap();
        MainConfig::from_cf(&cf, &env).unwrap().config.mynetworks
    };
    let net = |s: &str| -> IpNetwork { s.parse().unwrap() };
    let host = derive("host");
    assert_eq!(
        host,
        mta_core::config::NetworkList::from_networks(&[
            net("127.0.0.1/32"),
            net("192.168.10.20/32"),
            net("172.20.1.1/32"),
            net("[2001:db8::5]/128"),
        ])
    );
    let subnet = derive("subnet");
    assert!(subnet.matches("192.168.10.99".parse().unwrap(), &no_tables));
    assert!(!subnet.matches("192.168.11.1".parse().unwrap(), &no_tables));
    assert!(subnet.matches("2001:db8::ffff".parse().unwrap(), &no_tables));
    let class = derive("class");
    // 192.168.x is class C, 172.20.x class B, 127.x class A.
    assert!(class.matches("192.168.10.99".parse().unwrap(), &no_tables));
    assert!(class.matches("172.20.200.1".parse().unwrap(), &no_tables));
    assert!(!class.matches("172.21.0.1".parse().unwrap(), &no_tables));
    assert!(class.matches("127.200.0.1".parse().unwrap(), &no_tables));
}

#[test]
fn overrides_and_caller_defaults() {
    let mut cf = MainCf::parse_str(
        "mydomain = example.com\nmyhostname = mx.example.com",
        "main.cf",
    )
    .unwrap();
    // missive's start-anywhere defaults replace Postfix's only where the
    // file is silent.
    cf.default_param("mydomain", "localhost")
        .default_param("mail_name", "missive")
        .default_param("mynetworks", "127.0.0.0/8 [::1]/128");
    cf.override_param("message_size_limit", "1000");
    let c = MainConfig::from_cf(&cf, &env()).unwrap().config;
    assert_eq!(c.mydomain, "example.com");
    assert_eq!(c.smtpd_banner, "mx.example.com ESMTP missive");
    assert!(
        c.mynetworks
            .matches("127.0.0.2".parse().unwrap(), &no_tables)
    );
    assert_eq!(c.message_size_limit, 1000);
    let mut cf = MainCf::parse_str("message_size_limit = 5", "main.cf").unwrap();
    cf.override_param("message_size_limit", "6");
    assert_eq!(
        MainConfig::from_cf(&cf, &env())
            .unwrap()
            .config
            .message_size_limit,
        6
    );
}

#[test]
fn files_myorigin_and_missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let mailname = dir.path().join("mailname");
    std::fs::write(&mailname, "mail.example.org\n").unwrap();
    let main_cf = dir.path().join("main.cf");
    std::fs::write(
        &main_cf,
        format!(
            "myorigin = {}\nmyhostname = h.example.org\n",
            mailname.display()
        ),
    )
    .unwrap();
    let loaded = MainConfig::load(&main_cf, &env()).unwrap();
    assert_eq!(loaded.config.myorigin, "mail.example.org");
    let e = MainConfig::load(dir.path().join("absent.cf"), &env()).unwrap_err();
    assert!(matches!(e, ConfigError::Io { .. }));
    assert!(e.to_string().contains("absent.cf"));
}

#[test]
fn tls_settings() {
    let c = load(
        "smtpd_tls_cert_file = /etc/ssl/mail.pem\n\
         smtpd_tls_security_level = may\n",
    )
    .config;
    assert_eq!(
        c.smtpd_tls_cert_file,
        Some(PathBuf::from("/etc/ssl/mail.pem"))
    );
    // smtpd_tls_key_file defaults to $smtpd_tls_cert_file.
    assert_eq!(
        c.smtpd_tls_key_file,
        Some(PathBuf::from("/etc/ssl/mail.pem"))
    );
    assert_eq!(c.smtpd_tls_security_level, TlsSecurityLevel::May);
}

const DOVECOT: &str = r#"
## access settings
protocols = imap pop3   # comment after a value
listen = 127.0.0.1, ::1
mail_location = maildir:/srv/mail/%n/Maildir:INDEX=/srv/index/%n
disable_plaintext_auth = no
ssl = required
ssl_cert = </etc/ssl/certs/mail.pem
ssl_key = </etc/ssl/private/mail.key
login_greeting = "Ready # with a hash"

passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%n /etc/missive/users
}
userdb {
  driver = static
  args = uid=1000 gid=1000 home=/srv/mail/%n
}
service imap-login {
  inet_listener imap {
    port = 10143
  }
}
auth_failure_delay = 500 msecs
"#;

#[test]
fn dovecot_settings() {
    let loaded = AccessConfig::parse_str(DOVECOT, "dovecot.conf").unwrap();
    let c = &loaded.config;
    assert_eq!(c.protocols, [Protocol::Imap, Protocol::Pop3]);
    assert_eq!(c.listen, ["127.0.0.1", "::1"]);
    let loc = c.mail_location.as_ref().unwrap();
    assert_eq!(loc.format, MailboxFormat::Maildir);
    assert_eq!(loc.path, "/srv/mail/%n/Maildir");
    assert_eq!(loc.params, [("INDEX".into(), "/srv/index/%n".into())]);
    assert!(!c.disable_plaintext_auth);
    assert_eq!(c.auth_failure_delay, std::time::Duration::from_millis(500));
    assert_eq!(c.ssl, SslMode::Required);
    assert_eq!(c.ssl_cert, Some(PathBuf::from("/etc/ssl/certs/mail.pem")));
    assert_eq!(c.ssl_key, Some(PathBuf::from("/etc/ssl/private/mail.key")));
    assert_eq!(c.passdbs.len(), 1);
    let pw = c.passdbs[0].passwd_file().unwrap();
    assert_eq!(pw.path, PathBuf::from("/etc/missive/users"));
    assert_eq!(pw.scheme.as_deref(), Some("PLAIN"));
    assert_eq!(pw.username_format.as_deref(), Some("%n"));
    assert_eq!(c.passdbs[0].location.line, Some(12));
    assert_eq!(c.userdbs[0].driver, "static");
    assert!(c.userdbs[0].passwd_file().is_none());
    // login_greeting is unknown (warned), service is an ignored section
    // (warned once, its nested section silently).
    let kinds: Vec<_> = loaded.warnings.iter().map(|w| w.kind.clone()).collect();
    assert_eq!(
        kinds,
        [
            WarningKind::UnknownParameter("login_greeting".into()),
            WarningKind::UnknownSection("service imap-login".into()),
        ]
    );
}

#[test]
fn dovecot_defaults_and_errors() {
    let c = AccessConfig::parse_str("", "d.conf").unwrap().config;
    assert_eq!(
        c.protocols,
        [Protocol::Imap, Protocol::Pop3, Protocol::Lmtp]
    );
    assert_eq!(c.listen, ["*", "::"]);
    assert_eq!(c.ssl, SslMode::Yes);
    assert!(c.disable_plaintext_auth);
    assert_eq!(c.auth_failure_delay, std::time::Duration::from_secs(2));
    assert!(
        AccessConfig::parse_str(
            "auth_failure_delay = 2 fortnights
",
            "d.conf"
        )
        .is_err()
    );
    assert!(c.mail_location.is_none());
    // passdb with the driver in the section header (old syntax).
    let c = AccessConfig::parse_str("passdb passwd-file {\nargs = /etc/u\n}\n", "d.conf")
        .unwrap()
        .config;
    assert_eq!(
        c.passdbs[0].passwd_file().unwrap().path,
        PathBuf::from("/etc/u")
    );

    let err = |text: &str| AccessConfig::parse_str(text, "d.conf").unwrap_err();
    match err("a = 1\npassdb {\n driver = x\n") {
        ConfigError::Syntax { location, problem } => {
            assert_eq!(location.line, Some(2));
            assert!(matches!(problem, SyntaxProblem::UnclosedSection(_)));
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        err("}\n"),
        ConfigError::Syntax {
            problem: SyntaxProblem::UnexpectedClose,
            ..
        }
    ));
    match err("\nprotocols = imap smtp\n") {
        ConfigError::Value {
            location,
            parameter,
            ..
        } => {
            assert_eq!(location.line, Some(2));
            assert_eq!(parameter, "protocols");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        err("mail_location = \"maildir:~/Maildir\n"),
        ConfigError::Syntax {
            problem: SyntaxProblem::UnterminatedQuote,
            ..
        }
    ));
    assert!(matches!(
        err("disable_plaintext_auth = sometimes\n"),
        ConfigError::Value { .. }
    ));
    let deep = "a {\n".repeat(20);
    assert!(matches!(
        err(&deep),
        ConfigError::Syntax {
            problem: SyntaxProblem::TooDeep(_),
            ..
        }
    ));
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Arbitrary text never panics the main.cf reader or the typing step.
        #[test]
        fn main_cf_never_panics(text in "[ -~\t\n$={}?:,#]{0,300}") {
            if let Ok(cf) = MainCf::parse_str(&text, "main.cf") {
                let _ = MainConfig::from_cf(&cf, &env());
            }
        }

        /// Values built from the expansion alphabet never panic.
        #[test]
        fn expansions_never_panic(value in "[a-z_${}()?:. ]{0,80}") {
            let text = format!("smtpd_banner = {value}\nmail_name = x\n");
            let cf = MainCf::parse_str(&text, "main.cf").unwrap();
            let _ = MainConfig::from_cf(&cf, &env());
        }

        /// Arbitrary text never panics the dovecot.conf reader.
        #[test]
        fn dovecot_never_panics(text in "[ -~\t\n{}\"#=<]{0,300}") {
            let _ = AccessConfig::parse_str(&text, "d.conf");
        }
    }
}
