//! MTA engine: reading main.cf, building lookup tables from text, and the
//! router's per-recipient work (resolve, RCPT TO restrictions) over large
//! tables, all in memory.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mta_core::config::{Environment, MainCf, MainConfig};
use mta_core::maps::{Aliases, MapList, Table, TableKind, Virtual};
use mta_core::router::{Mailbox, RcptContext, ReversePath, Router, StaticUsers, Tables};
use std::hint::black_box;

/// A main.cf the size of a Debian one, with comments and expansions.
fn main_cf() -> String {
    let mut s = String::new();
    for i in 0..40 {
        s.push_str(&format!("# comment line {i} explaining the next setting\n"));
    }
    s.push_str(
        "smtpd_banner = $myhostname ESMTP $mail_name (Debian/GNU)\n\
         biff = no\n\
         append_dot_mydomain = no\n\
         readme_directory = no\n\
         compatibility_level = 3.6\n\
         smtpd_tls_cert_file=/etc/ssl/certs/ssl-cert-snakeoil.pem\n\
         smtpd_tls_key_file=/etc/ssl/private/ssl-cert-snakeoil.key\n\
         smtpd_tls_security_level=may\n\
         smtpd_relay_restrictions = permit_mynetworks permit_sasl_authenticated defer_unauth_destination\n\
         myhostname = mx.example.com\n\
         alias_maps = hash:/etc/aliases\n\
         myorigin = $mydomain\n\
         mydestination = $myhostname, example.com, localhost.localdomain, localhost\n\
         relayhost =\n\
         mynetworks = 127.0.0.0/8 [::ffff:127.0.0.0]/104 [::1]/128\n\
         mailbox_size_limit = 0\n\
         recipient_delimiter = +\n\
         inet_interfaces = all\n\
         inet_protocols = all\n\
         virtual_alias_maps = hash:/etc/postfix/virtual\n\
         transport_maps = hash:/etc/postfix/transport\n",
    );
    s
}

fn config(c: &mut Criterion) {
    let text = main_cf();
    let env = Environment::loopback("mx.example.com");
    let mut g = c.benchmark_group("mta_config");
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.bench_function("main_cf_parse_and_type", |b| {
        b.iter(|| {
            let cf = MainCf::parse_str(black_box(&text), "main.cf").unwrap();
            black_box(MainConfig::from_cf(&cf, &env).unwrap())
        })
    });
    g.finish();
}

const USERS: usize = 10_000;

fn alias_text() -> String {
    (0..USERS)
        .map(|i| format!("alias{i}: user{i}, list{}\n", i % 100))
        .chain((0..100).map(|i| format!("list{i}: user{i}, user{}\n", i + 1)))
        .collect()
}

fn virtual_text() -> String {
    (0..USERS)
        .map(|i| format!("v{i}@hosted.example user{i}@example.com\n"))
        .chain(std::iter::once("@catch.example user0\n".to_owned()))
        .collect()
}

fn tables(c: &mut Criterion) {
    let aliases = alias_text();
    let mut g = c.benchmark_group("mta_tables");
    g.throughput(Throughput::Bytes(aliases.len() as u64));
    g.bench_function("aliases_10k_from_text", |b| {
        b.iter(|| {
            black_box(
                Table::<Aliases>::from_text(black_box(&aliases), "aliases", TableKind::Indexed)
                    .unwrap(),
            )
        })
    });
    g.finish();
}

fn router(c: &mut Criterion) {
    let cf = MainCf::parse_str(
        "myhostname = mx.example.com\n\
         myorigin = example.com\n\
         mydestination = example.com\n\
         virtual_alias_domains = hosted.example, catch.example\n\
         recipient_delimiter = +\n\
         alias_maps =\n",
        "main.cf",
    )
    .unwrap();
    let config = MainConfig::from_cf(&cf, &Environment::loopback("mx.example.com"))
        .unwrap()
        .config;
    let tables = Tables {
        aliases: MapList::from_tables(vec![
            Table::<Aliases>::from_text(&alias_text(), "aliases", TableKind::Indexed).unwrap(),
        ]),
        virtual_alias: MapList::from_tables(vec![
            Table::<Virtual>::from_text(&virtual_text(), "virtual", TableKind::Indexed).unwrap(),
        ]),
        ..Tables::default()
    };
    let users = StaticUsers::new((0..=USERS).map(|i| format!("user{i}")));
    let router = Router::with_tables(config, tables, users);
    let cases = [
        ("local_user", "user42+tag@example.com"),
        ("alias_to_list", "alias4242@example.com"),
        ("virtual_alias", "v4242@hosted.example"),
        ("relay_mx", "someone@remote.example"),
    ];
    let mut g = c.benchmark_group("mta_router");
    g.throughput(Throughput::Elements(1));
    for (name, rcpt) in cases {
        let rcpt = Mailbox::parse(rcpt).unwrap();
        g.bench_function(format!("resolve_{name}"), |b| {
            b.iter(|| black_box(router.resolve(black_box(&rcpt))))
        });
    }
    let reverse_path = ReversePath::parse("<sender@remote.example>").unwrap();
    let forward_path = Mailbox::parse("user42@example.com").unwrap();
    g.bench_function("check_recipient_default_restrictions", |b| {
        b.iter(|| {
            black_box(router.check_recipient(&RcptContext {
                client_addr: black_box("192.0.2.1".parse().unwrap()),
                client_name: None,
                sasl_authenticated: false,
                reverse_path: &reverse_path,
                forward_path: &forward_path,
            }))
        })
    });
    g.finish();
}

criterion_group!(benches, config, tables, router);
criterion_main!(benches);
