//! Helpers shared by the benchmark binaries in `src/bin/`.

use std::time::Instant;

/// Resident set size of a process in KiB (`VmRSS`), the current process
/// when `pid` is `None`; 0 when it cannot be read.
pub fn rss_kib(pid: Option<u32>) -> u64 {
    let path = match pid {
        Some(p) => format!("/proc/{p}/status"),
        None => "/proc/self/status".to_owned(),
    };
    std::fs::read_to_string(path)
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

/// The blocking-style echo loop of the benchmark servers: read into `buf`,
/// write it all back, stop at end of file or on any error.
pub fn echo(conn: &mut (impl std::io::Read + std::io::Write), buf: &mut [u8]) {
    loop {
        match conn.read(buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                if conn.write_all(&buf[..n]).is_err() {
                    return;
                }
            }
        }
    }
}

/// Open file descriptors of this process.
pub fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .map(|d| d.count())
        .unwrap_or(0)
}

/// Median of `runs` measurements of `f` (after one warm-up run).
pub fn median(runs: usize, mut f: impl FnMut() -> f64) -> f64 {
    let _warm = f();
    let mut v: Vec<f64> = (0..runs.max(1)).map(|_| f()).collect();
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Nanoseconds per operation since `start`.
pub fn per_op(start: Instant, ops: u64) -> f64 {
    start.elapsed().as_nanos() as f64 / ops as f64
}

/// One line of a [`plot_lines`] chart: its label and its points.
pub type Series<'a> = (&'a str, Vec<(f64, f64)>);

/// Writes an SVG line chart with a logarithmic x axis from `x_range.0` to
/// `x_range.1` and a linear y axis from 0, one line (with point markers)
/// per series.
///
/// # Errors
///
/// When the file cannot be written.
pub fn plot_lines(
    path: &str,
    caption: &str,
    (x_desc, y_desc): (&str, &str),
    x_range: (f64, f64),
    series: &[Series<'_>],
) -> Result<(), Box<dyn std::error::Error>> {
    use plotters::prelude::*;
    if let Some(dir) = std::path::Path::new(path).parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir)?;
    }
    let root = SVGBackend::new(path, (720, 420)).into_drawing_area();
    root.fill(&WHITE)?;
    let max = series
        .iter()
        .flat_map(|s| s.1.iter().map(|p| p.1))
        .fold(1.0f64, f64::max);
    let mut chart = ChartBuilder::on(&root)
        .caption(caption, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d((x_range.0..x_range.1).log_scale(), 0f64..max * 1.15)?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .draw()?;
    let colors = [RED, BLUE, GREEN, MAGENTA, CYAN, BLACK];
    for ((label, pts), color) in series.iter().zip(colors.into_iter().cycle()) {
        chart
            .draw_series(LineSeries::new(pts.clone(), color.stroke_width(2)))?
            .label(*label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color));
        chart.draw_series(pts.iter().map(|p| Circle::new(*p, 4, color.filled())))?;
    }
    chart
        .configure_series_labels()
        .border_style(BLACK)
        .background_style(WHITE)
        .draw()?;
    root.present()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn plot_lines_writes_an_svg() {
        let dir = std::env::temp_dir().join(format!("sprout-bench-plot-{}", std::process::id()));
        let path = dir.join("t.svg");
        let series = [
            ("a", vec![(1.0, 2.0), (10.0, 3.0)]),
            ("b", vec![(1.0, 1.0)]),
        ];
        super::plot_lines(
            path.to_str().unwrap(),
            "t",
            ("x", "y"),
            (1.0, 100.0),
            &series,
        )
        .unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        assert!(svg.starts_with("<svg"));
        // Each series has its legend label.
        for label in ["a", "b"] {
            assert!(svg.lines().any(|l| l.trim() == label), "no legend {label}");
        }
        std::fs::remove_dir_all(dir).unwrap();
    }
}
