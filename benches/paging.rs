//! How much concurrent page fetching saves on a listing whose first page
//! reveals the total (Tencent/Huawei offset style, Alibaba page-number style).
//!
//! Each fetch sleeps for a simulated round trip (`RTT_MS`); a 100-page
//! listing is drained sequentially (concurrency 1) and with concurrency 4 and
//! 8. Run: `cargo bench --bench paging`.

use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use futures::StreamExt;
use multicloud::paging::{CountedPage, offset_pager};

const RTT_MS: u64 = 5;
const PAGES: u64 = 100;
const PAGE_SIZE: u32 = 100;

async fn drain(concurrency: usize) -> usize {
    let total = PAGES * u64::from(PAGE_SIZE);
    let stream = offset_pager(PAGE_SIZE, concurrency, move |offset, limit| async move {
        tokio::time::sleep(Duration::from_millis(RTT_MS)).await;
        let end = (offset + u64::from(limit)).min(total);
        Ok(CountedPage::new((offset..end).collect::<Vec<u64>>(), total))
    });
    stream
        .filter(|r| futures::future::ready(r.is_ok()))
        .count()
        .await
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("runtime");
    let mut group = c.benchmark_group("offset_pager_100_pages_5ms_rtt");
    group.sample_size(10);
    for concurrency in [1usize, 4, 8] {
        group.bench_with_input(
            BenchmarkId::from_parameter(concurrency),
            &concurrency,
            |b, &n| {
                b.iter(|| {
                    let got = rt.block_on(drain(n));
                    assert_eq!(got as u64, PAGES * u64::from(PAGE_SIZE));
                })
            },
        );
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
