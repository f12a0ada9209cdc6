//! The injectable clock and resolver: the real implementations, and the
//! traits used through test doubles. The DNS tests run hickory against a
//! small DNS server on 127.0.0.1 (no network).

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use hickory_resolver::proto::op::{Message, MessageType, OpCode, ResponseCode};
use hickory_resolver::proto::rr::rdata::{A, AAAA, MX};
use hickory_resolver::proto::rr::{Name, RData, Record, RecordType};
use mta_core::clock::{Clock, SystemClock};
use mta_core::dns::{DnsError, HickoryResolver, MxRecord, Resolver};

#[test]
fn system_clock_follows_the_system() {
    let clock = SystemClock;
    let before = SystemTime::now();
    let now = clock.now();
    let after = SystemTime::now();
    assert!(before <= now && now <= after);
    let a = clock.instant();
    let b = clock.instant();
    assert!(b >= a);
}

/// A clock a test moves by hand.
#[derive(Debug)]
struct ManualClock {
    start: Instant,
    wall: SystemTime,
    offset: Mutex<Duration>,
}

impl ManualClock {
    fn advance(&self, by: Duration) {
        *self.offset.lock().unwrap() += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        self.wall + *self.offset.lock().unwrap()
    }

    fn instant(&self) -> Instant {
        self.start + *self.offset.lock().unwrap()
    }
}

/// Code written against `dyn Clock` sees time move without sleeping.
#[test]
fn clocks_are_injectable() {
    fn expired(clock: &dyn Clock, arrival: SystemTime, lifetime: Duration) -> bool {
        clock.now().duration_since(arrival).unwrap_or_default() >= lifetime
    }
    let clock = Arc::new(ManualClock {
        start: Instant::now(),
        wall: SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000),
        offset: Mutex::new(Duration::ZERO),
    });
    let arrival = clock.now();
    let five_days = Duration::from_secs(5 * 86_400);
    assert!(!expired(&clock, arrival, five_days));
    clock.advance(five_days);
    assert!(expired(&clock, arrival, five_days));
    let shared: Arc<dyn Clock> = clock.clone();
    assert_eq!(shared.instant() - clock.start, five_days);
}

/// The zone the test server answers from.
fn answer(query_name: &str, kind: RecordType) -> (ResponseCode, Vec<RData>) {
    let name = query_name.trim_end_matches('.').to_ascii_lowercase();
    let mx = |p: u16, host: &str| RData::MX(MX::new(p, Name::from_ascii(host).unwrap()));
    match (name.as_str(), kind) {
        ("example.test", RecordType::MX) => (
            ResponseCode::NoError,
            vec![mx(20, "MX2.example.test."), mx(10, "mx1.example.test.")],
        ),
        ("nullmx.test", RecordType::MX) => (ResponseCode::NoError, vec![mx(0, ".")]),
        ("mx1.example.test", RecordType::A) | ("nomx.test", RecordType::A) => {
            (ResponseCode::NoError, vec![RData::A(A::new(192, 0, 2, 1))])
        }
        ("mx1.example.test", RecordType::AAAA) => (
            ResponseCode::NoError,
            vec![RData::AAAA(AAAA::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1))],
        ),
        ("servfail.test", _) => (ResponseCode::ServFail, vec![]),
        ("example.test" | "nomx.test" | "nullmx.test" | "mx1.example.test", _) => {
            (ResponseCode::NoError, vec![])
        }
        _ => (ResponseCode::NXDomain, vec![]),
    }
}

/// Serves DNS over UDP on 127.0.0.1 until the returned task is dropped.
async fn dns_server() -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = socket.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let mut buf = vec![0u8; 4096];
        loop {
            let Ok((n, peer)) = socket.recv_from(&mut buf).await else {
                return;
            };
            let Ok(request) = Message::from_vec(&buf[..n]) else {
                continue;
            };
            let mut response =
                Message::new(request.metadata.id, MessageType::Response, OpCode::Query);
            response.metadata.recursion_desired = request.metadata.recursion_desired;
            response.metadata.recursion_available = true;
            response.metadata.authoritative = true;
            if let Some(q) = request.queries.first() {
                let (code, data) = answer(&q.name().to_ascii(), q.query_type());
                response.metadata.response_code = code;
                response.add_query(q.clone());
                for d in data {
                    response.add_answer(Record::from_rdata(q.name().clone(), 60, d));
                }
            }
            if let Ok(bytes) = response.to_vec() {
                let _ = socket.send_to(&bytes, peer).await;
            }
        }
    });
    (addr, task)
}

#[tokio::test]
async fn hickory_resolver_against_a_loopback_server() {
    let (addr, server) = dns_server().await;
    let resolver = HickoryResolver::with_name_servers(&[addr], Duration::from_secs(2)).unwrap();
    let mut mx = resolver.mx("Example.TEST").await.unwrap();
    mx.sort_by_key(|m| m.preference);
    assert_eq!(
        mx,
        [
            MxRecord {
                preference: 10,
                exchange: "mx1.example.test".into()
            },
            MxRecord {
                preference: 20,
                exchange: "mx2.example.test".into()
            },
        ]
    );
    // RFC 7505 null MX: the exchange is the root, reported as "".
    assert_eq!(
        resolver.mx("nullmx.test").await.unwrap(),
        [MxRecord {
            preference: 0,
            exchange: String::new()
        }]
    );
    let mut addrs = resolver.addresses("mx1.example.test").await.unwrap();
    addrs.sort();
    assert_eq!(
        addrs,
        [
            "192.0.2.1".parse::<IpAddr>().unwrap(),
            "2001:db8::1".parse().unwrap()
        ]
    );
    // An address literal needs no lookup.
    assert_eq!(
        resolver.addresses("[192.0.2.9]").await.unwrap(),
        ["192.0.2.9".parse::<IpAddr>().unwrap()]
    );
    // The name exists without MX: RFC 5321 5.1's implicit MX applies.
    assert!(matches!(
        resolver.mx("nomx.test").await,
        Err(DnsError::NoRecords { record: "MX", .. })
    ));
    // NXDOMAIN is permanent, SERVFAIL temporary.
    let e = resolver.mx("missing.test").await.unwrap_err();
    assert!(matches!(e, DnsError::NotFound { .. }), "{e:?}");
    assert!(!e.is_temporary());
    let e = resolver.mx("servfail.test").await.unwrap_err();
    assert!(e.is_temporary(), "{e:?}");
    assert!(matches!(
        resolver.mx("bad name").await,
        Err(DnsError::BadName { .. })
    ));
    server.abort();
}

#[tokio::test]
async fn no_answer_is_temporary() {
    // A UDP socket that never answers: the lookup times out.
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = silent.local_addr().unwrap();
    let resolver = HickoryResolver::with_name_servers(&[addr], Duration::from_millis(200)).unwrap();
    let e = resolver.mx("example.test").await.unwrap_err();
    assert!(e.is_temporary(), "{e:?}");
    assert!(HickoryResolver::with_name_servers(&[], Duration::from_secs(1)).is_err());
}

/// A resolver answering from a table, used through the trait.
struct TableResolver(Vec<(&'static str, Vec<MxRecord>)>);

#[async_trait::async_trait]
impl Resolver for TableResolver {
    async fn mx(&self, domain: &str) -> Result<Vec<MxRecord>, DnsError> {
        self.0
            .iter()
            .find(|(d, _)| *d == domain)
            .map(|(_, r)| r.clone())
            .ok_or(DnsError::NotFound {
                name: domain.into(),
            })
    }

    async fn addresses(&self, _host: &str) -> Result<Vec<IpAddr>, DnsError> {
        Ok(vec!["127.0.0.1".parse().unwrap()])
    }
}

#[tokio::test]
async fn resolvers_are_injectable() {
    async fn best_exchange(resolver: &dyn Resolver, domain: &str) -> Option<String> {
        let mut mx = resolver.mx(domain).await.ok()?;
        mx.sort_by_key(|m| m.preference);
        mx.into_iter().next().map(|m| m.exchange)
    }
    let table: Arc<dyn Resolver> = Arc::new(TableResolver(vec![(
        "example.org",
        vec![
            MxRecord {
                preference: 5,
                exchange: "b.example.org".into(),
            },
            MxRecord {
                preference: 1,
                exchange: "a.example.org".into(),
            },
        ],
    )]));
    assert_eq!(
        best_exchange(table.as_ref(), "example.org")
            .await
            .as_deref(),
        Some("a.example.org")
    );
    assert_eq!(best_exchange(&table, "example.net").await, None);
}
