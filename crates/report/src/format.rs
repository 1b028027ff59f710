//! Number formats shared by the renderers.

/// `$1.23B`, `$45.6M`, `$12.3k`, `$950.00`.
pub(crate) fn usd(x: f64) -> String {
    let a = x.abs();
    let sign = if x < 0.0 { "-" } else { "" };
    if a >= 1e9 {
        format!("{sign}${:.2}B", a / 1e9)
    } else if a >= 1e6 {
        format!("{sign}${:.1}M", a / 1e6)
    } else if a >= 1e4 {
        format!("{sign}${:.1}k", a / 1e3)
    } else {
        format!("{sign}${a:.2}")
    }
}

/// `80.5 %`, with two decimals under one percent.
pub(crate) fn pct(x: f64) -> String {
    let p = x * 100.0;
    if p != 0.0 && p.abs() < 1.0 { format!("{p:.2} %") } else { format!("{p:.1} %") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_read_naturally() {
        assert_eq!(usd(2.0e9), "$2.00B");
        assert_eq!(usd(45_600_000.0), "$45.6M");
        assert_eq!(usd(12_345.0), "$12.3k");
        assert_eq!(usd(-950.0), "-$950.00");
        assert_eq!(pct(0.805), "80.5 %");
        assert_eq!(pct(0.0045), "0.45 %");
    }
}
