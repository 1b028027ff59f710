//! SVG charts drawn with plotters' SVG backend. Text is left to the browser's
//! `sans-serif`, so nothing depends on fonts installed where the report is made.

use plotters::prelude::*;

use bulwark_sim::simulate::Fan;

use crate::ReportError;
use crate::assessment::{HealthSummary, StakeDistribution};
use crate::format::usd;

const WIDTH: u32 = 720;
const HEIGHT: u32 = 360;
const BAR: RGBColor = RGBColor(0x2b, 0x6c, 0xb0);
const BAR_DANGER: RGBColor = RGBColor(0xc0, 0x39, 0x2b);
const LINE: RGBColor = RGBColor(0x1f, 0x4e, 0x79);
const GUIDE: RGBColor = RGBColor(0x99, 0x99, 0x99);

fn chart_error(e: impl std::fmt::Display) -> ReportError {
    ReportError::Chart(e.to_string())
}

/// A bar chart of debt (USD millions) by health-factor bin; bins below 1 in red.
///
/// # Errors
/// [`ReportError::Chart`] if plotters fails to lay the chart out.
pub(crate) fn health_histogram(title: &str, h: &HealthSummary) -> Result<String, ReportError> {
    let last = h.histogram_edges.len().saturating_sub(1);
    let bars: Vec<Bar> = h
        .histogram_edges
        .iter()
        .zip(&h.histogram_debt_usd)
        .enumerate()
        .map(|(i, (lo, debt))| Bar {
            label: if i == last { format!("≥{lo:.2}") } else { format!("{lo:.2}") },
            value: debt / 1e6,
            danger: h.histogram_edges.get(i + 1).is_some_and(|hi| *hi <= 1.0),
        })
        .collect();
    bar_chart(title, &bars, "health factor (lower edge of each bin; red: liquidatable)", "debt (USD millions)")
}

/// One bar of a categorical bar chart.
struct Bar {
    label: String,
    value: f64,
    /// Drawn in red.
    danger: bool,
}

/// Bars over categories, labelled below, the dangerous ones in red.
fn bar_chart(title: &str, bars: &[Bar], x_desc: &str, y_desc: &str) -> Result<String, ReportError> {
    let ymax = bars.iter().map(|b| b.value).fold(0.0, f64::max).max(1e-9) * 1.1;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(chart_error)?;
        let n = bars.len().max(1);
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 17))
            .margin(12)
            .x_label_area_size(56)
            .y_label_area_size(70)
            .build_cartesian_2d(0..n, 0.0..ymax)
            .map_err(chart_error)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(n)
            .x_label_formatter(&|i| bars.get(*i).map(|b| b.label.clone()).unwrap_or_default())
            .x_desc(x_desc)
            .y_desc(y_desc)
            .draw()
            .map_err(chart_error)?;
        chart
            .draw_series(bars.iter().enumerate().map(|(i, b)| {
                let mut bar =
                    Rectangle::new([(i, 0.0), (i + 1, b.value)], if b.danger { BAR_DANGER } else { BAR }.filled());
                bar.set_margin(0, 0, 3, 3);
                bar
            }))
            .map_err(chart_error)?;
        root.present().map_err(chart_error)?;
    }
    Ok(svg)
}

/// The Lorenz curve of active stake against the line of perfect equality.
///
/// # Errors
/// [`ReportError::Chart`] if plotters fails to lay the chart out.
pub(crate) fn lorenz_curve(title: &str, s: &StakeDistribution) -> Result<String, ReportError> {
    lorenz_curves(title, &[(format!("{} (Gini {:.3})", s.chain, s.gini), s.lorenz.clone())])
}

const WORST: RGBColor = RGBColor(0xc0, 0x39, 0x2b);

/// Paths by bad debt: no bad debt, then one bar per decade of USD.
///
/// # Errors
/// [`ReportError::Chart`] if plotters fails to lay the chart out.
pub(crate) fn bad_debt_histogram(title: &str, bins: &[(f64, u64)]) -> Result<String, ReportError> {
    let bars: Vec<Bar> = bins
        .iter()
        .map(|(edge, count)| Bar {
            label: if *edge == 0.0 { "none".to_string() } else { format!("≥{}", usd(*edge)) },
            value: *count as f64,
            danger: *edge > 0.0,
        })
        .collect();
    bar_chart(title, &bars, "bad debt at the horizon", "paths")
}

/// The fan chart: 5–95 % and 25–75 % bands of an asset's price, the median, and the
/// worst paths drawn over them.
///
/// # Errors
/// [`ReportError::Chart`] if plotters fails to lay the chart out.
pub(crate) fn fan_chart(title: &str, fan: &Fan) -> Result<String, ReportError> {
    let hours: Vec<f64> = fan.t_s.iter().map(|t| t / 3600.0).collect();
    let all = fan.quantiles.iter().chain(fan.worst.iter()).flatten().copied();
    let (lo, hi) = all.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| (lo.min(x), hi.max(x)));
    let (lo, hi) = if lo.is_finite() && hi > lo { (lo * 0.98, hi * 1.02) } else { (0.0, 1.0) };
    let tmax = hours.last().copied().unwrap_or(1.0).max(1e-9);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(chart_error)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 17))
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(70)
            .build_cartesian_2d(0.0..tmax, lo..hi)
            .map_err(chart_error)?;
        chart.configure_mesh().x_desc("hours").y_desc(format!("{} (USD)", fan.asset)).draw().map_err(chart_error)?;
        let band = |low: &[f64], high: &[f64]| -> Vec<(f64, f64)> {
            hours
                .iter()
                .zip(high)
                .map(|(t, y)| (*t, *y))
                .chain(hours.iter().zip(low).rev().map(|(t, y)| (*t, *y)))
                .collect()
        };
        let [p5, p25, p50, p75, p95] = &fan.quantiles;
        chart.draw_series(std::iter::once(Polygon::new(band(p5, p95), LINE.mix(0.12)))).map_err(chart_error)?;
        chart.draw_series(std::iter::once(Polygon::new(band(p25, p75), LINE.mix(0.25)))).map_err(chart_error)?;
        chart
            .draw_series(LineSeries::new(hours.iter().copied().zip(p50.iter().copied()), LINE.stroke_width(2)))
            .map_err(chart_error)?
            .label("median; bands 25–75 % and 5–95 %")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], LINE.stroke_width(2)));
        for (i, path) in fan.worst.iter().enumerate() {
            let series = chart
                .draw_series(LineSeries::new(hours.iter().copied().zip(path.iter().copied()), WORST.stroke_width(1)))
                .map_err(chart_error)?;
            if i == 0 {
                series.label("worst paths").legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], WORST));
            }
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerLeft)
            .background_style(WHITE.mix(0.9))
            .border_style(GUIDE)
            .draw()
            .map_err(chart_error)?;
        root.present().map_err(chart_error)?;
    }
    Ok(svg)
}

/// Mean debt liquidated per interval, over time.
///
/// # Errors
/// [`ReportError::Chart`] if plotters fails to lay the chart out.
pub(crate) fn liquidations_over_time(title: &str, series: &[(f64, f64)]) -> Result<String, ReportError> {
    let points: Vec<(f64, f64)> = series.iter().map(|(t, usd)| (t / 3600.0, usd / 1e6)).collect();
    let tmax = points.last().map_or(1.0, |p| p.0).max(1e-9);
    let ymax = points.iter().map(|p| p.1).fold(0.0, f64::max).max(1e-9) * 1.1;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(chart_error)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 17))
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(70)
            .build_cartesian_2d(0.0..tmax, 0.0..ymax)
            .map_err(chart_error)?;
        chart.configure_mesh().x_desc("hours").y_desc("USD millions").draw().map_err(chart_error)?;
        chart
            .draw_series(AreaSeries::new(points.iter().copied(), 0.0, BAR.mix(0.3)).border_style(BAR.stroke_width(2)))
            .map_err(chart_error)?;
        root.present().map_err(chart_error)?;
    }
    Ok(svg)
}

/// CoC against PfC per vector, as paired horizontal bars on a log scale.
///
/// # Errors
/// [`ReportError::Chart`] if plotters fails to lay the chart out.
pub(crate) fn coc_against_pfc(title: &str, bars: &[(String, f64, Option<f64>)]) -> Result<String, ReportError> {
    let values = bars.iter().flat_map(|(_, c, p)| [Some(*c), *p]).flatten().filter(|x| *x > 0.0);
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| (lo.min(x), hi.max(x)));
    let (lo, hi) =
        if lo.is_finite() { (lo.log10().floor(), hi.log10().ceil().max(lo.log10().floor() + 1.0)) } else { (0.0, 1.0) };
    let n = bars.len().max(1);
    let height = (60 + 34 * n as u32).max(200);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH + 260, height)).into_drawing_area();
        root.fill(&WHITE).map_err(chart_error)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 17))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(380)
            .build_cartesian_2d(lo..hi, 0..n)
            .map_err(chart_error)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(n)
            .y_label_formatter(&|i| bars.get(*i).map(|b| b.0.clone()).unwrap_or_default())
            .x_label_formatter(&|x| usd(10f64.powf(*x)))
            .x_desc("USD")
            .draw()
            .map_err(chart_error)?;
        let log = |x: f64| if x > 0.0 { x.log10().max(lo) } else { lo };
        chart
            .draw_series(bars.iter().enumerate().map(|(i, (_, coc, _))| {
                let mut bar = Rectangle::new([(lo, i), (log(*coc), i + 1)], BAR.filled());
                bar.set_margin(4, 16, 0, 0);
                bar
            }))
            .map_err(chart_error)?;
        chart
            .draw_series(bars.iter().enumerate().filter_map(|(i, (_, _, pfc))| {
                let mut bar = Rectangle::new([(lo, i), (log((*pfc)?), i + 1)], BAR_DANGER.filled());
                bar.set_margin(18, 4, 0, 0);
                Some(bar)
            }))
            .map_err(chart_error)?;
        root.present().map_err(chart_error)?;
    }
    Ok(svg)
}

/// Several Lorenz curves in one chart.
///
/// # Errors
/// [`ReportError::Chart`] if plotters fails to lay the chart out.
pub(crate) fn lorenz_curves(title: &str, curves: &[(String, Vec<(f64, f64)>)]) -> Result<String, ReportError> {
    const PALETTE: [RGBColor; 6] = [
        RGBColor(0x1f, 0x4e, 0x79),
        RGBColor(0xc0, 0x39, 0x2b),
        RGBColor(0x27, 0xae, 0x60),
        RGBColor(0x8e, 0x44, 0xad),
        RGBColor(0xd3, 0x54, 0x00),
        RGBColor(0x16, 0xa0, 0x85),
    ];
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT + 60)).into_drawing_area();
        root.fill(&WHITE).map_err(chart_error)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 17))
            .margin(12)
            .x_label_area_size(48)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0..1.0, 0.0..1.0)
            .map_err(chart_error)?;
        chart
            .configure_mesh()
            .x_desc("share of entities, smallest first")
            .y_desc("share of active stake")
            .x_label_formatter(&|x| format!("{:.0} %", x * 100.0))
            .y_label_formatter(&|y| format!("{:.0} %", y * 100.0))
            .draw()
            .map_err(chart_error)?;
        chart.draw_series(LineSeries::new([(0.0, 0.0), (1.0, 1.0)], GUIDE.stroke_width(1))).map_err(chart_error)?;
        for (i, (name, points)) in curves.iter().enumerate() {
            let color = PALETTE[i % PALETTE.len()];
            chart
                .draw_series(LineSeries::new(points.iter().copied(), color.stroke_width(2)))
                .map_err(chart_error)?
                .label(name.clone())
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], color.stroke_width(2)));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.9))
            .border_style(GUIDE)
            .draw()
            .map_err(chart_error)?;
        root.present().map_err(chart_error)?;
    }
    Ok(svg)
}

/// One line of a line chart: a label and its points.
pub(crate) struct Line {
    pub(crate) label: String,
    pub(crate) points: Vec<(f64, f64)>,
}

const PALETTE: [RGBColor; 6] = [
    RGBColor(0x1f, 0x4e, 0x79),
    RGBColor(0xc0, 0x39, 0x2b),
    RGBColor(0x27, 0xae, 0x60),
    RGBColor(0x8e, 0x44, 0xad),
    RGBColor(0xd3, 0x84, 0x00),
    RGBColor(0x16, 0xa0, 0x85),
];

fn span(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) =
        values.filter(|x| x.is_finite()).fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| (lo.min(x), hi.max(x)));
    if !lo.is_finite() {
        (0.0, 1.0)
    } else if hi > lo {
        (lo, hi)
    } else {
        (lo - 0.5 * lo.abs().max(1e-9), hi + 0.5 * hi.abs().max(1e-9))
    }
}

/// Lines over a shared x axis (a one-axis sweep: one line per figure or per value of a
/// second axis).
///
/// # Errors
/// [`ReportError::Chart`] if plotters fails to lay the chart out.
pub(crate) fn line_chart(title: &str, lines: &[Line], x_desc: &str, y_desc: &str) -> Result<String, ReportError> {
    let (x0, x1) = span(lines.iter().flat_map(|l| l.points.iter().map(|p| p.0)));
    let (y0, y1) = span(lines.iter().flat_map(|l| l.points.iter().map(|p| p.1)).chain(std::iter::once(0.0)));
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(chart_error)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 17))
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(80)
            .build_cartesian_2d(x0..x1, y0..y1 * 1.05)
            .map_err(chart_error)?;
        chart.configure_mesh().x_desc(x_desc).y_desc(y_desc).draw().map_err(chart_error)?;
        for (i, l) in lines.iter().enumerate() {
            let color = PALETTE[i % PALETTE.len()];
            chart
                .draw_series(LineSeries::new(l.points.iter().copied(), color.stroke_width(2)))
                .map_err(chart_error)?
                .label(l.label.clone())
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], color.stroke_width(2)));
            chart.draw_series(l.points.iter().map(|p| Circle::new(*p, 3, color.filled()))).map_err(chart_error)?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.9))
            .border_style(GUIDE)
            .draw()
            .map_err(chart_error)?;
        root.present().map_err(chart_error)?;
    }
    Ok(svg)
}

/// A heatmap of a figure over two axes: `z[i][j]` at `xs[i]`, `ys[j]`; darker is larger.
/// Each cell is labelled with its value.
///
/// # Errors
/// [`ReportError::Chart`] if plotters fails to lay the chart out.
pub(crate) fn heatmap(
    title: &str,
    xs: &[String],
    ys: &[String],
    z: &[Vec<f64>],
    descs: (&str, &str),
    label: &dyn Fn(f64) -> String,
) -> Result<String, ReportError> {
    let (lo, hi) = span(z.iter().flatten().copied());
    let (nx, ny) = (xs.len().max(1), ys.len().max(1));
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH + 80, HEIGHT + 80)).into_drawing_area();
        root.fill(&WHITE).map_err(chart_error)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 17))
            .margin(12)
            .x_label_area_size(48)
            .y_label_area_size(80)
            .build_cartesian_2d(0..nx, 0..ny)
            .map_err(chart_error)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(nx)
            .y_labels(ny)
            .x_label_formatter(&|i| xs.get(*i).cloned().unwrap_or_default())
            .y_label_formatter(&|j| ys.get(*j).cloned().unwrap_or_default())
            .x_desc(descs.0)
            .y_desc(descs.1)
            .draw()
            .map_err(chart_error)?;
        let shade = |v: f64| {
            let t = if hi > lo { ((v - lo) / (hi - lo)).clamp(0.0, 1.0) } else { 0.5 };
            let mix = |a: u8, b: u8| (f64::from(a) + (f64::from(b) - f64::from(a)) * t).round() as u8;
            RGBColor(mix(0xf7, 0xc0), mix(0xfb, 0x39), mix(0xff, 0x2b))
        };
        for (i, row) in z.iter().enumerate() {
            for (j, v) in row.iter().enumerate() {
                chart
                    .draw_series(std::iter::once(Rectangle::new([(i, j), (i + 1, j + 1)], shade(*v).filled())))
                    .map_err(chart_error)?;
            }
        }
        let cell_w = f64::from(WIDTH) / nx as f64;
        if cell_w > 50.0 {
            for (i, row) in z.iter().enumerate() {
                for (j, v) in row.iter().enumerate() {
                    chart
                        .draw_series(std::iter::once(Text::new(label(*v), (i, j + 1), ("sans-serif", 11))))
                        .map_err(chart_error)?;
                }
            }
        }
        root.present().map_err(chart_error)?;
    }
    Ok(svg)
}

/// A tornado: per parameter, a bar from the figure at its low setting to the figure at
/// its high setting, around the base (a vertical line); widest on top.
///
/// # Errors
/// [`ReportError::Chart`] if plotters fails to lay the chart out.
pub(crate) fn tornado(
    title: &str,
    base: f64,
    bars: &[(String, f64, f64)],
    x_desc: &str,
) -> Result<String, ReportError> {
    let mut bars = bars.to_vec();
    bars.sort_by(|a, b| (a.2 - a.1).abs().total_cmp(&(b.2 - b.1).abs()));
    let (lo, hi) = span(bars.iter().flat_map(|b| [b.1, b.2]).chain(std::iter::once(base)));
    let pad = (hi - lo) * 0.05;
    let n = bars.len().max(1);
    let height = (80 + 40 * n as u32).max(220);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH + 200, height)).into_drawing_area();
        root.fill(&WHITE).map_err(chart_error)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 17))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(300)
            .build_cartesian_2d(lo - pad..hi + pad, 0..n)
            .map_err(chart_error)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(n)
            .y_label_formatter(&|i| bars.get(*i).map(|b| b.0.clone()).unwrap_or_default())
            .x_desc(x_desc)
            .draw()
            .map_err(chart_error)?;
        chart
            .draw_series(bars.iter().enumerate().flat_map(|(i, (_, low, high))| {
                let mut below = Rectangle::new([(base, i), ((*low).min(*high).min(base), i + 1)], BAR.filled());
                below.set_margin(6, 6, 0, 0);
                let mut above = Rectangle::new([(base, i), ((*low).max(*high).max(base), i + 1)], BAR_DANGER.filled());
                above.set_margin(6, 6, 0, 0);
                [below, above]
            }))
            .map_err(chart_error)?;
        chart
            .draw_series(std::iter::once(PathElement::new([(base, 0), (base, n)], GUIDE.stroke_width(2))))
            .map_err(chart_error)?;
        root.present().map_err(chart_error)?;
    }
    Ok(svg)
}

/// A parameter over time (step lines, one per run) against a price (right axis).
///
/// # Errors
/// [`ReportError::Chart`] if plotters fails to lay the chart out.
pub(crate) fn parameter_against_price(
    title: &str,
    price: &[(f64, f64)],
    params: &[Line],
    price_desc: &str,
    param_desc: &str,
) -> Result<String, ReportError> {
    let (t0, t1) = span(price.iter().map(|p| p.0).chain(params.iter().flat_map(|l| l.points.iter().map(|p| p.0))));
    let (p0, p1) = span(price.iter().map(|p| p.1));
    let (q0, q1) = span(params.iter().flat_map(|l| l.points.iter().map(|p| p.1)));
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(chart_error)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 17))
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(70)
            .right_y_label_area_size(70)
            .build_cartesian_2d(t0..t1, (q0 - 0.01)..(q1 + 0.01))
            .map_err(chart_error)?
            .set_secondary_coord(t0..t1, (p0 * 0.98)..(p1 * 1.02));
        chart.configure_mesh().x_desc("days").y_desc(param_desc).draw().map_err(chart_error)?;
        chart.configure_secondary_axes().y_desc(price_desc).draw().map_err(chart_error)?;
        chart
            .draw_secondary_series(LineSeries::new(price.iter().copied(), GUIDE.stroke_width(1)))
            .map_err(chart_error)?
            .label(price_desc.to_string())
            .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], GUIDE));
        for (i, l) in params.iter().enumerate() {
            let color = PALETTE[i % PALETTE.len()];
            let stepped: Vec<(f64, f64)> =
                l.points.windows(2).flat_map(|w| [w[0], (w[1].0, w[0].1)]).chain(l.points.last().copied()).collect();
            chart
                .draw_series(LineSeries::new(stepped, color.stroke_width(2)))
                .map_err(chart_error)?
                .label(l.label.clone())
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], color.stroke_width(2)));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerLeft)
            .background_style(WHITE.mix(0.9))
            .border_style(GUIDE)
            .draw()
            .map_err(chart_error)?;
        root.present().map_err(chart_error)?;
    }
    Ok(svg)
}

/// One input of a Sobol chart: each index as `(estimate, interval low, interval high)`.
pub(crate) struct IndexBar {
    pub(crate) label: String,
    pub(crate) first: (f64, f64, f64),
    pub(crate) total: (f64, f64, f64),
}

/// Sobol indices as horizontal bars: per input, the total index above the first-order
/// one, each with its interval as a whisker; the largest total on top, a guide at 0. The
/// axis spans at least 0 to 1, the shares of variance the indices are.
///
/// # Errors
/// [`ReportError::Chart`] if plotters fails to lay the chart out.
pub(crate) fn sobol_indices(title: &str, bars: &[IndexBar]) -> Result<String, ReportError> {
    let mut bars: Vec<&IndexBar> = bars.iter().collect();
    bars.sort_by(|a, b| a.total.0.total_cmp(&b.total.0));
    let (lo, hi) = span(bars.iter().flat_map(|b| [b.first.1, b.first.2, b.total.1, b.total.2, 0.0, 1.0]));
    let pad = (hi - lo) * 0.03;
    let n = bars.len().max(1);
    let height = (100 + 56 * n as u32).max(240);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH + 200, height)).into_drawing_area();
        root.fill(&WHITE).map_err(chart_error)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 17))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(320)
            .build_cartesian_2d(lo - pad..hi + pad, -0.5..n as f64 - 0.5)
            .map_err(chart_error)?;
        // Labels sit at the integers, one per input; other key points stay blank.
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(n)
            .y_label_formatter(&|y| {
                let k = y.round();
                if (y - k).abs() < 1e-6 && k >= 0.0 { bars.get(k as usize).map(|b| b.label.clone()) } else { None }
                    .unwrap_or_default()
            })
            .x_desc("share of the variance")
            .draw()
            .map_err(chart_error)?;
        let total_color = PALETTE[1];
        for (name, color, offset, total) in
            [("total index", total_color, 0.0, true), ("first-order index", BAR, -0.36, false)]
        {
            let pick = move |b: &IndexBar| if total { b.total } else { b.first };
            let boxes = bars.iter().enumerate().map(move |(k, b)| {
                let y0 = k as f64 + offset + 0.03;
                Rectangle::new([(0.0, y0), (pick(b).0, y0 + 0.3)], color.filled())
            });
            chart
                .draw_series(boxes)
                .map_err(chart_error)?
                .label(name)
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], color.filled()));
            let whiskers = bars.iter().enumerate().flat_map(move |(k, b)| {
                let (_, low, high) = pick(b);
                let y = k as f64 + offset + 0.18;
                [
                    PathElement::new([(low, y), (high, y)], BLACK.stroke_width(1)),
                    PathElement::new([(low, y - 0.08), (low, y + 0.08)], BLACK.stroke_width(1)),
                    PathElement::new([(high, y - 0.08), (high, y + 0.08)], BLACK.stroke_width(1)),
                ]
            });
            chart.draw_series(whiskers).map_err(chart_error)?;
        }
        chart
            .draw_series(std::iter::once(PathElement::new([(0.0, -0.5), (0.0, n as f64 - 0.5)], GUIDE.stroke_width(1))))
            .map_err(chart_error)?;
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .background_style(WHITE.mix(0.9))
            .border_style(GUIDE)
            .draw()
            .map_err(chart_error)?;
        root.present().map_err(chart_error)?;
    }
    Ok(svg)
}
