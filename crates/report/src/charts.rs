//! SVG charts drawn with plotters' SVG backend. Text is left to the browser's
//! `sans-serif`, so nothing depends on fonts installed where the report is made.

use plotters::prelude::*;

use crate::ReportError;
use crate::assessment::{HealthSummary, StakeDistribution};

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
    let labels: Vec<String> = h
        .histogram_edges
        .iter()
        .enumerate()
        .map(|(i, lo)| if i + 1 == h.histogram_edges.len() { format!("≥{lo:.2}") } else { format!("{lo:.2}") })
        .collect();
    let values: Vec<f64> = h.histogram_debt_usd.iter().map(|d| d / 1e6).collect();
    let ymax = values.iter().copied().fold(0.0, f64::max).max(1e-9) * 1.1;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(chart_error)?;
        let n = values.len();
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
            .x_label_formatter(&|i| labels.get(*i).cloned().unwrap_or_default())
            .x_desc("health factor (lower edge of each bin; red: liquidatable)")
            .y_desc("debt (USD millions)")
            .draw()
            .map_err(chart_error)?;
        chart
            .draw_series(values.iter().enumerate().map(|(i, v)| {
                let color = if h.histogram_edges.get(i + 1).is_some_and(|hi| *hi <= 1.0) { BAR_DANGER } else { BAR };
                let mut bar = Rectangle::new([(i, 0.0), (i + 1, *v)], color.filled());
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
            .x_desc("share of active validators, smallest first")
            .y_desc("share of active stake")
            .x_label_formatter(&|x| format!("{:.0} %", x * 100.0))
            .y_label_formatter(&|y| format!("{:.0} %", y * 100.0))
            .draw()
            .map_err(chart_error)?;
        chart
            .draw_series(LineSeries::new([(0.0, 0.0), (1.0, 1.0)], GUIDE.stroke_width(1)))
            .map_err(chart_error)?
            .label("perfect equality")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], GUIDE));
        chart
            .draw_series(
                AreaSeries::new(s.lorenz.iter().copied(), 0.0, LINE.mix(0.15)).border_style(LINE.stroke_width(2)),
            )
            .map_err(chart_error)?
            .label(format!("{} (Gini {:.3})", s.chain, s.gini))
            .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], LINE.stroke_width(2)));
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
