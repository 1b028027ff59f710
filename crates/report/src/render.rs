//! Renderers: the terminal summary (aligned tables), Markdown, and a self-contained
//! HTML page with the charts inline (no external URL, script or font).

use std::fmt::Write;

use crate::document::{Section, Table};

/// Aligned plain-text tables for a terminal.
pub(crate) fn text(sections: &[Section]) -> String {
    let mut out = String::new();
    for s in sections {
        let _ = writeln!(out, "{}\n{}", s.title, "=".repeat(s.title.chars().count()));
        for n in &s.notes {
            let _ = writeln!(out, "{n}");
        }
        for t in &s.tables {
            let _ = writeln!(out, "\n{}", t.caption);
            text_table(&mut out, t);
        }
        out.push('\n');
    }
    out
}

fn widths(t: &Table) -> Vec<usize> {
    let mut w: Vec<usize> = t.headers.iter().map(|h| h.chars().count()).collect();
    for row in &t.rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(wi) = w.get_mut(i) {
                *wi = (*wi).max(cell.chars().count());
            }
        }
    }
    w
}

fn text_table(out: &mut String, t: &Table) {
    let w = widths(t);
    let line = |cells: &[String]| {
        cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let pad = w.get(i).copied().unwrap_or(0).saturating_sub(c.chars().count());
                if i > 0 && numeric(c) { format!("{}{c}", " ".repeat(pad)) } else { format!("{c}{}", " ".repeat(pad)) }
            })
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    let _ = writeln!(out, "  {}", line(&t.headers));
    let _ = writeln!(out, "  {}", w.iter().map(|n| "-".repeat(*n)).collect::<Vec<_>>().join("  "));
    for row in &t.rows {
        let _ = writeln!(out, "  {}", line(row));
    }
}

/// Whether a cell reads as a figure, to be right-aligned: money, a number, a percentage, a dash.
fn numeric(cell: &str) -> bool {
    cell.chars().next().is_none_or(|c| c.is_ascii_digit() || matches!(c, '$' | '-' | '—' | '<' | '≥'))
}

/// Markdown; each chart is referenced as an SVG file written beside `report.md`.
pub(crate) fn markdown(sections: &[Section]) -> String {
    let mut out = String::new();
    for (i, s) in sections.iter().enumerate() {
        let _ = writeln!(out, "{} {}\n", if i == 0 { "#" } else { "##" }, s.title);
        for n in &s.notes {
            let _ = writeln!(out, "{n}\n");
        }
        for t in &s.tables {
            let _ = writeln!(out, "**{}**\n", t.caption);
            let cells = |row: &[String]| {
                format!("| {} |", row.iter().map(|c| c.replace('|', "\\|")).collect::<Vec<_>>().join(" | "))
            };
            let _ = writeln!(out, "{}", cells(&t.headers));
            let _ = writeln!(
                out,
                "|{}",
                t.headers
                    .iter()
                    .enumerate()
                    .map(|(i, _)| if i == 0 { " --- |" } else { " ---: |" })
                    .collect::<String>()
            );
            for row in &t.rows {
                let _ = writeln!(out, "{}", cells(row));
            }
            out.push('\n');
        }
        for c in &s.charts {
            let _ = writeln!(out, "![{}]({}.svg)\n", c.title, c.id);
        }
    }
    out
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#1a1a1a}\
h1{border-bottom:2px solid #2b6cb0;padding-bottom:.2em}h2{margin-top:2em;border-bottom:1px solid #ddd}\
table{border-collapse:collapse;margin:.5em 0 1.5em}caption{text-align:left;font-weight:600;padding:.3em 0}\
th,td{padding:.25em .8em;border-bottom:1px solid #eee}th{background:#f4f6f8}td{text-align:right;font-variant-numeric:tabular-nums}\
td:first-child,th:first-child{text-align:left}figure.chart{margin:1em 0}figure.chart svg{max-width:100%;height:auto}\
footer{margin-top:3em;color:#666;font-size:.9em}";

/// Marks on `<body>` how many charts drew visible shapes, so that a headless browser
/// (and the test that drives one) can tell a rendered chart from an empty box.
const SELF_CHECK: &str = "window.addEventListener('load',function(){var figs=document.querySelectorAll('figure.chart svg'),ok=0;\
for(var i=0;i<figs.length;i++){var b=figs[i].getBBox();var n=figs[i].querySelectorAll('rect,polyline,polygon,path,line').length;\
if(b.width>0&&b.height>0&&n>0){ok++;}}document.body.setAttribute('data-charts-total',String(figs.length));\
document.body.setAttribute('data-charts-rendered',String(ok));});";

/// One self-contained page: inline CSS, inline SVG, one inline script, no URL.
pub(crate) fn html(title: &str, sections: &[Section]) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        escape(title)
    );
    for (i, s) in sections.iter().enumerate() {
        let tag = if i == 0 { "h1" } else { "h2" };
        let _ = writeln!(out, "<section>\n<{tag}>{}</{tag}>", escape(&s.title));
        for n in &s.notes {
            let _ = writeln!(out, "<p>{}</p>", escape(n));
        }
        for c in &s.charts {
            let _ = writeln!(
                out,
                "<figure class=\"chart\" id=\"{}\">\n{}\n<figcaption>{}</figcaption>\n</figure>",
                escape(&c.id),
                strip_xml_declaration(&c.svg),
                escape(&c.title)
            );
        }
        for t in &s.tables {
            let _ = writeln!(out, "<table>\n<caption>{}</caption>", escape(&t.caption));
            let _ = writeln!(
                out,
                "<tr>{}</tr>",
                t.headers.iter().map(|h| format!("<th>{}</th>", escape(h))).collect::<String>()
            );
            for row in &t.rows {
                let _ = writeln!(
                    out,
                    "<tr>{}</tr>",
                    row.iter().map(|c| format!("<td>{}</td>", escape(c))).collect::<String>()
                );
            }
            let _ = writeln!(out, "</table>");
        }
        let _ = writeln!(out, "</section>");
    }
    let _ = write!(
        out,
        "<footer>Made by bulwark. Every figure above is computed from the spec and the data it names.</footer>\n<script>{SELF_CHECK}</script>\n</body>\n</html>\n"
    );
    out
}

fn strip_xml_declaration(svg: &str) -> &str {
    match svg.find("<svg") {
        Some(i) => &svg[i..],
        None => svg,
    }
}
