use std::time::Instant;
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let path = &args[1];
    let runs: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(20);
    let store = maildir::Store::open(&format!("maildir:{path}"), "x", None).unwrap();
    let mut t = Vec::new();
    for _ in 0..runs {
        let s = Instant::now();
        let f = store.open_folder("INBOX").unwrap();
        let n = f.messages().len();
        let h = f.highest_modseq();
        t.push(s.elapsed().as_secs_f64() * 1000.0);
        std::hint::black_box((n, h));
        let s = Instant::now();
        drop(f);
        std::hint::black_box(s.elapsed());
    }
    t.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "open {path}: min {:.3} ms median {:.3} ms",
        t[0],
        t[t.len() / 2]
    );
}
