//! The Reports page's charts: SVG drawn on the server by `plotters` (its SVG
//! backend only, no fonts: the browser lays out the text), with a `<title>`
//! and `<desc>` and `role="img"`, beside the table that holds the same
//! numbers (the accessible alternative). No script and no inline style:
//! plotters writes colours as presentation attributes (`fill="#1D4ED8"`),
//! which the stylesheet overrides for dark mode and print (`svg.chart`).

use plotters::coord::Shift;
use plotters::prelude::*;
use time::Date;

use crate::domain::report::Count;

/// The bars' colour as drawn; `desk.css` recolours `svg.chart` by it.
const BAR: RGBColor = RGBColor(0x1d, 0x4e, 0xd8);
/// Text and axes as drawn; `desk.css` makes them the page's ink.
const INK: RGBColor = RGBColor(0x1b, 0x1b, 0x1f);
const WIDTH: u32 = 560;
/// The height of one bar of a bar chart, with its gap.
const ROW: u32 = 30;
/// The most bars a bar chart draws (the table beside it has every row).
pub(crate) const MAX_BARS: usize = 15;

/// Labels longer than this are cut (the table has them whole).
const LABEL_CHARS: usize = 24;

/// What went wrong drawing a chart: plotters' error, as text (its error
/// type is generic over the backend).
#[derive(Debug, thiserror::Error)]
#[error("drawing a chart: {0}")]
pub(crate) struct ChartError(String);

fn err(e: impl std::fmt::Display) -> ChartError {
    ChartError(e.to_string())
}

/// `text` escaped for XML text and attribute values.
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// The SVG plotters drew, made a labelled image: `role="img"`, a class
/// for the stylesheet, and `<title>` and `<desc>` named by
/// `aria-labelledby`. `id` makes the ids unique on the page.
fn labelled(svg: &str, id: &str, title: &str, description: &str) -> String {
    let (open, rest) = svg.split_once('>').unwrap_or((svg, ""));
    let open = open.trim_start_matches("<svg");
    format!(
        "<svg class=\"chart\" role=\"img\" aria-labelledby=\"{id}-title {id}-desc\" \
         preserveAspectRatio=\"xMinYMin meet\"{open}>\n\
         <title id=\"{id}-title\">{}</title>\n<desc id=\"{id}-desc\">{}</desc>{rest}",
        xml(title),
        xml(description),
    )
}

fn cut(label: &str) -> String {
    if label.chars().count() <= LABEL_CHARS {
        label.to_owned()
    } else {
        let mut s: String = label.chars().take(LABEL_CHARS - 1).collect();
        s.push('…');
        s
    }
}

/// A scale's top: at least 1, with room above the longest bar.
fn top(max: u64) -> u64 {
    max.max(1) + max.max(4) / 4
}

/// Horizontal bars, one per count (the first [`MAX_BARS`]), labelled with
/// what they count and how many, most first as given.
pub(crate) fn bars(
    id: &str,
    title: &str,
    description: &str,
    counts: &[Count],
) -> Result<String, ChartError> {
    let shown = &counts[..counts.len().min(MAX_BARS)];
    let n = shown.len().max(1) as u32;
    let height = n * ROW + 30;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        draw_bars(&root, shown, n)?;
        root.present().map_err(err)?;
    }
    Ok(labelled(&svg, id, title, description))
}

fn draw_bars(
    root: &DrawingArea<SVGBackend<'_>, Shift>,
    shown: &[Count],
    n: u32,
) -> Result<(), ChartError> {
    let max = shown.iter().map(|c| c.n).max().unwrap_or(0);
    let labels: Vec<String> = shown.iter().map(|c| cut(&c.label)).collect();
    let label_width = labels.iter().map(|l| l.chars().count()).max().unwrap_or(1) as u32 * 9 + 16;
    let mut chart = ChartBuilder::on(root)
        .margin_right(48)
        .margin_top(4)
        .x_label_area_size(30)
        .y_label_area_size(label_width.min(WIDTH / 2))
        .build_cartesian_2d(0u64..top(max), (0u32..n).into_segmented())
        .map_err(err)?;
    let label = |v: &SegmentValue<u32>| match v {
        // The first bar at the top.
        SegmentValue::CenterOf(i) => n
            .checked_sub(1 + *i)
            .and_then(|k| labels.get(k as usize))
            .cloned()
            .unwrap_or_default(),
        _ => String::new(),
    };
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(n as usize)
        .y_label_formatter(&label)
        .x_labels(5)
        .x_label_formatter(&|v| crate::domain::figures::thousands(*v))
        .axis_style(INK)
        .label_style(("sans-serif", 20).into_font().color(&INK))
        .light_line_style(INK.mix(0.15))
        .bold_line_style(INK.mix(0.3))
        .draw()
        .map_err(err)?;
    chart
        .draw_series(
            Histogram::horizontal(&chart)
                .style(BAR.filled())
                .margin(5)
                .data(
                    shown
                        .iter()
                        .enumerate()
                        .map(|(i, c)| (n - 1 - i as u32, c.n)),
                ),
        )
        .map_err(err)?;
    // Each bar's number at its end, for print and for those who cannot
    // compare lengths.
    chart
        .draw_series(shown.iter().enumerate().map(|(i, c)| {
            Text::new(
                crate::domain::figures::thousands(c.n),
                (c.n, SegmentValue::CenterOf(n - 1 - i as u32)),
                ("sans-serif", 20).into_font().color(&INK).pos(
                    plotters::style::text_anchor::Pos::new(
                        plotters::style::text_anchor::HPos::Left,
                        plotters::style::text_anchor::VPos::Center,
                    ),
                ),
            )
        }))
        .map_err(err)?;
    Ok(())
}

/// "1 Nov".
fn day_label(d: Date) -> String {
    let month = &d.month().to_string()[..3];
    format!("{} {month}", d.day())
}

/// One vertical bar per day, days in order.
pub(crate) fn per_day(
    id: &str,
    title: &str,
    description: &str,
    days: &[(Date, u64)],
) -> Result<String, ChartError> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, 260)).into_drawing_area();
        draw_days(&root, days)?;
        root.present().map_err(err)?;
    }
    Ok(labelled(&svg, id, title, description))
}

fn draw_days(
    root: &DrawingArea<SVGBackend<'_>, Shift>,
    days: &[(Date, u64)],
) -> Result<(), ChartError> {
    let n = days.len().max(1) as u32;
    let max = days.iter().map(|(_, c)| *c).max().unwrap_or(0);
    let mut chart = ChartBuilder::on(root)
        .margin_right(16)
        .margin_top(8)
        .x_label_area_size(34)
        .y_label_area_size(56)
        .build_cartesian_2d((0u32..n).into_segmented(), 0u64..top(max))
        .map_err(err)?;
    // At most about eight day labels, whatever the period's length.
    let every = n.div_ceil(8).max(1);
    let label = |v: &SegmentValue<u32>| match v {
        SegmentValue::CenterOf(i) if i % every == 0 => days
            .get(*i as usize)
            .map(|(d, _)| day_label(*d))
            .unwrap_or_default(),
        _ => String::new(),
    };
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(n as usize)
        .x_label_formatter(&label)
        .y_labels(5)
        .y_label_formatter(&|v| crate::domain::figures::thousands(*v))
        .axis_style(INK)
        .label_style(("sans-serif", 20).into_font().color(&INK))
        .light_line_style(INK.mix(0.15))
        .bold_line_style(INK.mix(0.3))
        .draw()
        .map_err(err)?;
    chart
        .draw_series(
            Histogram::vertical(&chart)
                .style(BAR.filled())
                .margin(if n > 40 { 1 } else { 3 })
                .data(days.iter().enumerate().map(|(i, (_, c))| (i as u32, *c))),
        )
        .map_err(err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    fn count(label: &str, n: u64) -> Count {
        Count {
            label: label.to_owned(),
            n,
            query: None,
        }
    }

    #[test]
    fn a_bar_chart_is_a_labelled_image_with_one_bar_per_count() {
        let counts = [
            count("Croydon", 120),
            count("Thornton Heath", 45),
            count("Purley & <Kenley>", 3),
        ];
        let svg = bars("by-place", "Items by place", "Croydon has most", &counts).unwrap();
        assert!(
            svg.starts_with("<svg class=\"chart\" role=\"img\""),
            "{svg}"
        );
        assert!(svg.contains("aria-labelledby=\"by-place-title by-place-desc\""));
        assert!(svg.contains("<title id=\"by-place-title\">Items by place</title>"));
        assert!(svg.contains("<desc id=\"by-place-desc\">Croydon has most</desc>"));
        assert_eq!(svg.matches("fill=\"#1D4ED8\"").count(), 3, "{svg}");
        // Every label and number as text, escaped.
        for text in [
            "Croydon",
            "Thornton Heath",
            "Purley &amp; &lt;Kenley&gt;",
            "120",
            "45",
        ] {
            assert!(svg.contains(&format!("\n{text}\n")), "{text}: {svg}");
        }
        assert!(
            !svg.contains("style="),
            "no inline style: the CSP forbids it"
        );
        assert_eq!(svg.matches("<svg").count(), 1);
        assert!(svg.trim_end().ends_with("</svg>"));
    }

    #[test]
    fn a_bar_chart_draws_at_most_fifteen_bars_and_copes_with_none() {
        let many: Vec<Count> = (0..40)
            .map(|i| count(&format!("Place {i}"), 40 - i))
            .collect();
        let svg = bars("many", "Many", "Forty places", &many).unwrap();
        assert_eq!(svg.matches("fill=\"#1D4ED8\"").count(), MAX_BARS);
        let none = bars("none", "Nothing", "No items", &[]).unwrap();
        assert_eq!(none.matches("fill=\"#1D4ED8\"").count(), 0);
        assert!(none.contains("<title id=\"none-title\">Nothing</title>"));
        let zero = bars("zero", "Zero", "None", &[count("Croydon", 0)]).unwrap();
        assert!(zero.contains("\nCroydon\n"));
    }

    #[test]
    fn a_day_chart_has_a_bar_per_day_and_a_few_day_labels() {
        let days: Vec<(Date, u64)> = (0..30)
            .map(|i| {
                (
                    date!(2026 - 11 - 01) + time::Duration::days(i),
                    (i as u64 * 7) % 11,
                )
            })
            .collect();
        let svg = per_day("per-day", "Items per day", "30 days", &days).unwrap();
        assert_eq!(svg.matches("fill=\"#1D4ED8\"").count(), days.len(), "{svg}");
        assert!(svg.contains("\n1 Nov\n"), "{svg}");
        assert!(!svg.contains("\n2 Nov\n"), "not every day is labelled");
        assert!(svg.contains("<desc id=\"per-day-desc\">30 days</desc>"));
    }
}
