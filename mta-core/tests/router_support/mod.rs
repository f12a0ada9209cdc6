//! Helpers shared by the router test files.
#![allow(dead_code)]

use std::net::IpAddr;

use mta_core::config::{Environment, MainCf, MainConfig};
use mta_core::maps::{Access, Aliases, MapList, Table, TableKind, TableRef};
use mta_core::router::{
    Decision, LocalUsers, Mailbox, RcptContext, ReversePath, Route, Router, StaticUsers, Tables,
};

pub const BASE: &str = "myhostname = mx.example.com\n\
                    mydomain = example.com\n\
                    myorigin = example.com\n\
                    mydestination = $myhostname, example.com, localhost\n\
                    recipient_delimiter = +\n";

pub fn config(extra: &str) -> MainConfig {
    let cf = MainCf::parse_str(&format!("{BASE}{extra}"), "main.cf").unwrap();
    MainConfig::from_cf(&cf, &Environment::loopback("mx.example.com"))
        .unwrap()
        .config
}

pub fn table<F: mta_core::maps::TableFormat>(text: &str) -> Table<F> {
    Table::from_text(text, "test", TableKind::Indexed).unwrap()
}

pub fn users() -> StaticUsers {
    StaticUsers::new(["alice", "bob", "carol", "root"])
}

pub fn mb(s: &str) -> Mailbox {
    Mailbox::parse(s).unwrap()
}

pub fn router_with(extra: &str, tables: Tables) -> Router<StaticUsers> {
    Router::with_tables(config(extra), tables, users())
}

pub fn aliases(text: &str) -> Tables {
    Tables {
        aliases: MapList::from_tables(vec![table::<Aliases>(text)]),
        ..Tables::default()
    }
}

/// The routes, summarized as short strings.
pub fn routes(router: &Router<impl LocalUsers>, rcpt: &str) -> Vec<String> {
    router
        .resolve(&mb(rcpt))
        .routes
        .iter()
        .map(|r| match r {
            Route::Local {
                user, extension, ..
            } => match extension {
                Some(e) => format!("local:{user}+{e}"),
                None => format!("local:{user}"),
            },
            Route::VirtualMailbox { maildrop, .. } => format!("virtual:{}", maildrop.display()),
            Route::Relay {
                transport,
                next_hop,
                recipient,
            } => format!("{transport}:{next_hop}:{recipient}"),
            Route::Transport {
                transport, nexthop, ..
            } => format!("other:{transport}:{nexthop}"),
            Route::Command { command, .. } => format!("command:{command}"),
            Route::File { path, .. } => format!("file:{}", path.display()),
            Route::Discard { .. } => "discard".into(),
            Route::Reject { reply, .. } => format!("reject:{} {}", reply.code, reply.status),
            _ => "other".into(),
        })
        .collect()
}

pub fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

pub fn decide(
    router: &Router<impl LocalUsers>,
    client: &str,
    sasl: bool,
    from: &str,
    to: &str,
) -> Decision {
    let reverse_path = ReversePath::parse(from).unwrap();
    let forward_path = mb(to);
    router.check_recipient(&RcptContext {
        client_addr: ip(client),
        client_name: None,
        sasl_authenticated: sasl,
        reverse_path: &reverse_path,
        forward_path: &forward_path,
    })
}

pub fn refused(d: &Decision) -> Option<(u16, String)> {
    match d {
        Decision::Accept => None,
        Decision::Refuse(r) => Some((r.code, r.status.to_string())),
    }
}

pub fn access_tables(refs: &[(&str, &str, TableKind)]) -> Tables {
    let mut tables = Tables::default();
    for (reference, text, kind) in refs {
        let t = Table::<Access>::from_text(text, reference, *kind).unwrap();
        tables
            .access
            .insert(reference.parse::<TableRef>().unwrap(), t);
    }
    tables
}
