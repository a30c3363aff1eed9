//! PNG backend: shapes through tiny-skia, text from pre-rasterized glyphs.

use crate::{Anchor, Color, Figure, PlotError, Prim, TextSize};
use noto_sans_mono_bitmap::{get_raster, get_raster_width, FontWeight, RasterHeight};
use tiny_skia::{
    FillRule, FilterQuality, IntSize, LineCap, LineJoin, Mask, Paint, PathBuilder, Pixmap,
    PixmapPaint, PremultipliedColorU8, Rect, Stroke, StrokeDash, Transform,
};

fn raster_height(size: TextSize) -> RasterHeight {
    match size {
        TextSize::Normal => RasterHeight::Size16,
        TextSize::Title => RasterHeight::Size20,
    }
}

/// Advance width of a character of `size`, in pixels.
pub(crate) fn char_width(size: TextSize) -> usize {
    get_raster_width(FontWeight::Regular, raster_height(size))
}

fn paint(c: Color) -> Paint<'static> {
    let mut p = Paint::default();
    p.set_color_rgba8(c.0, c.1, c.2, c.3);
    p.anti_alias = true;
    p
}

fn premultiply(rgba: &[u8]) -> Vec<u8> {
    let mut o = Vec::with_capacity(rgba.len());
    for px in rgba.chunks_exact(4) {
        let a = px[3] as u32;
        for &c in &px[..3] {
            o.push(((c as u32 * a + 127) / 255) as u8);
        }
        o.push(px[3]);
    }
    o
}

fn image_pixmap(cols: u32, rows: u32, rgba: &[u8]) -> Option<Pixmap> {
    Pixmap::from_vec(premultiply(rgba), IntSize::from_wh(cols, rows)?)
}

/// PNG bytes of an RGBA image (for images embedded in SVG).
pub(crate) fn encode_rgba(cols: u32, rows: u32, rgba: &[u8]) -> Vec<u8> {
    image_pixmap(cols, rows, rgba)
        .and_then(|p| p.encode_png().ok())
        .unwrap_or_default()
}

pub(crate) fn render_png(fig: &Figure) -> Result<Vec<u8>, PlotError> {
    let pm = render(fig)?;
    pm.encode_png()
        .map_err(|e| PlotError::PngUnavailable(e.to_string()))
}

fn render(fig: &Figure) -> Result<Pixmap, PlotError> {
    let mut pm = Pixmap::new(fig.width, fig.height)
        .ok_or_else(|| PlotError::Invalid(format!("size {}x{}", fig.width, fig.height)))?;
    pm.fill(tiny_skia::Color::WHITE);
    let id = Transform::identity();
    // stack of clip masks of the open groups
    let mut clips: Vec<Option<Mask>> = Vec::new();
    for p in &fig.prims {
        let mask = clips.iter().rev().flatten().next();
        match p {
            Prim::Rect {
                x,
                y,
                w,
                h,
                fill,
                stroke,
            } => {
                let Some(r) = Rect::from_xywh(*x as f32, *y as f32, *w as f32, *h as f32) else {
                    continue;
                };
                let path = PathBuilder::from_rect(r);
                if let Some(c) = fill {
                    let mut pt = paint(*c);
                    pt.anti_alias = false;
                    pm.fill_path(&path, &pt, FillRule::Winding, id, mask);
                }
                if let Some((c, width)) = stroke {
                    let st = Stroke {
                        width: *width as f32,
                        ..Stroke::default()
                    };
                    pm.stroke_path(&path, &paint(*c), &st, id, mask);
                }
            }
            Prim::Line {
                pts,
                color,
                width,
                dash,
                ..
            } => {
                if pts.len() < 2 {
                    continue;
                }
                let mut pb = PathBuilder::new();
                pb.move_to(pts[0].0 as f32, pts[0].1 as f32);
                for &(x, y) in &pts[1..] {
                    pb.line_to(x as f32, y as f32);
                }
                let Some(path) = pb.finish() else { continue };
                let st = Stroke {
                    width: *width as f32,
                    line_cap: LineCap::Butt,
                    line_join: LineJoin::Round,
                    dash: dash.and_then(|d| StrokeDash::new(vec![d as f32, (d * 0.7) as f32], 0.0)),
                    ..Stroke::default()
                };
                pm.stroke_path(&path, &paint(*color), &st, id, mask);
            }
            Prim::Circle { cx, cy, r, fill } => {
                if let Some(path) = PathBuilder::from_circle(*cx as f32, *cy as f32, *r as f32) {
                    pm.fill_path(&path, &paint(*fill), FillRule::Winding, id, mask);
                }
            }
            Prim::Text {
                x,
                y,
                text,
                size,
                anchor,
                vertical,
                color,
                bold,
            } => draw_text(
                &mut pm, *x, *y, text, *size, *anchor, *vertical, *color, *bold,
            ),
            Prim::Image {
                x,
                y,
                w,
                h,
                cols,
                rows,
                rgba,
            } => {
                let Some(img) = image_pixmap(*cols, *rows, rgba) else {
                    continue;
                };
                let t = Transform::from_row(
                    (*w / *cols as f64) as f32,
                    0.0,
                    0.0,
                    (*h / *rows as f64) as f32,
                    *x as f32,
                    *y as f32,
                );
                let pp = PixmapPaint {
                    quality: FilterQuality::Nearest,
                    ..PixmapPaint::default()
                };
                pm.draw_pixmap(0, 0, img.as_ref(), &pp, t, mask);
            }
            Prim::GroupBegin { clip, .. } => {
                let m = clip.and_then(|(x, y, w, h)| {
                    let mut m = Mask::new(fig.width, fig.height)?;
                    let r = Rect::from_xywh(x as f32, y as f32, w as f32, h as f32)?;
                    m.fill_path(&PathBuilder::from_rect(r), FillRule::Winding, false, id);
                    Some(m)
                });
                clips.push(m);
            }
            Prim::GroupEnd => {
                clips.pop();
            }
        }
    }
    Ok(pm)
}

/// Draws `text` vertically centred on `y`, anchored at `x` (or, rotated by -90
/// degrees, centred on `x` and anchored at `y`).
#[allow(clippy::too_many_arguments)]
fn draw_text(
    pm: &mut Pixmap,
    x: f64,
    y: f64,
    text: &str,
    size: TextSize,
    anchor: Anchor,
    vertical: bool,
    color: Color,
    bold: bool,
) {
    let weight = if bold {
        FontWeight::Bold
    } else {
        FontWeight::Regular
    };
    let rh = raster_height(size);
    let cw = get_raster_width(weight, rh) as f64;
    let gh = rh.val() as f64;
    let len = text.chars().count() as f64 * cw;
    let along0 = match anchor {
        Anchor::Start => 0.0,
        Anchor::Middle => -len / 2.0,
        Anchor::End => -len,
    };
    let (w, h) = (pm.width() as i64, pm.height() as i64);
    let data = pm.pixels_mut();
    let ca = color.3 as u32;
    for (i, ch) in text.chars().enumerate() {
        let Some(g) = get_raster(ch, weight, rh).or_else(|| get_raster('?', weight, rh)) else {
            continue;
        };
        let along = (along0 + i as f64 * cw).round() as i64;
        let across = (-gh / 2.0).round() as i64;
        for (gy, row) in g.raster().iter().enumerate() {
            for (gx, &v) in row.iter().enumerate() {
                if v == 0 {
                    continue;
                }
                let (px, py) = if vertical {
                    (
                        x.round() as i64 + across + gy as i64,
                        y.round() as i64 - along - gx as i64,
                    )
                } else {
                    (
                        x.round() as i64 + along + gx as i64,
                        y.round() as i64 + across + gy as i64,
                    )
                };
                if px < 0 || py < 0 || px >= w || py >= h {
                    continue;
                }
                let a = v as u32 * ca / 255;
                let d = &mut data[(py * w + px) as usize];
                let blend =
                    |c: u8, dst: u8| ((c as u32 * a + dst as u32 * (255 - a) + 127) / 255) as u8;
                let out_a = (a * 255 + d.alpha() as u32 * (255 - a) + 127) / 255;
                // source is opaque colour times coverage; premultiplied blend
                let r = blend(color.0, d.red());
                let gg = blend(color.1, d.green());
                let b = blend(color.2, d.blue());
                let out_a = out_a.max(r.max(gg).max(b) as u32) as u8;
                if let Some(c) = PremultipliedColorU8::from_rgba(r, gg, b, out_a) {
                    *d = c;
                }
            }
        }
    }
}
