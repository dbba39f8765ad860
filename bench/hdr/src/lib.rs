//! The HDR histogram printout of Aeron's cping (HdrHistogram_c's `hdr_percentiles_print`,
//! CLASSIC format), so the Rust (and iceoryx2) ping-pong results read like cping's.
//! Used by `bench_ping_pong` and by `bench/iceoryx2`.

use hdrhistogram::Histogram;

/// Prints `histogram` as HdrHistogram_c's `hdr_percentiles_print(h, stdout, ticks, scale,
/// CLASSIC)` does (the format cping prints), walking the percentiles the same way.
pub fn print_percentiles(histogram: &Histogram<u64>, ticks_per_half_distance: i64, scale: f64) {
    println!(
        "{:>12} {:>14} {:>10} {:>14}\n",
        "Value", "Percentile", "TotalCount", "1/(1-Percentile)"
    );
    let row = |value: u64, percentile: f64, count: u64| {
        let p = percentile / 100.0;
        println!(
            "{:12.3} {:12.6} {:12} {:12.2}",
            value as f64 / scale,
            p,
            count,
            1.0 / (1.0 - p)
        );
    };
    let total = histogram.len();
    let mut to = 0.0f64;
    let mut cumulative = 0u64;
    let mut last_value = 0;
    for bucket in histogram.iter_recorded() {
        cumulative += bucket.count_at_value();
        last_value = bucket.value_iterated_to();
        let current = 100.0 * cumulative as f64 / total as f64;
        // C emits one row for the last bucket, then the 100% row.
        let last = cumulative >= total;
        while to <= current {
            row(last_value, to, cumulative);
            let temp = ((100.0 / (100.0 - to)).ln() / 2f64.ln()) as i64 + 1;
            let half_distance = 2f64.powf(temp as f64) as i64;
            to += 100.0 / (ticks_per_half_distance * half_distance) as f64;
            if last {
                break;
            }
        }
    }
    if total > 0 {
        row(last_value, 100.0, total);
    }
    println!(
        "#[Mean    = {:12.3}, StdDeviation   = {:12.3}]",
        histogram.mean() / scale,
        histogram.stdev() / scale
    );
    println!(
        "#[Max     = {:12.3}, Total count    = {:12}]",
        histogram.max() as f64 / scale,
        total
    );
}
