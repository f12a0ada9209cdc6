//! Authentication: checking one password in each passwd-file scheme (the
//! cost a login pays on the blocking pool), the same check through
//! `PasswordAuth` (the hop to tokio's blocking pool and back), and the
//! failure limiter's bookkeeping under many client addresses.

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mta_core::auth::{AuthLimits, FailureLimiter, PasswordAuth};
use mta_core::passwd::{PasswdFile, hash_argon2id};
use std::hint::black_box;

/// doveadm pw -s SHA512-CRYPT -p 'correct horse' (5000 rounds).
const SHA512: &str = "$6$JD4vLdZWt85LFAcP$dP8.Fj3sf8PA3vSvZUUxXSK9v9TMm63P3Yb7mzEAhrqbeuDBhggAJD9ZSAtp6l0qGtO6y9hQCd35qBj9DQTEc.";

fn passwd() -> PasswdFile {
    let argon = hash_argon2id("correct horse").expect("hash");
    PasswdFile::parse(&format!(
        "plain:{{PLAIN}}correct horse\nsha:{{SHA512-CRYPT}}{SHA512}\nargon:{argon}\n"
    ))
    .expect("passwd-file")
}

fn schemes(c: &mut Criterion) {
    let db = passwd();
    let mut g = c.benchmark_group("passwd_verify");
    g.throughput(Throughput::Elements(1));
    for user in ["plain", "sha", "argon"] {
        if user != "plain" {
            g.sample_size(10);
        }
        g.bench_function(user, |b| {
            b.iter(|| {
                assert!(
                    db.verify(black_box(user), black_box("correct horse"))
                        .is_some()
                )
            })
        });
    }
    g.finish();
}

fn through_blocking_pool(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let auth = PasswordAuth::new(passwd(), AuthLimits::default());
    let client = Some(IpAddr::from([192, 0, 2, 1]));
    let mut g = c.benchmark_group("password_auth");
    g.throughput(Throughput::Elements(1));
    g.bench_function("plain_success", |b| {
        b.iter(|| rt.block_on(auth.verify_password(client, black_box("plain"), "correct horse")))
    });
    g.finish();
}

fn limiter(c: &mut Criterion) {
    const ADDRESSES: u32 = 10_000;
    let mut g = c.benchmark_group("failure_limiter");
    g.throughput(Throughput::Elements(u64::from(ADDRESSES)));
    g.bench_function("record_and_check_10k_addresses", |b| {
        b.iter(|| {
            let mut l = FailureLimiter::new(AuthLimits::default());
            let t0 = Instant::now();
            for i in 0..ADDRESSES {
                let ip = IpAddr::from(Ipv4Addr::from(0x0a00_0000 + i));
                let now = t0 + Duration::from_millis(u64::from(i));
                black_box(l.record_failure(ip, now));
                black_box(l.check(ip, now));
            }
            l.tracked()
        })
    });
    g.finish();
}

criterion_group!(benches, schemes, through_blocking_pool, limiter);
criterion_main!(benches);
