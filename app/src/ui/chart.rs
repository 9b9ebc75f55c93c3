//! Charts drawn by Leptos as inline SVG (no chart library): score bars and trend lines.
//! Each chart has a text alternative (a table or a label) for screen readers.

use leptos::prelude::*;

/// Horizontal bars, one per (label, score 0–100).
#[component]
pub fn ScoreBars(scores: Vec<(&'static str, u8)>, #[prop(into)] label: String) -> impl IntoView {
    let row_h = 28;
    let height = scores.len() as i32 * row_h + 4;
    view! {
        <svg class="chart score-bars" role="img" aria-label=label viewBox=format!("0 0 420 {height}") preserveAspectRatio="xMinYMin meet">
            {scores.into_iter().enumerate().map(|(i, (name, v))| {
                let y = i as i32 * row_h + 2;
                let w = (v as f32 / 100.0 * 260.0).max(2.0);
                view! {
                    <g>
                        <text x="0" y=y + 18 class="chart-label">{name}</text>
                        <rect x="120" y=y + 4 width="260" height="18" rx="4" class="chart-track"/>
                        <rect x="120" y=y + 4 width=format!("{w:.1}") height="18" rx="4" class=band(v)/>
                        <text x="388" y=y + 18 class="chart-value">{v}</text>
                    </g>
                }
            }).collect_view()}
        </svg>
    }
}

/// The colour band of a score: good, fair, weak.
pub fn band(v: u8) -> &'static str {
    match v {
        75..=100 => "chart-bar good",
        50..=74 => "chart-bar fair",
        _ => "chart-bar weak",
    }
}

/// Lines over time: each series is (name, points 0–100 in time order).
#[component]
pub fn TrendChart(
    series: Vec<(&'static str, Vec<u8>)>,
    #[prop(into)] label: String,
) -> impl IntoView {
    let n = series.iter().map(|s| s.1.len()).max().unwrap_or(0);
    let (w, h, left, top, bottom) = (560.0f32, 220.0f32, 34.0f32, 10.0f32, 24.0f32);
    let plot_w = w - left - 110.0;
    let plot_h = h - top - bottom;
    let x = move |i: usize| {
        left + if n <= 1 {
            plot_w / 2.0
        } else {
            i as f32 * plot_w / (n - 1) as f32
        }
    };
    let y = move |v: u8| top + plot_h * (1.0 - v as f32 / 100.0);
    view! {
        <svg class="chart trend" role="img" aria-label=label viewBox=format!("0 0 {w} {h}") preserveAspectRatio="xMinYMin meet">
            {[0u8, 25, 50, 75, 100].into_iter().map(|g| view! {
                <line x1=left x2=left + plot_w y1=y(g) y2=y(g) class="chart-grid"/>
                <text x="0" y=y(g) + 4.0 class="chart-axis">{g}</text>
            }).collect_view()}
            {series.into_iter().enumerate().map(|(si, (name, pts))| {
                let path: String = pts.iter().enumerate().map(|(i, v)| format!("{}{:.1},{:.1}", if i == 0 { "M" } else { " L" }, x(i), y(*v))).collect();
                let last = pts.last().copied().unwrap_or(0);
                let class = format!("chart-line s{si}");
                view! {
                    <path d=path class=class.clone() fill="none"/>
                    {pts.iter().enumerate().map(|(i, v)| view! { <circle cx=x(i) cy=y(*v) r="3" class=class.clone()/> }).collect_view()}
                    <text x=left + plot_w + 8.0 y=top + 14.0 + si as f32 * 16.0 class=format!("chart-legend s{si}")>{format!("{name} {last}")}</text>
                }
            }).collect_view()}
        </svg>
    }
}

/// Counts per day as vertical bars (one series), with the first and last day on the axis. The
/// page shows the same numbers in a table for screen readers and copying.
#[component]
pub fn DailyBars(
    values: Vec<u32>,
    first: String,
    last: String,
    #[prop(into)] label: String,
) -> impl IntoView {
    let n = values.len().max(1) as f32;
    let max = values.iter().copied().max().unwrap_or(0).max(1) as f32;
    let (w, h, left, top, bottom) = (560.0f32, 160.0f32, 34.0f32, 8.0f32, 22.0f32);
    let plot_w = w - left - 4.0;
    let plot_h = h - top - bottom;
    let bar_w = (plot_w / n * 0.8).max(1.0);
    let top_label = max as u32;
    view! {
        <svg class="chart daily" role="img" aria-label=label viewBox=format!("0 0 {w} {h}") preserveAspectRatio="xMinYMin meet">
            <line x1=left x2=left + plot_w y1=top + plot_h y2=top + plot_h class="chart-grid"/>
            <line x1=left x2=left + plot_w y1=top y2=top class="chart-grid"/>
            <text x="0" y=top + 8.0 class="chart-axis">{top_label}</text>
            <text x="0" y=top + plot_h class="chart-axis">"0"</text>
            {values.iter().enumerate().map(|(i, v)| {
                let bh = *v as f32 / max * plot_h;
                view! { <rect x=format!("{:.1}", left + i as f32 * plot_w / n) y=format!("{:.1}", top + plot_h - bh) width=format!("{bar_w:.1}") height=format!("{bh:.1}") class="chart-bar fair"/> }
            }).collect_view()}
            <text x=left y=h - 4.0 class="chart-axis">{first}</text>
            <text x=left + plot_w y=h - 4.0 class="chart-axis" text-anchor="end">{last}</text>
        </svg>
    }
}
