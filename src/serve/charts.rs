//! Inline SVG line charts for the console (no scripts, no outside assets): one line per
//! queue over time, with the latest value in the legend.

use std::fmt::Write;

use crate::store::QueueSample;

/// Colours of the queues' lines, in pipeline order.
const COLOURS: [&str; 3] = ["#2980b9", "#8e44ad", "#27ae60"];
const WIDTH: f64 = 360.0;
const HEIGHT: f64 = 120.0;
const PAD: f64 = 4.0;

/// One chart: its title and, per queue, (time, value) points.
pub struct Chart<'a> {
    /// Shown above it.
    pub title: &'a str,
    /// The unit of the values, in the legend.
    pub unit: &'a str,
    /// Per queue: its name and points (unix seconds, value).
    pub lines: Vec<(String, Vec<(i64, f64)>)>,
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

impl Chart<'_> {
    /// The chart as an `<svg>` element.
    pub fn svg(&self) -> String {
        let points = self.lines.iter().flat_map(|(_, p)| p.iter());
        let (mut t0, mut t1, mut top) = (i64::MAX, i64::MIN, 0.0f64);
        for &(t, v) in points {
            t0 = t0.min(t);
            t1 = t1.max(t);
            top = top.max(v);
        }
        let mut out = String::new();
        let _ = write!(
            out,
            "<figure class=\"chart\"><figcaption>{}</figcaption><svg viewBox=\"0 0 {WIDTH} {HEIGHT}\" \
             width=\"{WIDTH}\" height=\"{HEIGHT}\" role=\"img\" aria-label=\"{}\">",
            escape(self.title),
            escape(self.title)
        );
        let _ = write!(
            out,
            "<rect x=\"0\" y=\"0\" width=\"{WIDTH}\" height=\"{HEIGHT}\" fill=\"none\" stroke=\"#8884\"/>"
        );
        if t0 > t1 {
            let _ = write!(
                out,
                "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"12\" fill=\"#777\">no samples yet</text>",
                WIDTH / 2.0,
                HEIGHT / 2.0
            );
        }
        let span = if t0 <= t1 { (t1 - t0).max(1) as f64 } else { 1.0 };
        let top = if top <= 0.0 { 1.0 } else { top };
        for (i, (_, pts)) in self.lines.iter().enumerate() {
            if pts.is_empty() {
                continue;
            }
            let coords: Vec<String> = pts
                .iter()
                .map(|&(t, v)| {
                    let x = PAD + (t - t0) as f64 / span * (WIDTH - 2.0 * PAD);
                    let y = HEIGHT - PAD - v / top * (HEIGHT - 2.0 * PAD);
                    format!("{x:.1},{y:.1}")
                })
                .collect();
            let _ = write!(
                out,
                "<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\" points=\"{}\"/>",
                COLOURS[i % COLOURS.len()],
                coords.join(" ")
            );
        }
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"12\" text-anchor=\"end\" font-size=\"10\" fill=\"#777\">max {}</text></svg>",
            WIDTH - PAD,
            fmt_value(top)
        );
        out.push_str("<div class=\"legend\">");
        for (i, (name, pts)) in self.lines.iter().enumerate() {
            let last = pts.last().map_or_else(|| "—".to_owned(), |&(_, v)| fmt_value(v));
            let _ = write!(
                out,
                "<span><i style=\"background:{}\"></i>{} {} {}</span> ",
                COLOURS[i % COLOURS.len()],
                escape(name),
                last,
                escape(self.unit)
            );
        }
        out.push_str("</div></figure>");
        out
    }
}

fn fmt_value(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// The console's three charts from samples: throughput (jobs done per minute), queue
/// depth (waiting, running and retrying jobs) and mean run time (seconds).
pub fn charts(samples: &[QueueSample], queues: &[&str], interval_secs: i64) -> Vec<String> {
    let per_minute = 60.0 / interval_secs.max(1) as f64;
    let line = |f: &dyn Fn(&QueueSample) -> Option<f64>| -> Vec<(String, Vec<(i64, f64)>)> {
        queues
            .iter()
            .map(|&q| {
                let pts = samples
                    .iter()
                    .filter(|s| s.queue == q)
                    .filter_map(|s| f(s).map(|v| (s.at, v)))
                    .collect();
                (q.to_owned(), pts)
            })
            .collect()
    };
    let throughput = Chart {
        title: "Throughput",
        unit: "jobs/min",
        lines: line(&|s| Some(s.done as f64 * per_minute)),
    };
    let depth = Chart {
        title: "Queue depth",
        unit: "jobs",
        lines: line(&|s| Some((s.pending + s.scheduled + s.running + s.retrying) as f64)),
    };
    let latency = Chart {
        title: "Mean run time",
        unit: "s",
        lines: line(&|s| s.mean_run_ms.map(|ms| ms as f64 / 1000.0)),
    };
    vec![throughput.svg(), depth.svg(), latency.svg()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_draws_one_line_per_queue_within_its_box() {
        let sample = |at, queue: &str, done| QueueSample {
            at,
            queue: queue.to_owned(),
            done,
            pending: 2,
            ..QueueSample::default()
        };
        let samples = vec![
            sample(100, "crawl", 1),
            sample(105, "crawl", 3),
            sample(105, "render", 0),
        ];
        let svgs = charts(&samples, &["crawl", "render"], 5);
        assert_eq!(svgs.len(), 3);
        assert_eq!(svgs[0].matches("<polyline").count(), 2, "{}", svgs[0]);
        assert!(svgs[0].contains("crawl 36 jobs/min"), "{}", svgs[0]);
        assert!(
            svgs[2].contains("no samples") || !svgs[2].contains("<polyline"),
            "{}",
            svgs[2]
        );
        let empty = charts(&[], &["crawl"], 5);
        assert!(empty[0].contains("no samples yet"));
    }
}
