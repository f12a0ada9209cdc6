//! Bodies of the fuzz targets, as library functions so that a normal test
//! can replay the fuzz corpus. Not a stable API.

use std::net::IpAddr;

use crate::config::{AccessConfig, Environment, MainCf, MainConfig};
use crate::maps::{Access, Aliases, MapList, Table, TableKind, TableRef, Transport, Virtual};
use crate::router::{Mailbox, RcptContext, ReversePath, Router, StaticUsers, Tables};

/// Feeds arbitrary bytes to the configuration and table readers, and to
/// the router over tables built from the input.
///
/// The first byte picks the reader; the rest is the text (lossily decoded
/// as UTF-8, as the readers take `&str`). Router inputs are split on NUL
/// bytes into an aliases table, a virtual table, a transport table, a
/// recipient address, an access table and a sender; the recipient is
/// resolved and checked against restrictions that use the access table.
pub fn config_and_tables(data: &[u8]) {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    match which % 8 {
        0 => {
            if let Ok(cf) = MainCf::parse_str(&text, "main.cf") {
                let _ = MainConfig::from_cf(&cf, &Environment::loopback("mx.example.com"));
            }
        }
        1 => {
            let _ = AccessConfig::parse_str(&text, "dovecot.conf");
        }
        2 => {
            let _ = Table::<Aliases>::from_text(&text, "aliases", TableKind::Indexed);
        }
        3 => {
            if let Ok(t) = Table::<Access>::from_text(&text, "access", TableKind::Cidr) {
                let _ = t.get("192.0.2.1");
                let _ = t.get("2001:db8::1");
            }
            let _ = Table::<Access>::from_text(&text, "access", TableKind::Indexed);
        }
        4 => {
            let _ = Table::<Transport>::from_text(&text, "transport", TableKind::Indexed);
            let _ = Table::<Virtual>::from_text(&text, "virtual", TableKind::Indexed);
        }
        5 => {
            let _ = Mailbox::parse(&text);
            let _ = ReversePath::parse(&text);
        }
        _ => router(&text),
    }
}

fn router(text: &str) {
    let mut parts = text.split('\0');
    let aliases = parts.next().unwrap_or_default();
    let virtuals = parts.next().unwrap_or_default();
    let transports = parts.next().unwrap_or_default();
    let address = parts.next().unwrap_or_default();
    let access = parts.next().unwrap_or_default();
    let sender = parts.next().unwrap_or_default();
    let (Ok(a), Ok(v), Ok(t), Ok(rcpt)) = (
        Table::<Aliases>::from_text(aliases, "aliases", TableKind::Indexed),
        Table::<Virtual>::from_text(virtuals, "virtual", TableKind::Indexed),
        Table::<Transport>::from_text(transports, "transport", TableKind::Indexed),
        Mailbox::parse(address),
    ) else {
        return;
    };
    let Ok(access) = Table::<Access>::from_text(access, "access", TableKind::Indexed) else {
        return;
    };
    let Ok(cf) = MainCf::parse_str(
        "mydestination = example.com, localhost\n\
         myorigin = example.com\n\
         virtual_alias_domains = hosted.example\n\
         relay_domains = relay.example\n\
         recipient_delimiter = +-\n\
         smtpd_recipient_restrictions = check_sender_access hash:/access,\n\
         \x20 check_recipient_access hash:/access, check_client_access hash:/access,\n\
         \x20 reject_unlisted_recipient\n",
        "main.cf",
    ) else {
        return;
    };
    let Ok(loaded) = MainConfig::from_cf(&cf, &Environment::loopback("mx.example.com")) else {
        return;
    };
    let mut tables = Tables {
        aliases: MapList::from_tables(vec![a]),
        virtual_alias: MapList::from_tables(vec![v]),
        transport: MapList::from_tables(vec![t]),
        ..Tables::default()
    };
    if let Ok(reference) = "hash:/access".parse::<TableRef>() {
        tables.access.insert(reference, access);
    }
    let router = Router::with_tables(loaded.config, tables, StaticUsers::new(["alice", "bob"]));
    let resolution = router.resolve(&rcpt);
    // Every forward-path resolves to at least one route (a rejection counts).
    assert!(!resolution.routes.is_empty());
    // The restrictions decide without panicking, whatever the tables say.
    let reverse_path = ReversePath::parse(sender).unwrap_or(ReversePath::Null);
    let client = if sender.len().is_multiple_of(2) {
        IpAddr::from([127, 0, 0, 1])
    } else {
        IpAddr::from([192, 0, 2, sender.len() as u8])
    };
    let _ = router.check_recipient(&RcptContext {
        client_addr: client,
        client_name: Some("client.example"),
        sasl_authenticated: sender.len().is_multiple_of(3),
        reverse_path: &reverse_path,
        forward_path: &rcpt,
    });
}

/// Feeds arbitrary bytes to the queue's readers: the journal framing (a
/// segment as recovery reads it), the envelope decoder for every record,
/// and an encode/decode round trip of each envelope that decodes; also the
/// header scanners smtpd and the DSN builder use.
pub fn queue_records(data: &[u8]) {
    use crate::queue::record;
    let (records, good) = record::unframe(data);
    assert!(good <= data.len());
    for r in &records {
        if let Some((env, at)) = record::decode_message(r.payload) {
            let content = r.payload.get(at..).unwrap_or_default();
            let again = record::encode_message(&env, content);
            let (back, at2) = record::decode_message(&again).expect("re-encoded envelope decodes");
            assert_eq!(back.id, env.id);
            assert_eq!(back.recipients.len(), env.recipients.len());
            assert_eq!(again.get(at2..), Some(content));
        }
    }
    let _ = record::decode_message(data);
    let _ = crate::dsn::header_section(data);
    let _ = crate::delivery::header_lines(data).count();
}
